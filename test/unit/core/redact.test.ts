import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor, maskUrlCredentials } from '../../../tools/core/redact.ts';

test('registered secrets are masked in raw, JSON-escaped and URL-encoded form', () => {
  const r = new Redactor();
  r.add('p@ss"word/1');
  assert.equal(r.redact('pw=p@ss"word/1'), 'pw=***');
  assert.equal(r.redact(JSON.stringify({ pw: 'p@ss"word/1' })), '{"pw":"***"}');
  assert.equal(r.redact(`x=${encodeURIComponent('p@ss"word/1')}`), 'x=***');
});

test('each long line of a multi-line secret is masked on its own', () => {
  const r = new Redactor();
  r.add('-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END KEY-----');
  assert.equal(r.redact('bad line MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX here'), 'bad line *** here');
});

test('short values are not registered, so numbers in logs survive', () => {
  const r = new Redactor();
  r.add('1');
  r.add('');
  assert.equal(r.size, 0);
  assert.equal(r.redact('latency 1ms'), 'latency 1ms');
});

test('a longer secret wins over a shorter one that is its prefix', () => {
  const r = new Redactor();
  r.add('abcd');
  r.add('abcdefgh');
  assert.equal(r.redact('abcdefgh abcd'), '*** ***');
});

test('URL passwords are masked without registration', () => {
  assert.equal(maskUrlCredentials('postgres://app:s3cret@db:5432/x'), 'postgres://app:***@db:5432/x');
  assert.equal(maskUrlCredentials('redis://:s3cret@cache:6379'), 'redis://:***@cache:6379');
  assert.equal(maskUrlCredentials('http://host/path?a=b:c@d'), 'http://host/path?a=b:c@d');
  assert.equal(maskUrlCredentials('tcp://db:5432'), 'tcp://db:5432');
  assert.equal(maskUrlCredentials('invalid target "postgres://u:pa/s#s@host:5432/db"'), 'invalid target "postgres://u:***@host:5432/db"');
  assert.equal(maskUrlCredentials('"postgres://u:p@ss@db:1/x"'), '"postgres://u:***@db:1/x"', 'an unencoded @ in the password');
});

test('URL passwords in a JSON list are masked URL by URL, not from the first to the last "@"', () => {
  const line = JSON.stringify({ targets: ['postgres://app:pw1@db:5432/app', 'redis://:pw2@cache:6379/0', 'tcp://mq:5672'] });
  assert.equal(maskUrlCredentials(line), '{"targets":["postgres://app:***@db:5432/app","redis://:***@cache:6379/0","tcp://mq:5672"]}');
  assert.equal(maskUrlCredentials(maskUrlCredentials(line)), maskUrlCredentials(line), 'masking twice changes nothing');
  const named = JSON.stringify({ targets: ['cache=redis://:pw1@cache:6379/0', 'db=postgres://app:pw2@db:5432/app'] });
  assert.equal(
    maskUrlCredentials(named),
    '{"targets":["cache=redis://:***@cache:6379/0","db=postgres://app:***@db:5432/app"]}',
    'named targets (wait-for-db NAME=URL)',
  );
});

test('a malformed URL password is masked whole, also with "@", "/", "#" or "://" in it', () => {
  const cases: Array<[string, string]> = [
    ['invalid target "postgres://u:pa://ss@db:5432/x"', 'invalid target "postgres://u:***@db:5432/x"'],
    ['postgres://u:http://x@db', 'postgres://u:***@db'],
    ['postgres://u:xa@y://b@host/db', 'postgres://u:***@host/db'],
    ['redis://:p@/#://w@cache:6379', 'redis://:***@cache:6379'],
    ['["postgres://u:a://b@db:5432","redis://:pw2@cache"]', '["postgres://u:***@db:5432","redis://:***@cache"]'],
    ['postgres://u:a@b,redis://:c@d', 'postgres://u:***@b,redis://:***@d'],
  ];
  for (const [text, masked] of cases) assert.equal(maskUrlCredentials(text), masked, text);
});

test('a long line of "scheme://user:" without "@" is masked in linear time', () => {
  const line = 'x://u:'.repeat(20_000);
  const started = performance.now();
  assert.equal(maskUrlCredentials(line), line);
  // Quadratic scanning took seconds here; linear takes milliseconds. Generous for a loaded machine.
  assert.ok(performance.now() - started < 2_000, `${Math.round(performance.now() - started)} ms`);
});

test('a secret is masked in the base64 of any string that holds it, at each of the three byte alignments', () => {
  const r = new Redactor();
  r.add('hunter2-canary');
  for (const prefix of ['', 'a', 'ab:', 'app:', 'user:name:']) {
    for (const suffix of ['', 'x', '@host']) {
      const plain = `${prefix}hunter2-canary${suffix}`;
      for (const encoded of [Buffer.from(plain).toString('base64'), Buffer.from(plain).toString('base64url')]) {
        const masked = r.redact(`Authorization: Basic ${encoded}`);
        assert.match(masked, /\*\*\*/, `${plain} as ${encoded}`);
        assert.ok(!Buffer.from(masked.slice(21), 'base64').toString('latin1').includes('hunter2'), masked);
      }
    }
  }
});

test('hex and form-encoded forms are masked; a binary secret in its UTF-8, latin1 and base64 forms', () => {
  const r = new Redactor();
  r.add('pass word&1');
  assert.equal(r.redact(`h=${Buffer.from('pass word&1').toString('hex')}`), 'h=***');
  assert.equal(r.redact('body=pass+word%261'), 'body=***');
  const binary = Uint8Array.from([0xff, 0xfe, 0x00, 0x41, 0x80, 0x99, 0x10, 0x7f]);
  r.add(binary);
  for (const form of [Buffer.from(binary).toString('latin1'), Buffer.from(binary).toString('base64'), Buffer.from(binary).toString('hex')]) {
    assert.equal(r.redact(`v=${form}`), 'v=***', form);
  }
});

test('overlapping secrets are masked as one span, and no part of either survives', () => {
  const r = new Redactor();
  r.add('abcdef-one');
  r.add('def-one-two');
  assert.equal(r.redact('x abcdef-one-two y'), 'x *** y');
});

test('masking is linear: a 6 KB secret of one repeated byte, thousands of secrets, a megabyte of text', () => {
  const r = new Redactor();
  r.add('\u00ff'.repeat(6_000));
  r.add(new Uint8Array(6_000).fill(0x61));
  for (let i = 0; i < 2_000; i++) r.add(`secret-${i}-${'x'.repeat(i % 50)}`);
  const started = performance.now();
  const text = `${'a'.repeat(500_000)} ${'\u00ff'.repeat(6_000)} ${'secret-7-xxxxxxx '.repeat(20_000)}`;
  const masked = r.redact(text);
  assert.ok(!masked.includes('\u00ff'.repeat(100)));
  assert.ok(!masked.includes('secret-7-xxxxxxx'));
  // Quadratic or regex-compiled masking took seconds or threw "regular expression too large" here.
  assert.ok(performance.now() - started < 5_000, `${Math.round(performance.now() - started)} ms`);
});

test('URL masking stays linear on a megabyte of "a://" heads without "@"', () => {
  const started = performance.now();
  const line = `${'a://u:'.repeat(100_000)}@`;
  assert.match(maskUrlCredentials(line), /\*\*\*@$/);
  assert.ok(performance.now() - started < 2_000, `${Math.round(performance.now() - started)} ms`);
});
