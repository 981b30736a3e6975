// fetch-and-convert-data on hostile archives: truncated and corrupt tar and gzip, zips with overlapping
// entries or lying sizes, names that escape, names over 255 bytes, links that leave the tree, devices,
// setuid bits, duplicates, a decompression bomb. Each is exit 4 with one line naming the source, and the
// output holds the previous tree (or nothing on a first run), never a part of the new one.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertNewSet, assertOldSet, readSet, type SetSnapshot } from './lib/output-set.ts';
import { assertFailure, assertSuccess, runHostile } from './lib/run-hostile.ts';
import { copyOf, writeTree } from './lib/scratch.ts';
import { tar, type TarEntry } from './lib/tar.ts';
import { zip } from './lib/zip.ts';

const MANIFEST = /\.manifest\.json$/;
const fine: TarEntry[] = [{ name: 'ok.txt', body: 'fine\n' }];
const long = (bytes: number) => 'n'.repeat(bytes);

interface ArchiveCase {
  name: string;
  file: string;
  bytes: Buffer;
  convert: string;
  extra?: string[];
}

const tarCases: Array<[string, Buffer, string[]?]> = [
  ['a ../ escape', tar([...fine, { name: '../escape.txt', body: 'x' }])],
  ['an absolute name', tar([...fine, { name: '/tmp/abs.txt', body: 'x' }])],
  ['a nested ../../ escape', tar([...fine, { name: 'a/../../escape.txt', body: 'x' }])],
  ['a . component', tar([...fine, { name: 'a/./b.txt', body: 'x' }])],
  ['an empty component', tar([...fine, { name: 'a//b.txt', body: 'x' }])],
  ['a backslash', tar([...fine, { name: 'a\\..\\..\\b.txt', body: 'x' }])],
  ['a top-level ..data', tar([...fine, { name: '..data/x.txt', body: 'x' }])],
  ['a top-level ..stamp name', tar([...fine, { name: '..2026_01_01/x.txt', body: 'x' }])],
  ['a 300-byte name component (PAX)', tar([...fine, { name: `dir/${long(300)}.txt`, body: 'x', longName: 'pax' }])],
  ['a 256-byte name component (GNU long name)', tar([...fine, { name: `${long(256)}`, body: 'x', longName: 'gnu' }])],
  ['a 5000-byte path (PAX)', tar([...fine, { name: Array.from({ length: 50 }, () => long(99)).join('/'), body: 'x', longName: 'pax' }])],
  ['a path 20 directories deep', tar([...fine, { name: `${'d/'.repeat(20)}deep.txt`, body: 'x' }])],
  ['a symlink without --allow-links', tar([...fine, { name: 'link', type: '2', linkname: 'ok.txt' }])],
  ['a symlink to ../../etc/passwd', tar([...fine, { name: 'link', type: '2', linkname: '../../etc/passwd' }]), ['--allow-links']],
  ['a symlink to /etc/passwd', tar([...fine, { name: 'link', type: '2', linkname: '/etc/passwd' }]), ['--allow-links']],
  [
    'a symlink chain l1 -> ., l2 -> l1/..',
    tar([...fine, { name: 'l1', type: '2', linkname: '.' }, { name: 'l2', type: '2', linkname: 'l1/..' }]),
    ['--allow-links'],
  ],
  ['an entry below a symlink dir -> .', tar([...fine, { name: 'dir', type: '2', linkname: '.' }, { name: 'dir/x.txt', body: 'x' }]), ['--allow-links']],
  ['a dangling symlink', tar([...fine, { name: 'link', type: '2', linkname: 'missing.txt' }]), ['--allow-links']],
  ['a hardlink to ../outside', tar([...fine, { name: 'hard', type: '1', linkname: '../outside' }]), ['--allow-links']],
  [
    'a hardlink to an entry not extracted yet',
    tar([
      { name: 'hard', type: '1', linkname: 'later.txt' },
      { name: 'later.txt', body: 'x' },
    ]),
    ['--allow-links'],
  ],
  ['a character device', tar([...fine, { name: 'null', type: '3' }])],
  ['a FIFO', tar([...fine, { name: 'fifo', type: '6' }])],
  ['a setuid file', tar([...fine, { name: 'suid', body: 'x', mode: 0o4755 }])],
  ['a duplicate entry', tar([...fine, { name: 'ok.txt', body: 'replaced' }])],
  ['a header with a bad checksum', tar([...fine, { name: 'bad.txt', body: 'x', badChecksum: true }])],
  ['a size larger than the archive', tar([...fine, { name: 'big.txt', body: 'x', declaredSize: 10_000_000 }])],
  ['a cut in the middle of file data', tar([...fine, { name: 'cut.txt', body: 'y'.repeat(5000) }]).subarray(0, 512 * 4)],
  ['a cut in the middle of a header', tar([...fine, { name: 'cut.txt', body: 'y' }]).subarray(0, 512 * 2 + 100)],
];

