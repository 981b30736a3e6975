// wait-for-db against real Redis servers: the shared one (with a password), private ones that start
// late, are loading their dataset, or are replicas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundle, startTool } from '../../helpers/run.ts';
import { freePort, startRedis, testRedisUrl } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });

test('Redis with a password is ready; a wrong password fails with exit 3 at once and is never shown', async () => {
  const ok = await runBundle('wait-for-db', [testRedisUrl()]);
  assert.equal(ok.code, 0, ok.stderr);
  const wrong = new URL(testRedisUrl());
  wrong.password = 'Wr0ngRedisCanary';
  const bad = await runBundle('wait-for-db', ['--timeout', '30s', wrong.href]);
  assert.equal(bad.code, 3, bad.stderr);
  // Fail fast: one attempt, not retries until the 30 s deadline (wall time would also count Node's start-up).
  assert.equal(bad.logs.filter((l) => l.msg === 'not ready').length, 1, bad.stderr);
  assert.ok(bad.durationMs < 10_000, `took ${bad.durationMs}ms`);
  assert.match(bad.stderr, /WRONGPASS/);
  assert.ok(!bad.stderr.includes('Wr0ngRedisCanary'));
});

test('Redis that requires a password we did not give fails with exit 3 (NOAUTH)', async () => {
  const url = new URL(testRedisUrl());
  url.password = '';
  const result = await runBundle('wait-for-db', ['--timeout', '30s', url.href]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(
    String(result.logs.at(-1)?.msg),
    /: the server requires a password and none was given \(NOAUTH\); waiting cannot fix this: add it to the target URL \(user:password@ before the host\) or name the target and pass --password-env NAME=VAR$/,
  );
});

test('a Redis that starts after the tool began waiting is detected', async () => {
  const port = await freePort();
  const waiting = startTool('wait-for-db', ['--timeout', '30s', `redis://:late-pass@127.0.0.1:${port}/0`]);
  await waiting.stderrMatches(/"errorClass":"refused"/);
  const server = await startRedis({ port, password: 'late-pass' });
  try {
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await server.stop();
  }
});

test('Redis answering LOADING is not ready until the dataset is loaded', async () => {
  const port = await freePort();
  const dir = tempDir('wfd-redis-loading-');
  const conf = (extra: string[]) => {
    writeFileSync(
      join(dir, 'redis.conf'),
      ['bind 127.0.0.1', `port ${port}`, `dir ${dir}`, 'appendonly no', 'enable-debug-command local', ...extra].join('\n') + '\n',
    );
    return join(dir, 'redis.conf');
  };
  // Make a dataset, save it, then restart with a per-key load delay (a Redis debug setting) so loading lasts.
  let server = spawn('redis-server', [conf([])], { stdio: 'ignore' });
  try {
    await runBundle('wait-for-db', [`tcp://127.0.0.1:${port}`]);
    assert.equal(cli(port, 'DEBUG', 'POPULATE', '3000').trim(), 'OK');
    assert.equal(cli(port, 'SAVE').trim(), 'OK');
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    server = spawn('redis-server', [conf(['key-load-delay 1000', 'loading-process-events-interval-bytes 1024'])], { stdio: 'ignore' });
    const result = await runBundle('wait-for-db', ['--timeout', '30s', `redis://127.0.0.1:${port}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      result.logs.some((l) => l.errorClass === 'loading'),
      result.stderr.slice(0, 1500),
    );
  } finally {
    server.kill('SIGKILL');
  }
});

test('--redis-role master waits while the server is a replica, and is ready once it is promoted', async () => {
  const server = await startRedis({ replicaOf: { host: '127.0.0.1', port: await freePort() } });
  try {
    await server.spawned;
    const replica = await runBundle('wait-for-db', ['--timeout', '1s', '--redis-role', 'replica', server.url]);
    assert.equal(replica.code, 124, replica.stderr);
    assert.match(replica.stderr, /link to its master is down/);

    const waiting = startTool('wait-for-db', ['--timeout', '30s', '--redis-role', 'master', server.url]);
    await waiting.stderrMatches(/role is slave, waiting for master/);
    cli(server.port, 'REPLICAOF', 'NO', 'ONE');
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await server.stop();
  }
});
