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
