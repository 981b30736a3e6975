// The shared services answer with the advertised credentials (and only with them), and the private-server
// helpers give what the wait-for-db tests rely on: a late start, a server refusing with 57P03, a replica.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import pg from 'pg';
import { freePort, startPostgres, startRedis, testAwsEndpointUrl, testPgUrl, testRedisUrl } from '../../helpers/services.ts';

function psql(url: string, sql: string): string {
  return execFileSync('psql', ['-XAtq', url, '-c', sql], { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5' } }).trim();
}

// redis-cli's -u sends an empty user name for redis://:pass@..., so pass host, port and password apart.
function redisCliArgs(url: string): [string[], NodeJS.ProcessEnv] {
  const u = new URL(url);
  return [['-h', u.hostname, '-p', u.port], { ...process.env, REDISCLI_AUTH: decodeURIComponent(u.password) }];
}

/** stdout and stderr together: redis-cli reports a failed AUTH on stderr. */
function redisCli(url: string, ...args: string[]): string {
  const [connection, env] = redisCliArgs(url);
  const result = spawnSync('redis-cli', [...connection, ...args], { encoding: 'utf8', env });
  return `${result.stdout}${result.stderr}`.trim();
}

async function pgConnectError(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await client.end().catch(() => {});
  }
}

test('TEST_PG_URL runs a query; a wrong password is refused with 28P01', async () => {
  assert.equal(psql(testPgUrl(), 'select 40 + 2'), '42');
  assert.equal(await pgConnectError(testPgUrl().replace(':toolkit-pass@', ':wrong@')), '28P01');
});

test('TEST_REDIS_URL answers PING; a wrong password gets WRONGPASS', () => {
  assert.equal(redisCli(testRedisUrl(), 'ping'), 'PONG');
  assert.match(redisCli(testRedisUrl().replace(':redis-pass@', ':wrong@'), 'ping'), /WRONGPASS/);
});

test('TEST_AWS_ENDPOINT_URL is a moto server that speaks S3', async () => {
  const dashboard = await fetch(`${testAwsEndpointUrl()}/moto-api/`);
  assert.equal(dashboard.status, 200);
  assert.match(await dashboard.text(), /moto/i);
  const listBuckets = await fetch(`${testAwsEndpointUrl()}/`);
  assert.equal(listBuckets.status, 200);
  assert.match(await listBuckets.text(), /<ListAllMyBucketsResult/);
});

test('startPostgres with startAfter: nothing listens before it resolves, queries work after', async () => {
  let start = (): void => {};
  const server = await startPostgres({ startAfter: new Promise<void>((resolve) => (start = resolve)) });
  try {
    assert.equal(await pgConnectError(server.url), 'ECONNREFUSED');
    start();
    await server.ready;
    assert.equal(psql(server.url, 'select 1'), '1');
  } finally {
    await server.stop();
  }
  assert.equal(await pgConnectError(server.url), 'ECONNREFUSED');
});

test('startPostgres in recovery refuses with 57P03 until promoted', async () => {
  const server = await startPostgres({ startInRecovery: true });
  try {
    await server.spawned;
    let code: string | undefined;
    for (let i = 0; i < 100 && code !== '57P03'; i++) {
      code = await pgConnectError(server.url);
      if (code !== '57P03') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(code, '57P03');
    await server.promote();
    await server.ready;
    assert.equal(psql(server.url, 'select pg_is_in_recovery()'), 'f');
  } finally {
    await server.stop();
  }
});

test('startRedis with a password and as a replica', async () => {
  const port = await freePort();
  const server = await startRedis({ port, password: 'private-pass', replicaOf: { host: '127.0.0.1', port: await freePort() } });
  try {
    await server.spawned;
    let pong = '';
    for (let i = 0; i < 100 && pong !== 'PONG'; i++) {
      pong = redisCli(server.url, 'ping');
      if (pong !== 'PONG') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(pong, 'PONG');
    assert.match(redisCli(server.url, 'info', 'replication'), /role:slave/);
    assert.match(redisCli(`redis://127.0.0.1:${port}/0`, 'ping'), /NOAUTH/);
  } finally {
    await server.stop();
  }
});
