// redis:// and rediss:// are ready when a fresh connection authenticates and answers PING (not LOADING),
// and, when a role is required, INFO replication shows that role in a usable state.

import { Redis, type RedisOptions } from 'ioredis';
import { CheckFailure, classifyNetworkError, type CheckResult } from '../outcome.ts';
import type { CheckSettings } from '../settings.ts';
import type { Target } from '../target.ts';
import { directTlsOptions } from '../tls.ts';

export async function checkRedis(target: Target, settings: CheckSettings, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  const options: RedisOptions = {
    host: target.host,
    port: target.port as number,
    db: target.url.pathname.length > 1 ? Number(target.url.pathname.slice(1)) : 0,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    enableOfflineQueue: true,
    // The ready check would hide LOADING behind its own waiting; PING reports it instead.
    enableReadyCheck: false,
    connectionName: 'wait-for-db',
  };
  if (target.user) options.username = target.user;
  if (target.password) options.password = target.password;
  if (target.tls) options.tls = directTlsOptions(target, settings.tls);
  const client = new Redis(options);
  let lastError: unknown;
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  const abort = () => client.disconnect();
  signal.addEventListener('abort', abort, { once: true });
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') return { ready: false, detail: `PING answered ${JSON.stringify(pong)}` };
    if (settings.redisRole === 'any') return { ready: true, detail: 'PONG' };
    return roleReadiness(await client.info('replication'), settings.redisRole);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw classifyRedisError(lastError && isConnectionClosed(error) ? lastError : error);
  } finally {
    signal.removeEventListener('abort', abort);
    client.disconnect();
  }
}

function isConnectionClosed(error: unknown): boolean {
  return error instanceof Error && /Connection is closed|Stream isn't writeable/.test(error.message);
}

export function roleReadiness(info: string, wanted: 'master' | 'replica'): CheckResult {
  const fields = new Map(
    info
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const role = fields.get('role');
  if (wanted === 'master') {
    return role === 'master' ? { ready: true, detail: 'role master' } : { ready: false, detail: `role is ${role ?? 'unknown'}, waiting for master` };
  }
  if (role !== 'slave') return { ready: false, detail: `role is ${role ?? 'unknown'}, waiting for replica` };
  if (fields.get('master_link_status') !== 'up') return { ready: false, detail: 'replica link to its master is down' };
  if (fields.get('master_sync_in_progress') === '1') return { ready: false, detail: 'replica still syncing' };
  return { ready: true, detail: 'role replica, in sync' };
}

export function classifyRedisError(error: unknown): CheckFailure {
  const network = classifyNetworkError(error);
  if (network) return network;
  const message = error instanceof Error ? error.message : String(error);
  if (/^LOADING/.test(message)) return new CheckFailure('loading', 'Redis is loading its dataset in memory', true, { cause: error });
  // Redis's own NOAUTH text talks about HELLO and its AUTH option, not about the URL.
  if (/^NOAUTH/.test(message)) {
    return new CheckFailure(
      'auth',
      'the server requires a password and none was given (NOAUTH); waiting cannot fix this: add it to the target URL (user:password@ before the host) or name the target and pass --password-env NAME=VAR',
      false,
      { cause: error },
    );
  }
  if (/^(WRONGPASS|ERR invalid (username-)?password|ERR AUTH|ERR Client sent AUTH)/.test(message)) {
    return new CheckFailure('auth', `${message}; waiting cannot fix this: check the user and password`, false, { cause: error });
  }
  if (/^NOPERM/.test(message)) return new CheckFailure('auth', `${message}; the user lacks a permission`, false, { cause: error });
  if (/^ERR (DB index is out of range|invalid DB index)/.test(message)) return new CheckFailure('config', message, false, { cause: error });
  if (/^(MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN)/.test(message)) return new CheckFailure('server', message, true, { cause: error });
  if (/timed? ?out|Connection is closed|Stream isn't writeable|ECONN/i.test(message)) return new CheckFailure('connection', message, true, { cause: error });
  // ioredis's parser on bytes that are not RESP ("Unknown RESP type ... Please report this").
  if (/^Unknown RESP type|Protocol error/i.test(message)) {
    return new CheckFailure('protocol', 'the answer is not the Redis protocol: is this the Redis port?', false, { cause: error });
  }
  return new CheckFailure('error', message, false, { cause: error });
}
