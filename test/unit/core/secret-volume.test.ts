// The shared secret-volume reader on real directories: the kubelet's ..data layout read from one version,
// links that leave the volume, non-regular files, the size cap, subdirectories.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode } from '../../../tools/core/errors.ts';
import {
  readSecretVolume,
  SecretVolumeUnreadableError,
  UnsafeSecretEntryError,
  type SecretVolumeEntry,
  type SecretVolumeOptions,
} from '../../../tools/core/secret-volume.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const tmp = (): string => tempDir('secret-volume-');

const STAMP = '..2026_11_26_01_00_00.000000001';

/** A directory laid out like a kubelet secret volume: STAMP/name, name -> ..data/name, ..data -> STAMP. */
function volume(files: Record<string, string>, dir = tmp()): string {
  mkdirSync(join(dir, STAMP), { recursive: true });
  for (const [name, value] of Object.entries(files)) {
    writeFileSync(join(dir, STAMP, name), value);
    symlinkSync(`..data/${name}`, join(dir, name));
  }
  symlinkSync(STAMP, join(dir, '..data'));
  return dir;
}

const options = (overrides: Partial<SecretVolumeOptions> = {}): SecretVolumeOptions => ({
  label: '--test-dir X',
  maxFileBytes: 1024,
  limitName: '--max-size 1024',
  subdirectories: 'read',
  ...overrides,
});

/** name -> text, directories as nested objects. */
function contents(entries: readonly SecretVolumeEntry[]): Record<string, unknown> {
  return Object.fromEntries(entries.map((e) => [e.name, e.kind === 'file' ? e.bytes.toString() : e.entries && contents(e.entries)]));
}

async function refused(dir: string, entry: string, pattern: RegExp, overrides: Partial<SecretVolumeOptions> = {}): Promise<void> {
  await assert.rejects(readSecretVolume(dir, options(overrides)), (error: unknown) => {
    assert.ok(error instanceof UnsafeSecretEntryError, String(error));
    assert.equal(error.exitCode, ExitCode.invalidInput);
    assert.equal(error.entry, entry);
    assert.equal(error.dir, dir);
    assert.match(error.message, /^--test-dir X: /);
    assert.match(error.message, pattern);
    return true;
  });
}

test('the ..data layout: files listed and read from the version ..data points at, ".." names skipped, sorted', async () => {
  const dir = volume({ token: 'tok-1\n', '.dockerconfigjson': '{"auths":{}}', B: 'upper' });
  // A version the kubelet wrote but has not swapped in, and a file beside ..data: neither is current.
  mkdirSync(join(dir, '..2026_11_26_02_00_00.000000002'));
  writeFileSync(join(dir, '..2026_11_26_02_00_00.000000002', 'token'), 'NEWER');
  writeFileSync(join(dir, 'stray'), 'not in the current version');
  const entries = await readSecretVolume(dir, options());
  assert.deepEqual(
    entries.map((e) => e.name),
    ['.dockerconfigjson', 'B', 'token'],
  );
  assert.deepEqual(contents(entries), { '.dockerconfigjson': '{"auths":{}}', B: 'upper', token: 'tok-1\n' });
  assert.deepEqual(
    entries.map((e) => e.kind),
    ['file', 'file', 'file'],
  );
});

test('a plain directory (no ..data) is read as it is; links inside it that stay inside are followed', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a'), 'A');
  symlinkSync('a', join(dir, 'alias'));
  assert.deepEqual(contents(await readSecretVolume(dir, options())), { a: 'A', alias: 'A' });
});

