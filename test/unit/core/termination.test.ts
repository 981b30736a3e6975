import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeTerminationMessage } from '../../../tools/core/termination.ts';
import { redactor } from '../../../tools/core/redact.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('the message replaces the file content, redacted and capped at 4096 bytes', () => {
  const dir = tempDir('term-');
  const path = join(dir, 'termination-log');
  writeFileSync(path, 'x'.repeat(10_000));
  redactor.add('term-secret-value');
  assert.equal(writeTerminationMessage('failed: term-secret-value', path), true);
  assert.equal(readFileSync(path, 'utf8'), 'failed: ***');
  writeTerminationMessage('y'.repeat(5000), path);
  assert.equal(readFileSync(path).length, 4096);
});

test('nothing is created when the file does not exist', () => {
  const path = join(tempDir('term-'), 'absent');
  assert.equal(writeTerminationMessage('failed', path), false);
  assert.equal(existsSync(path), false);
});

test('a message over 4096 bytes is cut before a character, never inside one', () => {
  const path = join(tempDir('term-'), 'termination-log');
  writeFileSync(path, '');
  writeTerminationMessage(`x${'€'.repeat(2000)}`, path);
  const bytes = readFileSync(path);
  assert.ok(bytes.length <= 4096 && bytes.length >= 4093, String(bytes.length));
  assert.equal(Buffer.from(bytes.toString('utf8'), 'utf8').length, bytes.length, 'valid UTF-8');
});
