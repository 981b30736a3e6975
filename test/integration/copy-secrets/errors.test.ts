// Error classes through the real SDK: faults injected by a proxy in front of moto (throttling, 5xx,
// access denied, KMS), a closed port for network errors. Each class has its own message and exit code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { freePort, testAwsEndpointUrl } from '../../helpers/services.ts';
import { startAwsProxy, type AwsProxy } from './aws-proxy.ts';
import { failureLine } from '../../helpers/run.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, secretsClient, summaryLine, uniquePrefix } from './fixtures.ts';

const client = secretsClient();
let proxy: AwsProxy;
const p = uniquePrefix('errors');

before(async () => {
  proxy = await startAwsProxy(testAwsEndpointUrl());
  await createSecret(client, `${p}db`, 'db-value-1234');
  for (let i = 0; i < 3; i++) await createSecret(client, `${p}many/s${i}`, `many-${i}`);
});
after(async () => {
  client.destroy();
  await proxy.close();
});

/** Runs with a fresh proxy rule: the first `times` calls get `fault`, later ones pass through. */
async function withFaults(fault: { status: number; type: string; message?: string }, times: number, args: string[]) {
  let seen = 0;
  proxy.inject(() => (seen++ < times ? fault : undefined));
  try {
    return await copySecrets(args, { endpoint: proxy.url });
  } finally {
    proxy.inject(undefined);
  }
}

