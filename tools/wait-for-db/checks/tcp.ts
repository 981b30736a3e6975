// tcp://host:port is ready when a TCP connection is accepted.

import { connect } from 'node:net';
import type { CheckResult } from '../outcome.ts';
import type { Target } from '../target.ts';

export function checkTcp(target: Target, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port as number, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ready: true, detail: 'connection accepted' });
    });
    socket.once('error', reject);
  });
}
