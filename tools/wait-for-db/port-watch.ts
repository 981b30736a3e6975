// While a dependency refuses connections (not started yet), the wait between two checks watches its port
// instead of sleeping: a TCP connect every few milliseconds, which costs the server nothing while it is
// down (a refused SYN on loopback or the pod network), and the next real check (a login and a query)
// starts as soon as the port accepts. The checks themselves keep their own pace (--interval).

import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { sleep } from '../core/retry.ts';

/** Between two TCP connects while the port refuses: 100 per second at most. */
export const PORT_POLL_MS = 10;

/**
 * Resolves when host:port accepts a TCP connection (closed again at once) or after `maxMs`, whichever is
 * first; rejects with the signal's reason when it aborts. The name is resolved once: a watch must not send
 * a hundred DNS queries a second.
 */
export async function watchPort(host: string, port: number, maxMs: number, signal: AbortSignal): Promise<void> {
  const until = performance.now() + maxMs;
  let address: string;
  try {
    address = (await lookup(host)).address;
  } catch {
    // Let the check itself report what the name does.
    return sleep(Math.max(0, until - performance.now()), signal);
  }
  while (performance.now() < until) {
    if (await accepts(address, port, Math.max(1, until - performance.now()), signal)) return;
    await sleep(Math.max(0, Math.min(PORT_POLL_MS, until - performance.now())), signal);
  }
}

/** One TCP connect: true when accepted within `timeoutMs`; false when refused, reset or slow. */
function accepts(address: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const end = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      socket.destroy();
    };
    const finish = (accepted: boolean) => {
      end();
      resolve(accepted);
    };
    const abort = () => {
      end();
      reject(signal.reason);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    signal.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
