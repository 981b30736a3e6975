import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactor } from '../../../tools/core/redact.ts';
import { displayUrl, maskWrittenUrl } from '../../../tools/core/url.ts';

const SIGNATURE = 'f00dfacecafe0123456789abcdef0123456789abcdef0123456789abcdef0123';
const TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/value==';

test('a presigned S3 URL keeps its path and expiry; signature, credential and token are masked and registered', () => {
  const url = new URL(
    `https://bucket.s3.amazonaws.com/data/file.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLEKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=${encodeURIComponent(TOKEN)}&X-Amz-Signature=${SIGNATURE}`,
  );
  const shown = displayUrl(url);
  assert.equal(
    shown,
    'https://bucket.s3.amazonaws.com/data/file.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=***&X-Amz-Signature=***',
  );
  for (const secret of [SIGNATURE, TOKEN, encodeURIComponent(TOKEN), 'AKIAEXAMPLEKEY/20260101/us-east-1/s3/aws4_request']) {
    assert.equal(redactor.redact(`error: ${secret} failed`), 'error: *** failed', secret);
  }
  assert.equal(redactor.redact('host unreachable'), 'host unreachable', 'the signed header names are not treated as a secret');
});

test('password masked; other credential-like names (token, api_key, sig, secret) masked; plain parameters kept', () => {
  const shown = displayUrl(new URL('https://user:pa55word@example.com/x?page=2&token=abcd1234&api_key=k3y-value&sig=s1gnature&client_secret=shh-secret&q=csv'));
  assert.equal(shown, 'https://user:***@example.com/x?page=2&token=***&api_key=***&sig=***&client_secret=***&q=csv');
  assert.equal(redactor.redact('pa55word abcd1234 k3y-value s1gnature shh-secret'), '*** *** *** *** ***');
});

test('URLs without secrets are shown unchanged, the argument is not modified', () => {
  for (const text of ['s3://bucket/prefix/', 'file:///data/in.csv', 'http://127.0.0.1:8080/a.csv?x=1&key', 'https://h/p?signature=']) {
    const url = new URL(text);
    assert.equal(displayUrl(url), url.href);
  }
  const url = new URL('https://u:secretpw@h/p?token=t0ken-value');
  displayUrl(url);
  assert.equal(url.href, 'https://u:secretpw@h/p?token=t0ken-value');
});

test('a URL as written hides its password also when a typo makes it no URL (no "://" after the scheme)', () => {
  assert.equal(maskWrittenUrl('postgres://u:pw-canary@db/x'), 'postgres://u:***@db/x');
  assert.equal(maskWrittenUrl(' https://u:pw-canary@host/p'), ' https://u:***@host/p');
  assert.equal(maskWrittenUrl('postgres//u:pa://ss-canary@db/x'), 'postgres//u:***@db/x');
  assert.equal(maskWrittenUrl('redis:/:pw-canary@cache'), 'redis:***@cache');
  assert.equal(maskWrittenUrl('tcp://kafka:9092'), 'tcp://kafka:9092');
});

test('a URL that does not parse hides everything between the user and the last "@", whatever the password holds', () => {
  const cases: Array<[string, string]> = [
    ['postgres://app:pa#ss word-X@host/db', 'postgres://app:***@host/db'],
    ['postgres://app:correct horse@h/db', 'postgres://app:***@h/db'],
    ['postgres://ap/p:pw-canary@h/db', 'postgres://ap/p:***@h/db'],
    ['redis://:a@b c@d#e@cache:6379', 'redis://:***@cache:6379'],
    ['postgres://app:correct', 'postgres://app:***'],
    ['postgres://app:pa/ss', 'postgres://app:***'],
    ['horse@h/db', '***@h/db'],
    ['postgres//u:pa ss@db/x', 'postgres//u:***@db/x'],
    ['postgres://db:99999/x', 'postgres://db:99999/x'],
    ['postgres://[::1]:5432/x', 'postgres://[::1]:5432/x'],
    ['postgres://app@db/x', 'postgres://app@db/x'],
  ];
  for (const [text, masked] of cases) assert.equal(maskWrittenUrl(text), masked, text);
});
