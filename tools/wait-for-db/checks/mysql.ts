// mysql:// and mariadb:// are ready when a fresh connection authenticates and the readiness query gets a
// truthy answer. TLS follows the MySQL client's --ssl-mode, written as the URL parameter ssl-mode.

import { connect, isIP, type Socket } from 'node:net';
import mysql from 'mysql2';
import type { ConnectionOptions, QueryError, SslOptions } from 'mysql2';
import { UsageError } from '../../core/errors.ts';
import { CheckFailure, classifyNetworkError, queryReadiness, type CheckResult } from '../outcome.ts';
import type { CheckSettings } from '../settings.ts';
import { databaseName, type Target } from '../target.ts';
import { targetCa, targetClientCertificate } from '../target-tls.ts';

const URL_PARAMETERS = new Set(['ssl-mode', 'ssl-ca', 'ssl-cert', 'ssl-key']);
const SSL_MODES = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'];

/** The connection of every attempt; `plainWithoutTls`: ssl-mode PREFERRED, plain only when the server has no TLS. */
export interface MysqlConfig {
  connection: ConnectionOptions;
  plainWithoutTls: boolean;
}

/** Validates what can be validated before waiting (URL parameters, ssl-mode, files). */
export async function mysqlConfig(target: Target, settings: CheckSettings): Promise<MysqlConfig> {
  const params = target.url.searchParams;
  for (const name of params.keys()) {
    if (!URL_PARAMETERS.has(name)) {
      throw new UsageError(`invalid target "${target.display}": unsupported parameter "${name}"; supported: ${[...URL_PARAMETERS].join(', ')}`);
    }
  }
  // The mysql client would log in as the OS user; in a container that is nobody's account.
  if (!target.user) {
    throw new UsageError(
      `invalid target "${target.display}": a ${target.url.protocol}// target needs a user, e.g. ${target.url.protocol}//app@db:3306/app (or name it and pass --user-env NAME=VAR)`,
    );
  }
  const config: ConnectionOptions = {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password ?? '',
    database: databaseName(target),
    // A hostile or hijacked server must not be able to ask for a local file (LOAD DATA LOCAL INFILE).
    flags: ['-LOCAL_FILES'],
    // Row parsers built without new Function: one small query does not need the speed.
    disableEval: true,
    rowsAsArray: true,
    connectAttributes: { program_name: 'wait-for-db' },
  };
  const { mode, ssl } = await sslOptions(target, settings, params.get('ssl-mode'), params.get('ssl-ca'));
  if ((params.has('ssl-cert') || params.has('ssl-key')) && (mode === 'DISABLED' || mode === 'PREFERRED')) {
    throw new UsageError(
      `invalid target "${target.display}": ssl-cert and ssl-key need TLS, and ssl-mode ${mode} may connect without; use ssl-mode=VERIFY_IDENTITY (or VERIFY_CA, REQUIRED)`,
    );
  }
  if (ssl) config.ssl = { ...ssl, ...(await targetClientCertificate(target, settings.tls, { cert: 'ssl-cert', key: 'ssl-key' })) };
  if (ssl?.verifyIdentity && isIP(target.host)) config.stream = () => socketNamed(target.host, target.port as number);
  return { connection: config, plainWithoutTls: mode === 'PREFERRED' };
}

/**
 * The MySQL client's ssl-mode: DISABLED connects without TLS; PREFERRED (the default) uses TLS without
 * verifying it when the server offers it, and connects without TLS when it does not (MySQL 8's
 * caching_sha2_password then needs TLS for its first login after a restart, as the MySQL client does);
 * REQUIRED encrypts without verifying, unless a CA is given (ssl-ca or --ca-file), then it verifies the
 * chain like VERIFY_CA; VERIFY_IDENTITY also checks the host name.
 */
async function sslOptions(
  target: Target,
  settings: CheckSettings,
  written: string | null,
  caPath: string | null,
): Promise<{ mode: string; ssl: SslOptions | undefined }> {
  const mode = (written ?? 'PREFERRED').toUpperCase().replaceAll('-', '_');
  if (!SSL_MODES.includes(mode)) {
    throw new UsageError(`invalid target "${target.display}": ssl-mode "${written}" is not one of ${SSL_MODES.join(', ')}`);
  }
  if (mode === 'DISABLED') return { mode, ssl: undefined };
  if (mode === 'PREFERRED') return { mode, ssl: { rejectUnauthorized: false, verifyIdentity: false } };
  const ca = await targetCa(target, settings.tls, 'ssl-ca', caPath);
  const verify = !settings.tls.insecureSkipVerify && (mode !== 'REQUIRED' || ca !== undefined);
  return { mode, ssl: { ca, rejectUnauthorized: verify, verifyIdentity: verify && mode === 'VERIFY_IDENTITY' } };
}

/**
 * mysql2 sends no SNI to an IP address, and then Node checks the certificate against the socket's host
 * name, which a socket connected to an IP address lacks: it checked "localhost" instead, so VERIFY_IDENTITY
 * took any certificate for localhost at 127.0.0.2. The socket gets the IP address as its name.
 */
function socketNamed(host: string, port: number): Socket {
  const socket = connect(port, host);
  socket.setNoDelay(true);
  (socket as Socket & { _host: string | null })._host = host;
  return socket;
}

/** One attempt; with ssl-mode PREFERRED, a server without TLS is asked again at once without it. */
export async function checkMysql(config: MysqlConfig, settings: CheckSettings, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  try {
    return await checkOnce(config.connection, settings, timeoutMs, signal);
  } catch (error) {
    const noTls = error instanceof CheckFailure && (error.cause as QueryError | undefined)?.code === 'HANDSHAKE_NO_SSL_SUPPORT';
    if (!noTls || !config.plainWithoutTls) throw error;
    return checkOnce({ ...config.connection, ssl: undefined }, settings, timeoutMs, signal);
  }
}

