import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, parseSecretRef, parseTag, type PlanInput } from '../../../tools/copy-secrets/plan.ts';
import { UsageError } from '../../../tools/core/errors.ts';

test('a reference: name or ARN, options after ?, a key after #', () => {
  assert.deepEqual(parseSecretRef('app/db'), { text: 'app/db', id: 'app/db', expandKeys: false, optional: false });
  const ref = parseSecretRef('app/db?stage=AWSPREVIOUS&optional&as=old-password#pass?word');
  assert.equal(ref.id, 'app/db');
  assert.equal(ref.versionStage, 'AWSPREVIOUS');
  assert.equal(ref.optional, true);
  assert.equal(ref.as, 'old-password');
  assert.equal(ref.key, 'pass?word');
  const arn = parseSecretRef('arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf?version=01234567-89ab-cdef-0123-456789abcdef');
  assert.equal(arn.id, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf');
  assert.equal(arn.versionId, '01234567-89ab-cdef-0123-456789abcdef');
  assert.equal(parseSecretRef('app/tls?keys').expandKeys, true);
  assert.equal(parseSecretRef('app/x#k%20y').key, 'k%20y', 'a key is taken literally');
});

test('bad references are usage errors with the reason', () => {
  assert.throws(
    () => parseSecretRef('app/db?stag=AWSCURRENT'),
    (e: unknown) => e instanceof UsageError && /unknown option "stag"/.test(e.message),
  );
  assert.throws(() => parseSecretRef('app db'), /not a secret name or ARN/);
  assert.throws(() => parseSecretRef('#key'), /empty/);
  assert.throws(() => parseSecretRef('app/db#'), /key after "#" is empty/);
  assert.throws(() => parseSecretRef('app/db?keys#k'), /either #KEY/);
  assert.throws(() => parseSecretRef('app/db?as=../x'), /not a plain file name/);
  assert.throws(() => parseSecretRef('app/db?stage='), /stage needs a value/);
  assert.throws(() => parseSecretRef('app/db?as=%E0'), /percent-encoding/);
});

test('tags are KEY=VALUE, the value may contain =', () => {
  assert.deepEqual(parseTag('team=pay=ments'), { key: 'team', value: 'pay=ments' });
  assert.deepEqual(parseTag('empty='), { key: 'empty', value: '' });
  assert.throws(() => parseTag('=x'), /KEY=VALUE/);
  assert.throws(() => parseTag('team'), /KEY=VALUE/);
});

function input(options: Partial<PlanInput['options']>, args: string[] = []): PlanInput {
  return {
    args,
    options: {
      out: '/out',
      prefix: undefined,
      tag: [],
      stripPrefix: false,
      fromDir: undefined,
      expandJson: false,
      qualifyKeys: false,
      mode: 0o400,
      dirMode: 0o755,
      uid: undefined,
      gid: undefined,
      jsonFile: undefined,
      dotenvFile: undefined,
      propertiesFile: undefined,
      allowEmpty: false,
      explain: false,
      timeout: 60_000,
      requestTimeout: 10_000,
      concurrency: 4,
      printIamPolicy: false,
      awsAccountId: undefined,
      kmsKeyArn: [],
      ...options,
    },
  };
}

test('the plan needs something to copy and somewhere to put it', () => {
  assert.throws(() => buildPlan(input({})), /nothing to copy/);
  assert.throws(() => buildPlan(input({ out: undefined }, ['a'])), /--out DIR is required/);
  assert.equal(buildPlan(input({ out: undefined, explain: true }, ['a'])).kind, 'explain');
  assert.throws(() => buildPlan(input({ stripPrefix: true }, ['a'])), /--strip-prefix needs --prefix/);
  assert.throws(() => buildPlan(input({ dotenvFile: '../app.env' }, ['a'])), /--dotenv-file/);
  assert.throws(() => buildPlan(input({ jsonFile: 'manifest.json' }, ['a'])), /--json-file/);
  assert.throws(() => buildPlan(input({ prefix: '!app/' })), /can match nothing/);
  assert.throws(() => buildPlan(input({ prefix: 'app prod' })), /can match nothing/);
  const plan = buildPlan(input({ prefix: 'app/', tag: ['team=a', 'env=prod'] }));
  assert.deepEqual(plan.filter?.tags, [
    { key: 'team', value: 'a' },
    { key: 'env', value: 'prod' },
  ]);
});

test('tags are re-checked exactly: key and value on the same tag, no prefix match', async () => {
  const { hasAllTags } = await import('../../../tools/copy-secrets/aws-source.ts');
  const tags = (pairs: Record<string, string>) => ({ Tags: Object.entries(pairs).map(([Key, Value]) => ({ Key, Value })) });
  const want = [
    { key: 'team', value: 'pay' },
    { key: 'env', value: 'prod' },
  ];
  assert.equal(hasAllTags(tags({ team: 'pay', env: 'prod', x: 'y' }), want), true);
  assert.equal(hasAllTags(tags({ team: 'payments', env: 'prod' }), want), false);
  assert.equal(hasAllTags(tags({ team: 'other', env: 'pay', owner: 'prod' }), want), false);
  assert.equal(hasAllTags(tags({ team: 'pay' }), want), false);
  assert.equal(hasAllTags({}, []), true);
});

test('a combined output name over 255 characters is a usage error naming its flag, not a bad secret', () => {
  for (const flag of ['jsonFile', 'dotenvFile', 'propertiesFile'] as const) {
    assert.throws(
      () => buildPlan(input({ [flag]: 'e'.repeat(300) }, ['a'])),
      (e: unknown) => e instanceof UsageError && /^--[a-z-]+-file: a file name has at most 255 characters, this one 300/.test(e.message),
    );
  }
  assert.equal(buildPlan(input({ dotenvFile: 'e'.repeat(255) }, ['a'])).output.dotenvFile?.length, 255);
});