function archiveCases(): ArchiveCase[] {
  const cases: ArchiveCase[] = tarCases.map(([name, bytes, extra]) => ({ name: `tar with ${name}`, file: 'models.tar', bytes, convert: 'untar', extra }));
  const good = gzipSync(tar([...fine, { name: 'more.txt', body: 'z'.repeat(20_000) }]));
  cases.push(
    { name: 'tar.gz cut in half', file: 'models.tgz', bytes: good.subarray(0, Math.floor(good.length / 2)), convert: 'gunzip,untar' },
    {
      name: 'tar.gz with a flipped byte in the deflate stream',
      file: 'models.tgz',
      bytes: flipByte(good, Math.floor(good.length / 2)),
      convert: 'gunzip,untar',
    },
    { name: 'tar.gz with a wrong CRC trailer', file: 'models.tgz', bytes: flipByte(good, good.length - 6), convert: 'gunzip,untar' },
    { name: 'tar.gz followed by garbage', file: 'models.tgz', bytes: Buffer.concat([good, Buffer.from('trailing garbage')]), convert: 'gunzip,untar' },
    {
      name: 'gzip bomb (64 MiB of zeros, ratio over 200)',
      file: 'models.tgz',
      bytes: gzipSync(tar([{ name: 'zeros', body: Buffer.alloc(64 * 1024 * 1024) }])),
      convert: 'gunzip,untar',
    },
    { name: 'not gzip at all', file: 'models.tgz', bytes: Buffer.from('PK\x03\x04 this is not gzip'), convert: 'gunzip,untar' },
    {
      name: 'zip whose two entries share one local header',
      file: 'models.zip',
      bytes: zip([
        { name: 'a.txt', body: 'aaaa' },
        { name: 'b.txt', body: 'aaaa', sharesDataOf: 0 },
      ]),
      convert: 'unzip',
    },
    {
      name: 'zip with a size larger than its data',
      file: 'models.zip',
      bytes: zip([{ name: 'a.txt', body: 'aaaa', declaredSize: 1_000_000 }]),
      convert: 'unzip',
    },
    {
      name: 'zip with a size smaller than its data',
      file: 'models.zip',
      bytes: zip([{ name: 'a.txt', body: 'a'.repeat(1000), declaredSize: 10 }]),
      convert: 'unzip',
    },
    { name: 'zip with a wrong CRC', file: 'models.zip', bytes: zip([{ name: 'a.txt', body: 'aaaa', declaredCrc: 0xdeadbeef }]), convert: 'unzip' },
    {
      name: 'zip with a ../ escape',
      file: 'models.zip',
      bytes: zip([
        { name: 'ok.txt', body: 'x' },
        { name: '../escape.txt', body: 'x' },
      ]),
      convert: 'unzip',
    },
    { name: 'zip with an absolute name', file: 'models.zip', bytes: zip([{ name: '/tmp/abs.txt', body: 'x' }]), convert: 'unzip' },
    { name: 'zip with a backslash escape', file: 'models.zip', bytes: zip([{ name: '..\\..\\escape.txt', body: 'x' }]), convert: 'unzip' },
    { name: 'zip with a 300-byte name', file: 'models.zip', bytes: zip([{ name: `${long(300)}.txt`, body: 'x' }]), convert: 'unzip' },
    {
      name: 'zip with a symlink to ../../etc',
      file: 'models.zip',
      bytes: zip([{ name: 'link', body: '../../etc', unixMode: 0o120777 }]),
      convert: 'unzip',
      extra: ['--allow-links'],
    },
    {
      name: 'zip with a duplicate name',
      file: 'models.zip',
      bytes: zip([
        { name: 'a.txt', body: 'one' },
        { name: 'a.txt', body: 'two' },
      ]),
      convert: 'unzip',
    },
    { name: 'zip cut in half', file: 'models.zip', bytes: zip([{ name: 'a.txt', body: 'a'.repeat(4000) }]).subarray(0, 2000), convert: 'unzip' },
    { name: 'zip with a setuid entry', file: 'models.zip', bytes: zip([{ name: 'suid', body: 'x', unixMode: 0o104755 }]), convert: 'unzip' },
  );
  return cases;
}

