import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameRegistry } from '../../../tools/copy-secrets/names.ts';
import { parseSecretRef, type OutputSettings } from '../../../tools/copy-secrets/plan.ts';
import { leafText, parseJsonObject, registerValue, shapeFiles, type SourceSecret } from '../../../tools/copy-secrets/shape.ts';

const output: OutputSettings = {
  mode: 0o400,
  dirMode: 0o755,
  uid: undefined,
  gid: undefined,
  expandJson: false,
  qualifyKeys: false,
  jsonFile: undefined,
  dotenvFile: undefined,
  propertiesFile: undefined,
};

function secret(name: string, value: string | Uint8Array, ref?: string): SourceSecret {
  const source: SourceSecret = { label: `secret "${name}"`, baseName: name, value, origin: { kind: 'aws', name } };
  if (ref) source.ref = parseSecretRef(ref);
  return source;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

test('numbers keep their exact source text; booleans and null their JSON text; nested values stay JSON', () => {
  const object = parseJsonObject('{"big":12345678901234567890,"f":1.10,"e":1e3,"t":true,"n":null,"o":{"x":[1,2.50]}}');
  assert.ok(object);
  assert.equal(leafText(object.big), '12345678901234567890');
  assert.equal(leafText(object.f), '1.10');
  assert.equal(leafText(object.e), '1e3');
  assert.equal(leafText(object.t), 'true');
  assert.equal(leafText(object.n), 'null');
  assert.equal(leafText(object.o), '{"x":[1,2.50]}');
  assert.equal(parseJsonObject('[1]'), undefined);
  assert.equal(parseJsonObject('not json'), undefined);
});

test('raw, one key, every key, qualified keys', () => {
  const db = '{"user":"app","password":"pw-123456"}';
  const files = shapeFiles(
    [secret('app/db', db), secret('app/db', db, 'app/db#password'), secret('app/x', '{"a":"1"}', 'app/x?keys')],
    output,
    new NameRegistry(),
  );
  assert.deepEqual(
    files.map((f) => [f.name, text(f.bytes), f.key]),
    [
      ['app_db', db, undefined],
      ['password', 'pw-123456', 'password'],
      ['a', '1', 'a'],
    ],
  );
  const qualified = shapeFiles([secret('app/db', db, 'app/db?keys')], { ...output, qualifyKeys: true }, new NameRegistry());
  assert.deepEqual(
    qualified.map((f) => f.name),
    ['app_db.user', 'app_db.password'],
  );
  const renamed = shapeFiles([secret('app/db', db, 'app/db?keys&as=db')], output, new NameRegistry());
  assert.deepEqual(
    renamed.map((f) => f.name),
    ['db.user', 'db.password'],
  );
});

test('binary values are written byte for byte', () => {
  const bytes = new Uint8Array([0, 1, 2, 255, 10]);
  const [file] = shapeFiles([secret('bin', bytes)], output, new NameRegistry());
  assert.deepEqual(file?.bytes, bytes);
});

test('JSON keys that try traversal are sanitised; colliding keys are an error', () => {
  const files = shapeFiles([secret('s', '{"../x":"1","/etc/passwd":"2","a\\u0000b":"3","c\\nd":"4"}', 's?keys')], output, new NameRegistry());
  assert.deepEqual(
    files.map((f) => f.name),
    ['___x', '_etc_passwd', 'a_b', 'c_d'],
  );
  assert.throws(() => shapeFiles([secret('s', '{"a/b":"1","a_b":"2"}', 's?keys')], output, new NameRegistry()), /would both be written to the file "a_b"/);
});

test('errors about a secret never quote its value or the JSON parser', () => {
  const value = 'canary-VALUE-not-json';
  for (const ref of ['s#k', 's?keys']) {
    assert.throws(
      () => shapeFiles([secret('s', value, ref)], output, new NameRegistry()),
      (error: unknown) =>
        error instanceof Error && /is not a JSON object/.test(error.message) && !error.message.includes('canary') && error.cause === undefined,
    );
  }
  assert.throws(() => shapeFiles([secret('s', '{"a":"canary-x"}', 's#b')], output, new NameRegistry()), /has no JSON key "b"/);
});

test('every leaf of a JSON secret is registered for redaction', () => {
  const seen: string[] = [];
  registerValue('{"user":"app","nested":{"pw":"deep-secret"},"n":123456}', (v) => seen.push(String(v)));
  for (const expected of ['deep-secret', 'app', '123456', '{"pw":"deep-secret"}']) assert.ok(seen.includes(expected), expected);
});

test('a secret that --expand-json or ?keys cannot read says what it is instead, never quoting it', () => {
  const cases: Array<[string, RegExp]> = [
    [`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, /is not a JSON object \(it is one, nested too deeply to read: thousands of levels\)/],
    ['[1,"canary-arr"]', /is not a JSON object \(an array\)/],
    ['"canary-str"', /is not a JSON object \(a string\)/],
    ['{"a": canary-bad', /is not a JSON object \(not valid JSON\)/],
  ];
  for (const [value, reason] of cases) {
    assert.throws(
      () => shapeFiles([secret('app/x', value)], { ...output, expandJson: true }, new NameRegistry()),
      (error: Error) => reason.test(error.message) && !error.message.includes('canary'),
    );
  }
  assert.throws(
    () => shapeFiles([secret('app/x', Uint8Array.from([0xff, 0xfe]))], { ...output, expandJson: true }, new NameRegistry()),
    /is not a JSON object \(not UTF-8 text\)/,
  );
});
