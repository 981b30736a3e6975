import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPostgresError } from '../../../tools/wait-for-db/checks/postgres.ts';
import { classifyRedisError, roleReadiness } from '../../../tools/wait-for-db/checks/redis.ts';
import { buildSettings } from '../../../tools/wait-for-db/settings.ts';

const settings = (waitForDatabaseCreation = false) =>
  buildSettings({
    pgQuery: 'SELECT 1',
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
