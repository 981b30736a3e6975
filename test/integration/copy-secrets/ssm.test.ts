// SSM Parameter Store as a source (`ssm:` references), against moto's SSM: named parameters (String and
// SecureString, by version and label, a key of a JSON value), a path read recursively, into the same set,
// manifest and modes as Secrets Manager secrets; what is missing or misused fails with one line.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LabelParameterVersionCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { testAwsEndpointUrl } from '../../helpers/services.ts';
import { failureLine } from '../../helpers/run.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, manifestOf, secretsClient, uniquePrefix } from './fixtures.ts';

const ssm = new SSMClient({ endpoint: testAwsEndpointUrl(), region: process.env.AWS_REGION ?? 'us-east-1' });
const secrets = secretsClient();
const root = `/${uniquePrefix('ssm').replace(/\//g, '-').replace(/-+$/, '')}`;
const put = (Name: string, Value: string, Type: 'String' | 'SecureString' = 'SecureString', Overwrite = false) =>
  ssm.send(new PutParameterCommand({ Name, Value, Type, Overwrite }));

before(async () => {
  await put(`${root}/db/password`, 'ssm-pw-one');
  await put(`${root}/db/password`, 'ssm-pw-two', 'SecureString', true);
  await ssm.send(new LabelParameterVersionCommand({ Name: `${root}/db/password`, ParameterVersion: 1, Labels: ['previous'] }));
  await put(`${root}/api/config`, JSON.stringify({ key: 'ssm-api-key', region: 'eu-west-1' }), 'String');
  await put(`${root}/prod/a`, 'ssm-prod-a');
  await put(`${root}/prod/deeper/b`, 'ssm-prod-b', 'String');
});
after(() => {
  ssm.destroy();
  secrets.destroy();
});

test('named parameters: the current version, a version, a label, a key of a JSON value; beside a Secrets Manager secret', async () => {
  const secretName = `${uniquePrefix('ssm-sm')}db`;
  await createSecret(secrets, secretName, 'sm-value');
  const out = tempDir();
  const run = await copySecrets([
    '--out',
    out,
    '--mode',
    '0440',
    `ssm:${root}/db/password?as=password`,
    `ssm:${root}/db/password?version=1&as=password.v1`,
    `ssm:${root}/db/password?label=previous&as=password.previous`,
    `ssm:${root}/api/config#key`,
    `${secretName}?as=from-secrets-manager`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  assert.equal(files.get('password')?.toString(), 'ssm-pw-two');
  assert.equal(files.get('password.v1')?.toString(), 'ssm-pw-one');
  assert.equal(files.get('password.previous')?.toString(), 'ssm-pw-one');
  assert.equal(files.get('key')?.toString(), 'ssm-api-key');
  assert.equal(files.get('from-secrets-manager')?.toString(), 'sm-value');
  assert.equal(statSync(join(out, 'password')).mode & 0o777, 0o440);
  const entry = manifestOf(out).files.find((f) => f.name === 'password.v1') as Record<string, unknown>;
  assert.equal(entry.secret, `ssm:${root}/db/password`);
  assert.equal(entry.versionId, '1');
  assert.match(String(entry.arn), /^arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter\//);
  for (const value of ['ssm-pw-one', 'ssm-pw-two', 'ssm-api-key']) assert.ok(!run.stderr.includes(value));
});

test('a path: every parameter below it, recursively, one file each named below the path', async () => {
  const out = tempDir();
  const run = await copySecrets(['--out', out, `ssm:${root}/prod/`]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  assert.deepEqual([...files.keys()].filter((n) => n !== 'manifest.json').sort(), ['a', 'deeper_b']);
  assert.equal(files.get('deeper_b')?.toString(), 'ssm-prod-b');
});

test('missing: a parameter or an empty path is exit 3 naming it (optional skips it); nothing is written', async () => {
  const out = tempDir();
  const missing = await copySecrets(['--out', out, `ssm:${root}/db/password`, `ssm:${root}/db/nope`]);
  assert.equal(missing.code, 3);
  assert.match(failureLine(missing).msg, new RegExp(`parameter "${root}/db/nope": not found .*or mark it optional`));
  assert.ok(!missing.stderr.includes('ssm-pw-two'));
  const emptyPath = await copySecrets(['--out', tempDir(), `ssm:${root}/nothing/`]);
  assert.equal(emptyPath.code, 3);
  assert.match(failureLine(emptyPath).msg, /no parameter below it/);
  const optional = await copySecrets(['--out', tempDir(), `ssm:${root}/db/nope?optional`, `ssm:${root}/prod/a?as=a`]);
  assert.equal(optional.code, 0, optional.stderr);
});

test('misuse is exit 2 before any call, naming the reference and the fix', async () => {
  const cases: Array<[string, RegExp]> = [
    [`ssm:${root}/db/password?stage=AWSCURRENT`, /stage= is for Secrets Manager; an SSM parameter takes version=N or label=L/],
    ['app/db?label=old', /label= selects an SSM parameter version; a Secrets Manager secret takes stage=/],
    [`ssm:${root}/prod/?as=x`, /a path selects every parameter below it/],
    ['ssm:/ssm/reserved', /is not an SSM parameter name/],
    ['ssm:relative/', /a path \(trailing "\/"\) must start with "\/"/],
    [`ssm:${root}/db/password?version=1&label=previous`, /choose version= or label=, not both/],
  ];
  for (const [ref, message] of cases) {
    const run = await copySecrets(['--out', tempDir(), ref]);
    assert.equal(run.code, 2, `${ref}: ${run.stderr}`);
    assert.match(failureLine(run).msg, message, ref);
  }
});
