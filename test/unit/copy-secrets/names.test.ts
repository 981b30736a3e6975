import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameRegistry, envVarName, sanitizeFileName } from '../../../tools/copy-secrets/names.ts';
import { InvalidInputError } from '../../../tools/core/errors.ts';

test('file names: slashes, traversal, NUL, newlines and non-ASCII become _; leading dots too', () => {
  assert.equal(sanitizeFileName('app/db'), 'app_db');
  assert.equal(sanitizeFileName('../x'), '___x');
  assert.equal(sanitizeFileName('/etc/passwd'), '_etc_passwd');
  assert.equal(sanitizeFileName('..'), '__');
  assert.equal(sanitizeFileName('.hidden'), '_hidden');
  assert.equal(sanitizeFileName('a\0b\nc d'), 'a_b_c_d');
  assert.equal(sanitizeFileName('pässwört'), 'p_ssw_rt');
  assert.equal(sanitizeFileName('tls.crt'), 'tls.crt');
  assert.equal(sanitizeFileName('a..b'), 'a..b');
});

test('the same input always gives the same name, and the result is a fixed point', () => {
  for (const raw of ['app/db', '../../etc/shadow', 'x\ny', '.env', 'k8s-key_1.pem']) {
    const once = sanitizeFileName(raw);
    assert.equal(sanitizeFileName(raw), once);
    assert.equal(sanitizeFileName(once), once);
    assert.match(once, /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
  }
});

test('two sources mapping to one file are an error naming both', () => {
  const registry = new NameRegistry();
  assert.equal(registry.claim('app/db', 'secret "app/db"'), 'app_db');
  assert.throws(
    () => registry.claim('app_db', 'secret "app_db"'),
    (error: unknown) =>
      error instanceof InvalidInputError && /secret "app_db" and secret "app\/db" would both be written to the file "app_db"/.test(error.message),
  );
});

test('empty and overlong names are refused', () => {
  const registry = new NameRegistry();
  assert.throws(() => registry.claim('', 'key ""'), /empty/);
  assert.throws(() => registry.claim('a'.repeat(256), 'key "long"'), /longer than 255/);
  assert.equal(registry.claim('a'.repeat(255), 'key "just fits"').length, 255);
});

test('dotenv variable names', () => {
  assert.equal(envVarName('db-password'), 'DB_PASSWORD');
  assert.equal(envVarName('app_db.user'), 'APP_DB_USER');
  assert.equal(envVarName('1st'), '_1ST');
});
