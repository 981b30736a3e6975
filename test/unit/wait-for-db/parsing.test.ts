import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget, parseTargets } from '../../../tools/wait-for-db/target.ts';
import { parseStatusSet } from '../../../tools/wait-for-db/settings.ts';
import { UsageError } from '../../../tools/core/errors.ts';
import { parseCli } from '../../../tools/core/options.ts';
import { spec } from '../../../tools/wait-for-db/spec.ts';
import { redactor } from '../../../tools/core/redact.ts';

test('targets of every scheme parse, IPv6 brackets stripped, default ports applied', () => {
  assert.deepEqual(
    ['postgres://u@db:5432/app', 'postgresql://[::1]/app', 'redis://cache', 'rediss://cache:6380/2', 'tcp://[fe80::1]:9092', 'https://api/healthz'].map((t) => {
      const p = parseTarget(t);
      return [p.kind, p.host, p.port, p.tls];
    }),
    [
      ['postgres', 'db', 5432, false],
      ['postgres', '::1', undefined, false],
      ['redis', 'cache', 6379, false],
      ['redis', 'cache', 6380, true],
      ['tcp', 'fe80::1', 9092, false],
      ['http', 'api', 443, true],
    ],
  );
});

test('a password in a target is masked in its display form and registered for redaction', () => {
  const target = parseTarget('postgres://app:Pa%24%24w0rd-x@db/app');
  assert.equal(target.display, 'postgres://app:***@db/app');
  assert.equal(redactor.redact('Pa$$w0rd-x'), '***');
});

test('bad targets are usage errors', () => {
  assert.throws(
    () => parseTarget('db:5432'),
    (e: unknown) => e instanceof UsageError && /unsupported scheme "db:"/.test(e.message),
  );
  assert.throws(() => parseTargets(['tcp://a:1', 'tcp://a:1']), /given twice/);
  assert.throws(() => parseTargets([]), /no target given/);
});

test('a target with a typo in "://" never shows a password that holds "://" itself', () => {
  const cases: Array<[string, string]> = [
    ['postgres//u:pa://ss-canary@db:5432/x', 'invalid target "postgres//u:***@db:5432/x"'],
    ['redis:/:a://b-canary@cache', 'invalid target "redis:***@cache"'],
    ['postgres:u:x://y-canary@db', 'invalid target "postgres:***@db"'],
  ];
  for (const [text, shown] of cases) {
    assert.throws(
      () => parseTarget(text),
      (e: unknown) => e instanceof UsageError && e.message.startsWith(shown) && !e.message.includes('canary'),
      text,
    );
  }
});

test('spaces before the scheme are ignored, as new URL() does', () => {
  assert.equal(parseTarget(' postgres://u:pw-x@db:5432/x').display, 'postgres://u:***@db:5432/x');
});

test('status sets accept codes and ranges', () => {
  const accepts = parseStatusSet('200,204,300-399');
  assert.deepEqual([200, 204, 301, 399, 201, 400].map(accepts), [true, true, true, true, false, false]);
  assert.throws(() => parseStatusSet('299-200'), UsageError);
  assert.throws(() => parseStatusSet('99'), UsageError);
});

test('a "%" that starts no escape in the user or password is a usage error naming the fix, not "URI malformed"', () => {
  for (const [text, part] of [
    ['postgres://u:100%sure-x@db/x', 'password'],
    ['redis://a%zz:pw-x@cache:6379', 'user'],
  ] as const) {
    assert.throws(
      () => parseTarget(text),
      (e: unknown) =>
        e instanceof UsageError && e.message.includes(`the ${part} has a "%" that does not start an escape; write it as %25`) && !e.message.includes('sure-x'),
      text,
    );
  }
  assert.equal(parseTarget('postgres://u:100%25sure@db/x').display, 'postgres://u:***@db/x');
});

test('a target may be named NAME=URL: the name is kept and shown, the URL parsed as without it', () => {
  const target = parseTarget('db=postgres://app@aurora:5432/app?sslmode=verify-full');
  assert.equal(target.name, 'db');
  assert.equal(target.display, 'db=postgres://app@aurora:5432/app?sslmode=verify-full');
  assert.equal(target.host, 'aurora');
  assert.equal(target.password, undefined);
  assert.equal(parseTarget('postgres://app@db/app').name, undefined);
  assert.equal(parseTarget('cache-1=rediss://cache:6379/0').name, 'cache-1');
  assert.equal(parseTarget(`${'a'.repeat(63)}=tcp://mq:9092`).name, 'a'.repeat(63));
  for (const name of ['DB', 'my_db', '-db', 'db-', 'a'.repeat(64), 'dé']) {
    assert.throws(
      () => parseTarget(`${name}=postgres://u:pw-canary@db/app`),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(`invalid target name "${name}": a name is 1 to 63 lowercase letters, digits and "-"`) &&
        !e.message.includes('pw-canary'),
      name,
    );
  }
  assert.throws(() => parseTargets(['db=postgres://a/x', 'db=redis://b:6379/0']), /two targets are named "db"/);
});

test('WAIT_FOR_DB_TARGETS splits before each URL, named or not, never inside a password; lists of credentials split on newlines', async () => {
  const parsed = await parseCli(spec, [], {
    WAIT_FOR_DB_TARGETS: 'db=postgres://app:a b,c=d@db/app, cache=rediss://cache:6379/0 mq=tcp://mq:9092\nhttps://api/healthz,DB=redis://x:1/0',
    WAIT_FOR_DB_PASSWORD_ENV: 'db=DB_PASSWORD\ncache=CACHE_TOKEN',
    WAIT_FOR_DB_USER_FILE: 'db=/secrets/db user',
  });
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  assert.deepEqual(parsed.args, [
    'db=postgres://app:a b,c=d@db/app',
    'cache=rediss://cache:6379/0',
    'mq=tcp://mq:9092',
    'https://api/healthz',
    'DB=redis://x:1/0',
  ]);
  assert.deepEqual(parsed.options.passwordEnv, ['db=DB_PASSWORD', 'cache=CACHE_TOKEN']);
  assert.deepEqual(parsed.options.userFile, ['db=/secrets/db user']);
  // The last one is cut off on its own and then refused for its name, not read as part of the one before.
  assert.throws(() => parseTargets(parsed.args), /invalid target name "DB"/);
  assert.deepEqual(
    parseTargets(parsed.args.slice(0, -1)).map((t) => [t.name, t.password]),
    [
      ['db', 'a b,c=d'],
      ['cache', undefined],
      ['mq', undefined],
      [undefined, undefined],
    ],
  );
});