function checkOnce(config: ConnectionOptions, settings: CheckSettings, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  const connection = mysql.createConnection({ ...config, connectTimeout: timeoutMs });
  // Errors after the attempt (the server going away) are not this attempt's result.
  connection.on('error', () => undefined);
  const abort = () => connection.destroy();
  signal.addEventListener('abort', abort, { once: true });
  return new Promise<CheckResult>((resolve, reject) => {
    connection.query({ sql: settings.mysqlQuery, timeout: timeoutMs, rowsAsArray: true }, (error, result) => {
      if (signal.aborted) reject(signal.reason);
      else if (error) reject(classifyMysqlError(error, settings));
      else resolve(Array.isArray(result) ? queryReadiness(rowsOf(result)) : { ready: true, detail: 'statement succeeded' });
    });
  }).finally(() => {
    signal.removeEventListener('abort', abort);
    connection.destroy();
  });
}

/** The first result set's rows: a query of several statements answers with one array per statement. */
function rowsOf(result: unknown[]): unknown[][] {
  const first = result[0];
  return Array.isArray(first) && Array.isArray(first[0]) ? (first as unknown[][]) : (result as unknown[][]);
}

/** Server errors a later attempt can get past (starting, shutting down, overloaded, schema not migrated). */
const RETRYABLE_ERRORS = new Map<string, string>([
  ['ER_CON_COUNT_ERROR', 'too-many-connections'],
  ['ER_TOO_MANY_USER_CONNECTIONS', 'too-many-connections'],
  ['ER_SERVER_SHUTDOWN', 'shutting-down'],
  ['ER_CONNECTION_KILLED', 'shutting-down'],
  ['ER_QUERY_INTERRUPTED', 'shutting-down'],
  ['ER_LOCK_WAIT_TIMEOUT', 'server'],
  ['ER_LOCK_DEADLOCK', 'server'],
  ['ER_OPTION_PREVENTS_STATEMENT', 'read-only'],
  ['ER_NO_SUCH_TABLE', 'schema-not-ready'],
  ['ER_BAD_FIELD_ERROR', 'schema-not-ready'],
  ['ER_SP_DOES_NOT_EXIST', 'schema-not-ready'],
  ['PROTOCOL_CONNECTION_LOST', 'closed'],
  ['PROTOCOL_SEQUENCE_TIMEOUT', 'timeout'],
]);

export function classifyMysqlError(error: QueryError, settings: CheckSettings): CheckFailure {
  const network = classifyNetworkError(error);
  if (network) return network;
  const code = typeof error.code === 'string' ? error.code : 'error';
  const text = error.sqlState ? `${error.message} (${code}, SQLSTATE ${error.sqlState})` : `${error.message} (${code})`;
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR') {
    return new CheckFailure('auth', `${text}; waiting cannot fix this: check the user, the password and the user's grants`, false, { cause: error });
  }
  if (code === 'ER_HOST_NOT_PRIVILEGED' || code === 'ER_HOST_IS_BLOCKED') {
    return new CheckFailure('auth', `${text}; waiting cannot fix this: the server does not let this host in`, false, { cause: error });
  }
  if (code === 'ER_BAD_DB_ERROR') {
    return settings.waitForDatabaseCreation
      ? new CheckFailure('database-missing', text, true, { cause: error })
      : new CheckFailure('database-missing', `${text}; create it, fix the name, or pass --wait-for-database-creation`, false, { cause: error });
  }
  // mysql2 replaces the TLS error's own code with this one; its message still says what failed.
  if (code === 'HANDSHAKE_SSL_ERROR') {
    return new CheckFailure(
      'tls',
      `TLS handshake failed: ${error.message}; check the CA (--ca-file or ssl-ca), the host name of the URL and any client certificate`,
      false,
      { cause: error },
    );
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new CheckFailure(
      'tls',
      'the server does not support TLS, which the ssl-mode requires: enable TLS on the server, or lower ssl-mode (not with --rds-iam-auth, which needs TLS)',
      false,
      { cause: error },
    );
  }
  // mysql2 refused to send the password over plain TCP: in clear text (mysql_clear_password), or encrypted
  // with an RSA key the server itself would send (sha256_password, caching_sha2_password's full
  // authentication). Its message names its own options, which this tool does not have.
  if (code === 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED' || code === 'PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED') {
    const asked =
      code === 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED'
        ? 'in clear text (mysql_clear_password)'
        : "encrypted with an RSA key it would send itself (sha256_password or caching_sha2_password's full authentication)";
    return new CheckFailure(
      'auth',
      `the server asked for the password ${asked} over a connection without TLS, which would expose it: not sent (${code}); waiting cannot fix this: connect over TLS (ssl-mode=VERIFY_IDENTITY, or REQUIRED)`,
      false,
      { cause: error },
    );
  }
  if (/requires secure connection/i.test(error.message)) {
    return new CheckFailure('auth', `${text}; waiting cannot fix this: connect over TLS (ssl-mode=REQUIRED or stricter)`, false, { cause: error });
  }
  const known = RETRYABLE_ERRORS.get(code);
  if (known) return new CheckFailure(known, text, true, { cause: error });
  if (/^(ETIMEDOUT|PROTOCOL_)/.test(code) || /timeout|closed/i.test(error.message)) return new CheckFailure('connection', text, true, { cause: error });
  return new CheckFailure(code.startsWith('ER_') && error.sqlState?.startsWith('42') ? 'query' : 'error', text, false, { cause: error });
}