test('snapshot: ..data is resolved once, so a run sees one whole version while it is swapped', async () => {
  // Two versions of 40 files; a child process swaps ..data between them as fast as it can (rename(2),
  // as the kubelet does). Following each name's own link would mix versions; reading the one resolved
  // ..data target never does.
  const dir = tmp();
  const names = Array.from({ length: 40 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
  for (const version of ['..v1', '..v2']) {
    mkdirSync(join(dir, version));
    for (const name of names) writeFileSync(join(dir, version, name), version);
  }
  for (const name of names) symlinkSync(`..data/${name}`, join(dir, name));
  symlinkSync('..v1', join(dir, '..data'));
  const swapper = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); const dir = process.argv[1];
     for (let i = 0; ; i++) { const tmp = dir + '/..data_tmp'; fs.symlinkSync(i % 2 ? '..v1' : '..v2', tmp); fs.renameSync(tmp, dir + '/..data'); }`,
      dir,
    ],
    { stdio: 'ignore' },
  );
  try {
    // On a loaded machine the child may take a while to start: read only once it has swapped, and go on
    // past 60 runs until both versions were seen (else this test could not fail), within a bound.
    for (let waited = 0; readlinkSync(join(dir, '..data')) === '..v1' && waited < 30_000; waited += 10) await sleep(10);
    const seen = new Set<string>();
    for (let run = 0; run < 60 || (seen.size < 2 && run < 2000); run++) {
      const versions = new Set((await readSecretVolume(dir, options())).map((e) => (e.kind === 'file' ? e.bytes.toString() : '')));
      assert.equal(versions.size, 1, `run ${run} mixed versions: ${[...versions].join(', ')}`);
      seen.add([...versions][0] as string);
    }
    // The swap really happened under the reads (else this test could not fail).
    assert.deepEqual([...seen].sort(), ['..v1', '..v2']);
  } finally {
    swapper.kill('SIGKILL');
  }
});

test('containment: a link to an absolute path outside the volume is refused and not read', async () => {
  const outside = join(tmp(), 'outside-secret');
  writeFileSync(outside, 'OUTSIDE-VALUE');
  const dir = volume({ ok: 'fine' });
  symlinkSync(outside, join(dir, STAMP, 'evil'));
  await refused(dir, 'evil', /"evil" points outside the directory \(to .*outside-secret\); refusing to follow it/);
  await assert.rejects(readSecretVolume(dir, options()), (error: Error) => !error.message.includes('OUTSIDE-VALUE'));
  const etc = volume({ ok: 'fine' });
  symlinkSync('/etc/passwd', join(etc, STAMP, 'passwd'));
  await refused(etc, 'passwd', /points outside the directory \(to \/etc\/passwd\)/);
});

test('containment: relative ../ links out of the volume are refused, in the layout and in a plain directory', async () => {
  const parent = tmp();
  mkdirSync(join(parent, 'other'));
  writeFileSync(join(parent, 'other', 'key'), 'OTHER');
  const dir = volume({ ok: 'fine' }, join(parent, 'vol'));
  symlinkSync('../../other/key', join(dir, STAMP, 'up'));
  await refused(dir, 'up', /"up" points outside the directory/);

  const plain = join(parent, 'plain');
  mkdirSync(plain);
  symlinkSync('../other', join(plain, 'sibling'));
  await refused(plain, 'sibling', /"sibling" points outside the directory/);
  // A link through the volume's own parent that comes back inside is fine: the resolved path counts.
  rmSync(join(plain, 'sibling'));
  writeFileSync(join(plain, 'real'), 'R');
  symlinkSync('../plain/real', join(plain, 'roundabout'));
  assert.deepEqual(contents(await readSecretVolume(plain, options())), { real: 'R', roundabout: 'R' });
});

test('containment: a ..data that points outside the volume, or at the volume itself, is refused', async () => {
  const elsewhere = tmp();
  writeFileSync(join(elsewhere, 'key'), 'ELSEWHERE');
  const dir = tmp();
  symlinkSync(elsewhere, join(dir, '..data'));
  symlinkSync('..data/key', join(dir, 'key'));
  await refused(dir, '..data', /"\.\.data" points outside the directory/);
  const relative = tmp();
  symlinkSync('../', join(relative, '..data'));
  await refused(relative, '..data', /"\.\.data" points outside the directory/);
  const self = tmp();
  symlinkSync('.', join(self, '..data'));
  await refused(self, '..data', /"\.\.data" points at the directory itself/);
  const file = tmp();
  writeFileSync(join(file, '..v1'), 'x');
  symlinkSync('..v1', join(file, '..data'));
  await refused(file, '..data', /"\.\.data" is not a directory/);
});

test('only regular files: a FIFO is refused at once (no waiting for a writer), a device behind a link is outside', async () => {
  const dir = volume({ ok: 'fine' });
  execFileSync('mkfifo', [join(dir, STAMP, 'pipe')]);
  await refused(dir, 'pipe', /"pipe" is a FIFO, not a regular file; only regular files are read/);
  const device = volume({ ok: 'fine' });
  symlinkSync('/dev/zero', join(device, STAMP, 'zero'));
  await refused(device, 'zero', /points outside the directory/);
});

test('the size cap names the entry, its size and the setting, and reads nothing of it', async () => {
  const dir = volume({ small: 'x'.repeat(1024), big: 'y'.repeat(1025) });
  await refused(dir, 'big', /^--test-dir X: "big" is 1025 bytes, more than --max-size 1024$/);
  assert.equal(contents(await readSecretVolume(dir, options({ maxFileBytes: 2048 }))).big, 'y'.repeat(1025));
  const empty = volume({ empty: '' });
  assert.deepEqual(contents(await readSecretVolume(empty, options())), { empty: '' });
});

test('subdirectories: read as nested entries, or only listed; a link loop is refused', async () => {
  const dir = volume({ top: 'T' });
  mkdirSync(join(dir, STAMP, 'tls', 'deeper'), { recursive: true });
  writeFileSync(join(dir, STAMP, 'tls', 'ca.crt'), 'CA');
  writeFileSync(join(dir, STAMP, 'tls', 'deeper', 'key'), 'K');
  symlinkSync('..data/tls', join(dir, 'tls'));
  const read = await readSecretVolume(dir, options());
  assert.deepEqual(contents(read), { tls: { 'ca.crt': 'CA', deeper: { key: 'K' } }, top: 'T' });
  const nested = read.find((e) => e.name === 'tls');
  assert.equal(nested?.kind === 'directory' && nested.entries?.[0]?.path, 'tls/ca.crt');
  const listed = await readSecretVolume(dir, options({ subdirectories: 'list' }));
  assert.deepEqual(
    listed.map((e) => [e.kind, e.name, e.kind === 'directory' ? e.entries : 'file']),
    [
      ['directory', 'tls', undefined],
      ['file', 'top', 'file'],
    ],
  );
  symlinkSync('..', join(dir, STAMP, 'tls', 'deeper', 'loop'));
  await refused(dir, 'tls/deeper/loop', /"tls\/deeper\/loop" leads back to a directory that contains it/);
  // Only listed, the loop is never entered.
  assert.equal((await readSecretVolume(dir, options({ subdirectories: 'list' }))).length, 2);
  // Links that lead to each other (ELOOP) are refused the same way, not reported as unreadable (exit 2).
  const links = volume({ ok: 'fine' });
  symlinkSync('ping', join(links, STAMP, 'pong'));
  symlinkSync('pong', join(links, STAMP, 'ping'));
  await refused(links, 'ping', /^--test-dir X: "ping" is a link loop/);
});

test('a volume that is missing or not a directory is a usage error naming it and the fix', async () => {
  const dir = tmp();
  const missing = join(dir, 'nope');
  await assert.rejects(readSecretVolume(missing, options({ label: `--test-dir ${missing}` })), (error: unknown) => {
    assert.ok(error instanceof SecretVolumeUnreadableError);
    assert.equal(error.exitCode, ExitCode.usage);
    assert.equal(error.message, `cannot read --test-dir ${missing}: ENOENT; mount the secret volume there or fix the path`);
    return true;
  });
  writeFileSync(join(dir, 'file'), 'x');
  await assert.rejects(
    readSecretVolume(join(dir, 'file'), options()),
    /^SecretVolumeUnreadableError: cannot read --test-dir X: not a directory; mount the secret volume there/,
  );
  const dangling = volume({ ok: 'fine' });
  symlinkSync('gone', join(dangling, STAMP, 'dangling'));
  await assert.rejects(readSecretVolume(dangling, options()), /cannot read "dangling" of --test-dir X: ENOENT; a link to a missing file/);
});
