// Selection by prefix and by tags over more than 20 secrets: pagination, batching of 20, the bound on
// calls, and the exact re-check of what Secrets Manager's broader filters return.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testAwsEndpointUrl } from '../../helpers/services.ts';
import { startAwsProxy, type AwsProxy } from './aws-proxy.ts';
import { failureLine } from '../../helpers/run.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, manifestOf, secretsClient, summaryLine, uniquePrefix } from './fixtures.ts';

const client = secretsClient();
let proxy: AwsProxy;
const p = uniquePrefix('select');
const COUNT = 45;

before(async () => {
  proxy = await startAwsProxy(testAwsEndpointUrl());
  const creations = [];
  for (let i = 0; i < COUNT; i++) {
    const tags = { team: i % 3 === 0 ? 'pay' : 'other', env: 'prod' };
    creations.push(createSecret(client, `${p}svc/s${String(i).padStart(2, '0')}`, `value-${i}`, tags));
  }
  // Decoys for the exact checks: a name that only shares a case-insensitive prefix, a tag value that
  // only starts with "pay", a secret that has key team and value pay but on different tags.
  creations.push(createSecret(client, `${p.toUpperCase()}svc/upper`, 'decoy', { team: 'pay', env: 'prod' }));
  creations.push(createSecret(client, `${p}svc/payments`, 'decoy', { team: 'payments', env: 'prod' }));
  creations.push(createSecret(client, `${p}svc/crossed`, 'decoy', { team: 'other', env: 'pay', owner: 'prod' }));
  await Promise.all(creations);
});
after(async () => {
  client.destroy();
  await proxy.close();
});

test('--prefix over 45 secrets: pages of 20, every secret written, at most ceil(n/20)+1 calls', async () => {
  const out = tempDir();
  const before = proxy.total();
  const run = await copySecrets(['--out', out, '--prefix', `${p}svc/s`, '--strip-prefix'], { endpoint: proxy.url });
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  assert.equal(files.size, COUNT + 1);
  for (let i = 0; i < COUNT; i++) assert.equal(files.get(String(i).padStart(2, '0'))?.toString(), `value-${i}`);
  const calls = proxy.total() - before;
  assert.ok(calls >= Math.ceil(COUNT / 20) && calls <= Math.ceil(COUNT / 20) + 1, `calls: ${calls}`);
  assert.equal(summaryLine(run).apiCalls, calls, 'the summary counts the calls the server saw');
});

test('--prefix is exact and case-sensitive: the server-side filter is broader', async () => {
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--prefix', `${p}svc/`, '--explain'], { endpoint: proxy.url });
  assert.equal(run.code, 0, run.stderr);
  const files = summaryLine(run).files as string[];
  assert.equal(files.length, COUNT + 2, 'the 45, payments and crossed; not the upper-case one');
  assert.ok(!files.some((f) => f.includes('upper')));
});

test('--tag selects exactly the secrets with every given tag value (BatchGetSecretValue by ARN after ListSecrets)', async () => {
  const out = tempDir();
  const before = { ...proxy.calls };
  const run = await copySecrets(['--out', out, '--prefix', `${p}svc/`, '--strip-prefix', '--tag', 'team=pay', '--tag', 'env=prod', '--concurrency', '2'], {
    endpoint: proxy.url,
  });
  assert.equal(run.code, 0, run.stderr);
  const expected = Array.from({ length: COUNT }, (_, i) => i)
    .filter((i) => i % 3 === 0)
    .map((i) => `s${String(i).padStart(2, '0')}`);
  const files = readPublished(out);
  assert.deepEqual(
    [...files.keys()].filter((n) => n !== 'manifest.json'),
    expected,
  );
  assert.equal(manifestOf(out).files.length, expected.length);
  const batches = (proxy.calls.BatchGetSecretValue ?? 0) - (before.BatchGetSecretValue ?? 0);
  const lists = (proxy.calls.ListSecrets ?? 0) - (before.ListSecrets ?? 0);
  assert.equal(batches, Math.ceil(expected.length / 20));
  assert.equal(lists, 1);
});

test('a selection that matches nothing fails (exit 3) unless --allow-empty', async () => {
  const none = await copySecrets(['--out', tempDir(), '--prefix', `${p}nothing-here/`]);
  assert.equal(none.code, 3, none.stderr);
  assert.match(failureLine(none).msg, /selected no secret/);
  const out = tempDir();
  const empty = await copySecrets(['--out', out, '--tag', `no-such-tag-${p}=x`, '--allow-empty']);
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual([...readPublished(out).keys()], ['manifest.json']);
});

test('many explicit secrets are fetched 20 per call with a bounded number in flight', async () => {
  const ids = Array.from({ length: COUNT }, (_, i) => `${p}svc/s${String(i).padStart(2, '0')}`);
  const before = proxy.calls.BatchGetSecretValue ?? 0;
  proxy.resetInFlight();
  const run = await copySecrets(['--out', tempDir(), '--concurrency', '2', ...ids], { endpoint: proxy.url });
  assert.equal(run.code, 0, run.stderr);
  assert.equal((proxy.calls.BatchGetSecretValue ?? 0) - before, Math.ceil(COUNT / 20));
  assert.ok(proxy.maxInFlight() <= 2, `in flight at once: ${proxy.maxInFlight()}`);
  proxy.resetInFlight();
  const one = await copySecrets(['--out', tempDir(), '--concurrency', '1', ...ids], { endpoint: proxy.url });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(proxy.maxInFlight(), 1);
  assert.equal((summaryLine(run).files as string[]).length, COUNT);
});
