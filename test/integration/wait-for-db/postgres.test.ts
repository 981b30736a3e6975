// wait-for-db against real PostgreSQL servers: the shared test server and private ones that start late,
// stay in startup, or lack the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { tempDir } from '../../helpers/temp-dir.ts';
import { runBundle, startTool } from '../../helpers/run.ts';
import { freePort, startPostgres, testPgUrl } from '../../helpers/services.ts';

const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.href;
};

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

test('a PostgreSQL that starts after the tool began waiting is detected', async () => {
  const port = await freePort();
  // Debug level: every attempt is logged, so the server starts only after a few refused ones.
  const waiting = startTool('wait-for-db', ['--timeout', '40s', `postgres://toolkit:toolkit-pass@127.0.0.1:${port}/postgres`], { env: { LOG_LEVEL: 'debug' } });
  await waiting.stderrMatches(/"attempt":3,.*"errorClass":"refused"/);
  const server = await startPostgres({ port });
  try {
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
    const attempts = result.logs.filter((l) => l.msg === 'not ready');
    assert.ok(
      attempts.every((l) => ['refused', 'starting-up', 'connection'].includes(String(l.errorClass))),
      JSON.stringify(attempts.map((l) => l.errorClass)),
    );
    assert.equal(result.logs.at(-1)?.msg, 'all targets ready');
  } finally {
    await server.stop();
  }
});

test('a server that never comes ends with exit 124 at the deadline, naming the target and its last error', async () => {
  const port = await freePort();
  const terminationLog = join(tempDir('wfd-term-'), 'termination-log');
  writeFileSync(terminationLog, '');
  const url = `postgres://toolkit:never-shown-pw@127.0.0.1:${port}/app`;
  const result = await runBundle('wait-for-db', ['--timeout', '1500ms', url], { env: { TERMINATION_LOG_PATH: terminationLog } });
  assert.equal(result.code, 124, result.stderr);
  assert.ok(result.durationMs < 10_000, `took ${result.durationMs}ms`);
  const last = result.logs.at(-1);
  assert.equal(last?.level, 'error');
  const expected = new RegExp(`deadline of 1.5s reached: 1 of 1 targets not ready: postgres://toolkit:\\*\\*\\*@127.0.0.1:${port}/app .*connection refused`);
  assert.match(String(last?.msg), expected);
  const termination = readFileSync(terminationLog, 'utf8');
  assert.match(termination, expected);
  assert.ok(!result.stderr.includes('never-shown-pw') && !termination.includes('never-shown-pw'));
});

test('a wrong password fails with exit 3 at once, and the password appears nowhere', async () => {
  const url = new URL(testPgUrl());
  url.password = 'Wr0ng-Passw0rd-Canary';
  const result = await runBundle('wait-for-db', ['--timeout', '30s', url.href]);
  assert.equal(result.code, 3, result.stderr);
  // Fail fast: one attempt, not retries until the 30 s deadline (wall time would also count Node's start-up).
  assert.equal(result.logs.filter((l) => l.msg === 'not ready').length, 1, result.stderr);
  assert.ok(result.durationMs < 10_000, `took ${result.durationMs}ms`);
  assert.match(result.stderr, /password authentication failed.*28P01/);
  assert.ok(!result.stderr.includes('Wr0ng-Passw0rd-Canary') && !result.stdout.includes('Wr0ng-Passw0rd-Canary'));
});

test('an unknown database fails with exit 3, or is waited for with --wait-for-database-creation', async () => {
  const name = `wfd_${process.pid}_${Date.now()}`;
  const missing = await runBundle('wait-for-db', ['--timeout', '30s', withDb(testPgUrl(), name)]);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /does not exist \(3D000\).*--wait-for-database-creation/);

  const waiting = startTool('wait-for-db', ['--timeout', '30s', '--wait-for-database-creation', withDb(testPgUrl(), name)]);
  await waiting.stderrMatches(/"errorClass":"database-missing"/);
  await sql(testPgUrl(), `CREATE DATABASE ${name}`);
  try {
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await sql(testPgUrl(), `DROP DATABASE IF EXISTS ${name}`);
  }
});

test('a PostgreSQL still in startup (57P03) is not ready until it accepts connections', async () => {
  const server = await startPostgres({ startInRecovery: true });
  try {
    await server.spawned;
    const waiting = startTool('wait-for-db', ['--timeout', '40s', server.url]);
    // Promote only once the tool has seen the server refuse with "starting up".
    await waiting.stderrMatches(/"errorClass":"starting-up"/);
    await server.promote();
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await server.stop();
  }
});

test('--pg-query waits for a migration: not ready while the table is missing or the answer is false', async () => {
  const table = `wfd_migrations_${process.pid}_${Date.now()}`;
  const query = `SELECT count(*) > 0 FROM ${table} WHERE version = 42`;
  const waiting = startTool('wait-for-db', ['--timeout', '30s', '--pg-query', query, testPgUrl()]);
  await waiting.stderrMatches(/"errorClass":"schema-not-ready"/);
  await sql(testPgUrl(), `CREATE TABLE ${table} (version int)`);
  await waiting.stderrMatches(/"errorClass":"not-ready"/);
  await sql(testPgUrl(), `INSERT INTO ${table} VALUES (42)`);
  try {
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await sql(testPgUrl(), `DROP TABLE IF EXISTS ${table}`);
  }
});

test('a readiness query with a syntax error fails fast with exit 3', async () => {
  const result = await runBundle('wait-for-db', ['--pg-query', 'SELEC 1', testPgUrl()]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /syntax error.*42601/);
});

test('libpq PG* variables fill what the URL leaves out', async () => {
  const url = new URL(testPgUrl());
  const result = await runBundle('wait-for-db', [`postgres://${url.host}/${url.pathname.slice(1)}`], {
    env: { PGUSER: 'toolkit', PGPASSWORD: decodeURIComponent(url.password) },
  });
  assert.equal(result.code, 0, result.stderr);
});

test('sslmode=require against a server without TLS fails fast naming the fix', async () => {
  const result = await runBundle('wait-for-db', [`${testPgUrl()}?sslmode=require`]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /does not support SSL.*sslmode=disable/);
});
