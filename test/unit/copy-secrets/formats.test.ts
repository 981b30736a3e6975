import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeProperty, renderCombined } from '../../../tools/copy-secrets/formats.ts';
import type { OutputFile } from '../../../tools/copy-secrets/shape.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function file(name: string, value: string | Uint8Array): OutputFile {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return { name, bytes, source: { label: `secret "${name}"`, baseName: name, value, origin: { kind: 'aws', name } } };
}

const nasty = 'line1\nline2 $HOME `id` $(id) \\n \'single\' "double" # not a comment ; & | * ~';

test('dotenv: sourcing the file with sh gives back every value byte for byte', () => {
  const files = [file('nasty', nasty), file('db-password', "it's"), file('empty', ''), file('tail', 'ends with newline\n')];
  const dir = tempDir('cs-dotenv-');
  writeFileSync(join(dir, 'app.env'), renderCombined(files, 'dotenv'));
  for (const [variable, expected] of [
    ['NASTY', nasty],
    ['DB_PASSWORD', "it's"],
    ['EMPTY', ''],
    ['TAIL', 'ends with newline\n'],
  ] as const) {
    for (const shell of ['sh', 'bash']) {
      const out = execFileSync(shell, ['-c', `set -e; . "$1"; printf %s "$${variable}"`, 'sh', join(dir, 'app.env')], { encoding: 'utf8' });
      assert.equal(out, expected, `${shell} ${variable}`);
    }
  }
});

test('dotenv: two files that become one variable, NUL bytes and binary values are errors', () => {
  assert.throws(() => renderCombined([file('a-b', '1'), file('a.b', '2')], 'dotenv'), /both become the variable A_B/);
  assert.throws(() => renderCombined([file('z', 'a\0b')], 'dotenv'), /NUL byte/);
  assert.throws(() => renderCombined([file('bin', new Uint8Array([0xff, 0xfe]))], 'json'), /binary, not UTF-8 text; it cannot go into --json-file/);
});

test('json: one object of file name to value', () => {
  assert.deepEqual(JSON.parse(renderCombined([file('a', nasty), file('b', '2')], 'json')), { a: nasty, b: '2' });
});

test('properties: escapes that java.util.Properties reads back', () => {
  assert.equal(escapeProperty(' a=b:c#d!e\\f\ng\tü€', false), '\\ a\\=b\\:c\\#d\\!e\\\\f\\ng\\t\\u00fc\\u20ac');
  assert.equal(escapeProperty('k y', true), 'k\\ y');
  assert.equal(renderCombined([file('db.url', 'jdbc:x=1')], 'properties'), 'db.url=jdbc\\:x\\=1\n');
});
