import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPostgresError } from '../../../tools/wait-for-db/checks/postgres.ts';
import { classifyRedisError, roleReadiness } from '../../../tools/wait-for-db/checks/redis.ts';
import type { QueryError } from 'mysql2';
import { classifyMysqlError } from '../../../tools/wait-for-db/checks/mysql.ts';
import { classifyNetworkError, queryReadiness } from '../../../tools/wait-for-db/outcome.ts';
import { buildSettings } from '../../../tools/wait-for-db/settings.ts';

const settings = (waitForDatabaseCreation = false) =>
  buildSettings({
    pgQuery: 'SELECT 1',
    mysqlQuery: 'SELECT 1',
    waitForDatabaseCreation,
    redisRole: 'any',
    httpStatus: '200-299',
    httpBodyMatch: undefined,
    httpHeader: [],
    caFile: undefined,
    certFile: undefined,
    keyFile: undefined,
    insecureSkipVerify: false,
  });
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('PostgreSQL: what waiting can fix is retried, the rest fails fast', async () => {
  const cases: Array<[unknown, string, boolean]> = [
    [pgError('57P03', 'the database system is starting up'), 'starting-up', true],
    [pgError('53300'), 'too-many-connections', true],
    [pgError('42P01'), 'schema-not-ready', true],
    [pgError('08006'), 'server', true],
    [pgError('28P01'), 'auth', false],
    [pgError('28000'), 'auth', false],
    [pgError('28000', 'connection requires a valid client certificate'), 'client-cert', false],
    [pgError('28000', 'certificate authentication failed for user "app"'), 'client-cert', false],
    [pgError('28000', 'no pg_hba.conf entry for host "10.0.0.1", user "app", database "app", no encryption'), 'auth', false],
    [pgError('3D000'), 'database-missing', false],
    [pgError('42601'), 'query', false],
    [pgError('ECONNREFUSED'), 'refused', true],
    [pgError('ENOTFOUND'), 'dns', true],
    [pgError('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls', false],
    [new Error('Connection terminated unexpectedly'), 'connection', true],
  ];
  for (const [error, errorClass, retryable] of cases) {
    const failure = classifyPostgresError(error, await settings());
    assert.deepEqual([failure.errorClass, failure.retryable], [errorClass, retryable], (error as Error).message);
  }
  assert.equal(classifyPostgresError(pgError('3D000'), await settings(true)).retryable, true);
});

test('MySQL: what waiting can fix is retried, the rest fails fast', async () => {
  const mysqlError = (code: string, message = 'x', sqlState?: string) => Object.assign(new Error(message), { code, sqlState }) as QueryError;
  const cases: Array<[QueryError, string, boolean]> = [
    [mysqlError('ER_CON_COUNT_ERROR', 'Too many connections', '08004'), 'too-many-connections', true],
    [mysqlError('ER_SERVER_SHUTDOWN', 'Server shutdown in progress', '08S01'), 'shutting-down', true],
    [mysqlError('ER_NO_SUCH_TABLE', "Table 'app.migrations' doesn't exist", '42S02'), 'schema-not-ready', true],
    [mysqlError('ER_OPTION_PREVENTS_STATEMENT', 'The MariaDB server is running with the --read-only option', 'HY000'), 'read-only', true],
    [mysqlError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), 'closed', true],
    [mysqlError('ECONNREFUSED'), 'refused', true],
    [mysqlError('ER_ACCESS_DENIED_ERROR', "Access denied for user 'app'@'10.0.0.1' (using password: YES)", '28000'), 'auth', false],
    [mysqlError('ER_HOST_NOT_PRIVILEGED', "Host '10.0.0.1' is not allowed to connect"), 'auth', false],
    [mysqlError('ER_BAD_DB_ERROR', "Unknown database 'app'", '42000'), 'database-missing', false],
    [mysqlError('HANDSHAKE_NO_SSL_SUPPORT', 'Server does not support secure connection'), 'tls', false],
    [mysqlError('HANDSHAKE_SSL_ERROR', 'self-signed certificate in certificate chain'), 'tls', false],
    [mysqlError('ER_PARSE_ERROR', 'You have an error in your SQL syntax', '42000'), 'query', false],
    [mysqlError('ER_NOT_SUPPORTED_AUTH_MODE', 'Authentication plugin not supported'), 'error', false],
  ];
  for (const [error, errorClass, retryable] of cases) {
    const failure = classifyMysqlError(error, await settings());
    assert.deepEqual([failure.errorClass, failure.retryable], [errorClass, retryable], error.message);
  }
  assert.equal(classifyMysqlError(mysqlError('ER_BAD_DB_ERROR', "Unknown database 'app'"), await settings(true)).retryable, true);
});

