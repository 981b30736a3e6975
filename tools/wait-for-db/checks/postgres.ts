// postgres:// is ready when a fresh connection runs the readiness query and gets a truthy answer.
// Connection settings follow libpq: the URL first, then the PG* environment variables.

import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { UsageError } from '../../core/errors.ts';
import { CheckFailure, classifyNetworkError, queryReadiness, type CheckResult } from '../outcome.ts';
import type { CheckSettings } from '../settings.ts';
import { databaseName, type Target } from '../target.ts';
import { targetCa, targetClientCertificate } from '../target-tls.ts';

const URL_PARAMETERS = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name', 'connect_timeout']);
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Validates what can be validated before waiting (URL parameters, sslmode, files). */
export async function postgresConfig(target: Target, settings: CheckSettings, env: NodeJS.ProcessEnv): Promise<pg.ClientConfig> {
  const params = target.url.searchParams;
  for (const name of params.keys()) {
    if (!URL_PARAMETERS.has(name)) {
      throw new UsageError(`invalid target "${target.display}": unsupported parameter "${name}"; supported: ${[...URL_PARAMETERS].join(', ')}`);
    }
  }
  const database = databaseName(target);
  const ssl = await sslConfig(target, settings, params.get('sslmode') ?? env.PGSSLMODE, params.get('sslrootcert') ?? env.PGSSLROOTCERT);
  // libpq's sslcert and sslkey, each from the URL or else PGSSLCERT / PGSSLKEY; without either, --cert-file
  // and --key-file. (libpq's default ~/.postgresql/postgresql.crt is not looked for: the image has no home.)
  if (ssl)
    Object.assign(
      ssl,
      await targetClientCertificate(target, settings.tls, { cert: 'sslcert', key: 'sslkey', env: { cert: 'PGSSLCERT', key: 'PGSSLKEY', values: env } }),
    );
  else if (params.has('sslcert') || params.has('sslkey')) {
    throw new UsageError(
      `invalid target "${target.display}": sslcert and sslkey need TLS, and its sslmode connects without; use sslmode=verify-full (or verify-ca, require)`,
    );
  }
  const config: pg.ClientConfig = { application_name: params.get('application_name') ?? 'wait-for-db', ssl };
  if (target.host) config.host = target.host;
  if (target.port) config.port = target.port;
  if (target.user) config.user = target.user;
  if (target.password) config.password = target.password;
  if (database) config.database = database;
  return config;
}

/** libpq's sslmode semantics; allow/prefer connect without TLS (no fallback dance), like the pg driver. */
async function sslConfig(target: Target, settings: CheckSettings, mode = 'disable', rootCertPath?: string): Promise<ConnectionOptions | false> {
  if (!SSL_MODES.includes(mode)) {
    throw new UsageError(`invalid target "${target.display}": sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`);
  }
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const tls: ConnectionOptions = { ca: await targetCa(target, settings.tls, 'sslrootcert', rootCertPath || undefined) };
  if (settings.tls.insecureSkipVerify || (mode === 'require' && !rootCertPath)) tls.rejectUnauthorized = false;
  else if (mode === 'verify-ca' || mode === 'require') tls.checkServerIdentity = () => undefined;
  return tls;
}

export async function checkPostgres(config: pg.ClientConfig, settings: CheckSettings, signal: AbortSignal): Promise<CheckResult> {
  const client = new pg.Client(config);
  client.on('error', () => {
    // Errors after the attempt (the server going away) are not this attempt's result.
  });
  const abort = () => destroy(client);
  signal.addEventListener('abort', abort, { once: true });
  // pg may leave connect() or query() pending forever when the server closes the socket during start-up
  // (a proxy or a server that accepts and hangs up): the end of the connection is this attempt's answer.
  const closed = new Promise<never>((_resolve, reject) => {
    client.once('end', () => reject(new CheckFailure('closed', 'the server closed the connection before answering', true)));
  });
  closed.catch(() => undefined);
  try {
    await Promise.race([client.connect(), closed]);
    const result = await Promise.race([client.query({ text: settings.pgQuery, rowMode: 'array' }), closed]);
    return readiness(result);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof CheckFailure) throw error;
    throw classifyPostgresError(error, settings);
  } finally {
    signal.removeEventListener('abort', abort);
    destroy(client);
  }
}

function destroy(client: pg.Client): void {
  client.end().catch(() => undefined);
}

function readiness(result: pg.QueryResult<unknown[]>): CheckResult {
  if (result.fields.length === 0) return { ready: true, detail: `${result.command} succeeded` };
  return queryReadiness(result.rows);
}

/** SQLSTATE classes that a later attempt can get past (server starting, overloaded, schema not migrated). */
const RETRYABLE_STATES = new Map<string, string>([
  ['57P03', 'starting-up'],
  ['57P01', 'shutting-down'],
  ['57P02', 'shutting-down'],
  ['53300', 'too-many-connections'],
  ['25006', 'read-only'],
  ['42P01', 'schema-not-ready'],
  ['42703', 'schema-not-ready'],
  ['42883', 'schema-not-ready'],
  ['3F000', 'schema-not-ready'],
]);
const RETRYABLE_CLASSES = new Set(['08', '40', '53', '57', '58']);

export function classifyPostgresError(error: unknown, settings: CheckSettings): CheckFailure {
  const network = classifyNetworkError(error);
  if (network) return network;
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const state = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (!state) {
    if (/does not support SSL/i.test(message))
      return new CheckFailure('tls', `${message}; use sslmode=disable or enable TLS on the server`, false, { cause: error });
    // The answer to the TLS request was neither PostgreSQL's "S" nor "N".
    if (/error establishing an SSL connection/i.test(message)) {
      return new CheckFailure('protocol', "the answer to the TLS request is not PostgreSQL's: is this the PostgreSQL port?", false, { cause: error });
    }
    if (/timeout|terminated|closed|ended/i.test(message)) return new CheckFailure('connection', message, true, { cause: error });
    return new CheckFailure('error', message, false, { cause: error });
  }
  const withState = `${message} (${state})`;
  // pg_hba `cert` (or clientcert=verify-full): no certificate, or one whose CN is not the user.
  if (state === '28000' && /certificate/i.test(message)) {
    return new CheckFailure(
      'client-cert',
      `${withState}: the server refused the client certificate for this user; waiting cannot fix this: send one (sslcert and sslkey, or --cert-file and --key-file) whose CN is the user name, unless pg_ident.conf maps it`,
      false,
      { cause: error },
    );
  }
  if (state === '28P01' || state === '28000')
    return new CheckFailure('auth', `${withState}; waiting cannot fix this: check the user and password`, false, { cause: error });
  if (state === '3D000') {
    return settings.waitForDatabaseCreation
      ? new CheckFailure('database-missing', withState, true, { cause: error })
      : new CheckFailure('database-missing', `${withState}; create it, fix the name, or pass --wait-for-database-creation`, false, { cause: error });
  }
  const known = RETRYABLE_STATES.get(state);
  if (known) return new CheckFailure(known, withState, true, { cause: error });
  if (RETRYABLE_CLASSES.has(state.slice(0, 2))) return new CheckFailure('server', withState, true, { cause: error });
  return new CheckFailure(state.startsWith('42') ? 'query' : 'error', withState, false, { cause: error });
}
