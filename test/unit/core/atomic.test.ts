import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { publishDirectory, writeFileAtomic } from '../../../tools/core/atomic.ts';
import { UsageError } from '../../../tools/core/errors.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const tmp = () => tempDir('atomic-');

test('writeFileAtomic writes content with the exact mode and leaves no temp file', async () => {
  const dir = tmp();
  await writeFileAtomic(join(dir, 'a.txt'), 'hello', { mode: 0o440 });
  await writeFileAtomic(join(dir, 'b.bin'), Readable.from([Buffer.from('ab'), Buffer.from('cd')]), { mode: 0o400 });
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'hello');
  assert.equal(readFileSync(join(dir, 'b.bin'), 'utf8'), 'abcd');
  assert.equal(statSync(join(dir, 'a.txt')).mode & 0o777, 0o440);
  assert.equal(statSync(join(dir, 'b.bin')).mode & 0o777, 0o400);
  assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'b.bin']);
});

test('a failing stream leaves the old file and no temp file', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.txt'), 'old');
  const failing = new Readable({
    read() {
      this.destroy(new Error('connection reset'));
    },
  });
  await assert.rejects(writeFileAtomic(join(dir, 'a.txt'), failing, { mode: 0o444 }), /connection reset/);
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['a.txt']);
});

test('publishDirectory swaps whole sets through ..data and removes what the new set lacks', async () => {
  const dir = tmp();
  await publishDirectory(dir, async (staging) => {
    writeFileSync(join(staging, 'one'), '1');
    writeFileSync(join(staging, 'two'), '2');
  });
  assert.equal(readFileSync(join(dir, 'one'), 'utf8'), '1');
  assert.equal(readlinkSync(join(dir, 'one')), '..data/one');
  const firstStage = readlinkSync(join(dir, '..data'));
  await publishDirectory(dir, async (staging) => {
    writeFileSync(join(staging, 'one'), 'uno');
    writeFileSync(join(staging, 'three'), '3');
  });
  assert.equal(readFileSync(join(dir, 'one'), 'utf8'), 'uno');
  assert.equal(readFileSync(join(dir, 'three'), 'utf8'), '3');
  const entries = readdirSync(dir).sort();
  assert.ok(!entries.includes('two'), 'obsolete name removed');
  assert.ok(!entries.includes(firstStage), 'old stage removed');
  assert.equal(entries.filter((e) => e.startsWith('..')).length, 2, entries.join(','));
});

test('a failing fill leaves the previous set untouched and no staging directory', async () => {
  const dir = tmp();
  await publishDirectory(dir, async (staging) => writeFileSync(join(staging, 'one'), '1'));
  const before = readdirSync(dir).sort();
  await assert.rejects(
    publishDirectory(dir, async (staging) => {
      writeFileSync(join(staging, 'one'), 'half');
      throw new Error('source failed');
    }),
    /source failed/,
  );
  assert.deepEqual(readdirSync(dir).sort(), before);
  assert.equal(readFileSync(join(dir, 'one'), 'utf8'), '1');
});

test('a failed publish removes the target directories it created, and only those', async () => {
  const root = tmp();
  const target = join(root, 'new', 'set');
  await assert.rejects(
    publishDirectory(target, async () => {
      throw new Error('source failed');
    }),
    /source failed/,
  );
  assert.deepEqual(readdirSync(root), [], 'both created levels are gone');

  const existing = join(root, 'existing');
  mkdirSync(existing);
  await assert.rejects(
    publishDirectory(existing, async () => {
      throw new Error('source failed');
    }),
    /source failed/,
  );
  assert.deepEqual(readdirSync(existing), [], 'a target that was there before stays');
  assert.deepEqual(readdirSync(root), ['existing']);
});

test('a file in the target not written by the layout is never replaced', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'one'), 'user file');
  await assert.rejects(
    publishDirectory(dir, async (staging) => writeFileSync(join(staging, 'one'), '1')),
    (e: unknown) => e instanceof UsageError && /"one" already exists/.test(e.message),
  );
  assert.equal(readFileSync(join(dir, 'one'), 'utf8'), 'user file');
});

test('stale staging directories from a crash are removed on the next publish', async () => {
  const dir = tmp();
  await publishDirectory(dir, async (staging) => writeFileSync(join(staging, 'one'), '1'));
  const stale = join(dir, '..20260101T000000_000Z.dead');
  mkdtempSync(stale);
  await publishDirectory(dir, async (staging) => writeFileSync(join(staging, 'one'), '2'));
  assert.ok(!readdirSync(dir).some((e) => e.startsWith('..20260101')));
});

test('a temporary name has a fixed length (a 255-byte name fits) and a killed write of the same name is cleaned up by the next', async () => {
  const dir = tempDir('atomic-');
  const name = 'n'.repeat(255);
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 12);
  const stale = join(dir, `.tmp-${digest}-0badc0de`);
  const unrelated = join(dir, `.tmp-${'0'.repeat(12)}-0badc0de`);
  writeFileSync(stale, 'half-written');
  writeFileSync(unrelated, 'another file being written');
  await writeFileAtomic(join(dir, name), 'complete', { mode: 0o444 });
  assert.equal(readFileSync(join(dir, name), 'utf8'), 'complete');
  assert.equal(existsSync(stale), false, 'the killed write of this name is removed');
  assert.equal(existsSync(unrelated), true, 'temporary files of other names are left alone');
});