test('a readiness query: the first value of the first row decides, a zero BIT(1) included', () => {
  assert.equal(queryReadiness([[1]]).ready, true);
  assert.equal(queryReadiness([['yes']]).ready, true);
  assert.equal(queryReadiness([[Buffer.from([1])]]).ready, true);
  for (const value of [0, '0', false, 'f', 'false', null, Buffer.from([0])]) {
    assert.equal(queryReadiness([[value]]).ready, false, String(value));
  }
  assert.deepEqual(queryReadiness([]), { ready: false, detail: 'the readiness query returned no rows' });
  assert.equal(queryReadiness([[Buffer.from([0])]]).detail, "the readiness query returned b'0'");
});

test('Redis: LOADING and busy states are retried; auth errors fail fast', () => {
  const cases: Array<[string, string, boolean]> = [
    ['LOADING Redis is loading the dataset in memory', 'loading', true],
    ['WRONGPASS invalid username-password pair', 'auth', false],
    ['NOAUTH Authentication required.', 'auth', false],
    ['MASTERDOWN Link with MASTER is down', 'server', true],
    ['ERR DB index is out of range', 'config', false],
  ];
  for (const [message, errorClass, retryable] of cases) {
    const failure = classifyRedisError(new Error(message));
    assert.deepEqual([failure.errorClass, failure.retryable], [errorClass, retryable], message);
  }
});

test('Redis roles: master, and a replica only once its link is up and the sync done', () => {
  assert.equal(roleReadiness('# Replication\r\nrole:master\r\n', 'master').ready, true);
  assert.equal(roleReadiness('role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\n', 'master').ready, false);
  assert.equal(roleReadiness('role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\n', 'replica').ready, true);
  assert.match(roleReadiness('role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:1\r\n', 'replica').detail, /syncing/);
  assert.match(roleReadiness('role:slave\r\nmaster_link_status:down\r\n', 'replica').detail, /link .* down/);
});

/** OpenSSL's text of an error from the TLS layer, as Node reports it. */
const tlsError = (code: string, reason: string) =>
  pgError(code, `4067:error:0A000418:SSL routines:ssl3_read_bytes:${reason}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 48\n`);

test('TLS: a server\'s alert about the client certificate is a refusal, not "does not speak TLS"', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [
      tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'),
      'client-cert',
      /requires a client certificate and none was sent/,
    ],
    [tlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca'), 'client-cert', /refused the client certificate \(tlsv1 alert unknown ca\)/],
    [tlsError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'sslv3 alert bad certificate'), 'client-cert', /refused the client certificate/],
    [tlsError('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'sslv3 alert certificate expired'), 'client-cert', /refused the client certificate/],
    // TLS 1.2 without a certificate, or no common cipher: the server speaks TLS, the reason stays open.
    [tlsError('EPROTO', 'ssl/tls alert handshake failure'), 'tls', /ended the TLS handshake \(ssl\/tls alert handshake failure\).*--cert-file/],
    [tlsError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'tls', /does not speak TLS on this port/],
    [pgError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls', /--ca-file/],
  ];
  for (const [error, errorClass, message] of cases) {
    const failure = classifyNetworkError(error);
    assert.deepEqual([failure?.errorClass, failure?.retryable], [errorClass, false], (error as Error).message);
    assert.match(failure!.message, message);
  }
});