function flipByte(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ 0xff;
  return copy;
}

const runArchive = (out: string, archive: ArchiveCase) => {
  const path = join(writeTree({}), archive.file);
  writeFileSync(path, archive.bytes);
  return runHostile('fetch-and-convert-data', ['--out', out, '--name', 'models', '--convert', archive.convert, ...(archive.extra ?? []), `file://${path}`]);
};

describe('fetch-and-convert-data on hostile archives', { concurrency: 4 }, () => {
  let previous = '';
  let previousSet: SetSnapshot = new Map();
  before(async () => {
    previous = join(writeTree({}), 'out');
    const archive: ArchiveCase = {
      name: 'previous',
      file: 'models.tar',
      bytes: tar([{ name: 'previous.txt', body: 'the previous tree\n' }]),
      convert: 'untar',
    };
    assertSuccess(await runArchive(previous, archive));
    previousSet = readSet(previous, MANIFEST);
  });

  for (const archive of archiveCases()) {
    test(`${archive.name}, first run: exit 4 naming the source, nothing published`, async () => {
      const out = join(writeTree({}), 'out');
      const run = await runArchive(out, archive);
      assertFailure(run, 4, [archive.file]);
      assert.deepEqual([...readSet(out).keys()], [], 'nothing is visible in --out after a failed first run');
    });

    test(`${archive.name}, over a previous tree: exit 4, the previous tree kept`, async () => {
      const out = copyOf(previous);
      const run = await runArchive(out, archive);
      assertFailure(run, 4, [archive.file]);
      assertOldSet(out, previousSet, MANIFEST);
    });
  }

  const valid: Array<[string, TarEntry[], Record<string, string>, string[]?]> = [
    ['a 255-byte name (the longest a file system takes)', [{ name: long(255), body: 'longest\n', longName: 'pax' }], { [`models/${long(255)}`]: 'longest\n' }],
    [
      'nested directories and an executable',
      [
        { name: 'bin/', type: '5' },
        { name: 'bin/run', body: '#!/bin/sh\n', mode: 0o755 },
      ],
      { 'models/bin/run': '#!/bin/sh\n' },
    ],
    [
      'a symlink that stays inside, with --allow-links',
      [
        { name: 'real.txt', body: 'real\n' },
        { name: 'alias.txt', type: '2', linkname: 'real.txt' },
      ],
      { 'models/alias.txt': 'real\n' },
      ['--allow-links'],
    ],
  ];
  for (const [name, entries, expected, extra] of valid) {
    test(`a valid tar with ${name}, over a previous tree: exit 0, the new tree complete`, async () => {
      const out = copyOf(previous);
      const run = await runArchive(out, { name, file: 'models.tar', bytes: tar(entries), convert: 'untar', extra });
      assertSuccess(run);
      const after = assertNewSet(out, expected);
      assert.ok(!after.has('models/previous.txt'), 'the previous tree is gone once the new one is published');
    });
  }
});