test('throttling and 5xx are retried with backoff, then the run succeeds', async () => {
  for (const fault of [
    { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
    { status: 500, type: 'InternalServiceError' },
    { status: 503, type: 'ServiceUnavailable' },
  ]) {
    const out = tempDir();
    const run = await withFaults(fault, 2, ['--out', out, `${p}db?as=db`]);
    assert.equal(run.code, 0, `${fault.type}: ${run.stderr}`);
    assert.equal(readPublished(out).get('db')?.toString(), 'db-value-1234');
    const retries = run.logs.filter((l) => String(l.msg).endsWith('retrying'));
    assert.equal(retries.length, 2, fault.type);
    assert.match(String(retries[0]?.error), new RegExp(fault.type));
    assert.equal(summaryLine(run).apiCalls, 3);
  }
});

test('prefix pages are retried too', async () => {
  const run = await withFaults({ status: 400, type: 'ThrottlingException' }, 1, ['--out', tempDir(), '--prefix', `${p}many/`]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((summaryLine(run).files as string[]).length, 3);
});

test('throttling that outlasts the deadline ends with exit 124 naming the last error', async () => {
  const out = tempDir();
  const run = await withFaults({ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, 1_000_000, [
    '--out',
    out,
    '--timeout',
    '1500ms',
    `${p}db`,
  ]);
  assert.equal(run.code, 124, run.stderr);
  assert.match(failureLine(run).msg, /deadline .*reached.*; last error: .*ThrottlingException \(HTTP 400\): Rate exceeded/);
  assert.match(run.termination, /deadline .*reached/);
  assert.ok(run.durationMs < 10_000, `stopped by the deadline, not by the endless throttling (${run.durationMs} ms)`);
  assert.deepEqual(readdirSync(out), []);
});

test('access denied: exit 3 at once, told apart from not found', async () => {
  const run = await withFaults(
    { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: secretsmanager:BatchGetSecretValue' },
    1_000_000,
    ['--out', tempDir(), `${p}db`],
  );
  assert.equal(run.code, 3, run.stderr);
  assert.match(failureLine(run).msg, /access denied \(AccessDeniedException \(HTTP 400\): User is not authorized.*see the IAM policy/);
  assert.equal(failureLine(run).apiCalls ?? 1, 1);
  assert.equal(run.logs.filter((l) => String(l.msg).endsWith('retrying')).length, 0);
});

test('KMS decrypt failure: exit 3 with a message about kms:Decrypt', async () => {
  const run = await withFaults(
    { status: 400, type: 'DecryptionFailure', message: 'Secrets Manager can’t decrypt the protected secret text using the provided KMS key.' },
    1_000_000,
    ['--out', tempDir(), `${p}db?stage=AWSCURRENT`],
  );
  assert.equal(run.code, 3, run.stderr);
  assert.match(failureLine(run).msg, /KMS could not decrypt it \(DecryptionFailure.*kms:Decrypt/);
});

test('not found through a batch Errors entry (real moto answer): exit 3 naming the secret', async () => {
  const run = await copySecrets(['--out', tempDir(), `${p}db`, `${p}nope`]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(failureLine(run).msg, new RegExp(`secret "${p}nope": not found \\(ResourceNotFoundException`));
});

test('a secret asked in another region is not found there: the hint names the region asked', async () => {
  const run = await copySecrets(['--out', tempDir(), `${p}db`], { env: { AWS_REGION: 'eu-west-3' } });
  assert.equal(run.code, 3, run.stderr);
  assert.match(failureLine(run).msg, new RegExp(`secret "${p}db": not found .*; check the name, the region \\(eu-west-3\\) and the version`));
  const selected = await copySecrets(['--out', tempDir(), '--prefix', p], { env: { AWS_REGION: 'eu-west-3' } });
  assert.equal(selected.code, 3, selected.stderr);
  assert.match(failureLine(selected).msg, /selected no secret; check the prefix, the tags and the region \(eu-west-3\)/);
});

test('network errors are retried until the deadline: exit 124 naming the connection error', async () => {
  const port = await freePort();
  const run = await copySecrets(['--out', tempDir(), '--timeout', '1s', `${p}db`], { endpoint: `http://127.0.0.1:${port}` });
  assert.equal(run.code, 124, run.stderr);
  assert.match(failureLine(run).msg, /ECONNREFUSED/);
  assert.ok(run.logs.some((l) => String(l.msg).endsWith('retrying')));
});

test('no region and no credentials are told apart too', async () => {
  const noRegion = await copySecrets(['--out', tempDir(), `${p}db`], {
    env: { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_CONFIG_FILE: '/nonexistent', AWS_PROFILE: '' },
  });
  assert.equal(noRegion.code, 2, noRegion.stderr);
  assert.match(failureLine(noRegion).msg, /no AWS region: set AWS_REGION/);
  // Worded as fetch-and-convert-data words it (one mapper, core/aws.ts).
  const badRegion = await copySecrets(['--out', tempDir(), `${p}db`], { env: { AWS_REGION: 'bad region!' } });
  assert.equal(badRegion.code, 2, badRegion.stderr);
  assert.match(failureLine(badRegion).msg, /^invalid AWS region \(.*"bad region!".*\): set AWS_REGION to a region such as us-east-1$/);
  const noCredentials = await copySecrets(['--out', tempDir(), `${p}db`], {
    env: {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PROFILE: '',
    },
  });
  assert.equal(noCredentials.code, 3, noCredentials.stderr);
  assert.match(failureLine(noCredentials).msg, /^BatchGetSecretValue of 1 secret: no AWS credentials found/);
});

test('a server that accepts and never answers: each request times out and is retried, the deadline ends the run (exit 124)', async () => {
  const { createServer } = await import('node:net');
  const silent = createServer((socket) => socket.on('data', () => {}));
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  const port = (silent.address() as { port: number }).port;
  try {
    const retried = await copySecrets(['--out', tempDir(), '--timeout', '3s', '--request-timeout', '500ms', `${p}db`], {
      endpoint: `http://127.0.0.1:${port}`,
    });
    assert.equal(retried.code, 124, retried.stderr);
    assert.ok(
      retried.logs.some((l) => String(l.msg).endsWith('retrying') && /requestTimeout/.test(String(l.error))),
      retried.stderr,
    );
    assert.ok(retried.durationMs < 10_000, `ended by the deadline, not by the endless retries (${retried.durationMs} ms)`);
    // A deadline shorter than one request cuts the request in flight.
    const cut = await copySecrets(['--out', tempDir(), '--timeout', '1s', '--request-timeout', '30s', `${p}db`], { endpoint: `http://127.0.0.1:${port}` });
    assert.equal(cut.code, 124, cut.stderr);
    assert.match(failureLine(cut).msg, /deadline of 1000 ms reached while waiting for an answer/);
    assert.ok(cut.durationMs < 10_000, `cut by the deadline, not by the 30 s request timeout (${cut.durationMs} ms)`);
    assert.ok(!cut.stderr.includes('@smithy'), 'no SDK console warning');
  } finally {
    silent.close();
  }
});
