// A volume that fills up mid-write (an emptyDir with a small sizeLimit): exit 2 with the fix, not exit 1
// "unexpected error", and nothing left behind. The volume is a real 64 KiB tmpfs (the tests run as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine, runBundle } from '../../helpers/run.ts';
import { listTree, run } from './fixtures.ts';

function tinyVolume(): { dir: string; [Symbol.dispose](): void } {
  const dir = tempDir('full-volume-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0777', 'tmpfs', dir]);
  return { dir, [Symbol.dispose]: () => execFileSync('umount', [dir]) };
}

test('fetch-and-convert-data: a full output volume is exit 2 naming the fix, and the directory it created is removed', async () => {
  using volume = tinyVolume();
  const source = join(tempDir('full-volume-src-'), 'big.bin');
  writeFileSync(source, Buffer.alloc(1024 * 1024, 'x'));
  const out = join(volume.dir, 'data');

  const result = await run(['--out', out, `file://${source}`]);

  assert.equal(result.code, 2, result.stderr);
  assert.match(failureLine(result).msg, /volume .*is full \(ENOSPC\); raise the emptyDir sizeLimit/);
  assert.deepEqual(listTree(volume.dir), [], 'no partial file and no empty output directory');
});

test('render-config: a full output volume is exit 2 naming the fix, and nothing is published', async () => {
  using volume = tinyVolume();
  const templates = tempDir('full-volume-tpl-');
  mkdirSync(templates, { recursive: true });
  writeFileSync(join(templates, 'big.conf'), `${'line of configuration\n'.repeat(8192)}`);
  const out = join(volume.dir, 'config');

  const result = await runBundle('render-config', ['--templates', templates, '--out', out]);

  assert.equal(result.code, 2, result.stderr);
  assert.match(failureLine(result).msg, /volume .*is full \(ENOSPC\); raise the emptyDir sizeLimit/);
  assert.deepEqual(listTree(volume.dir), [], 'nothing published, no empty output directory');
});
