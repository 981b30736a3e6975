// Malformed and hostile archives, crafted byte by byte, against the built tool: truncated or corrupt
// tar and zip, names too long for the kernel (GNU long names, PAX paths), names that are not UTF-8 or hold
// control characters, a file and a directory of the same name, zips whose local headers contradict the
// central directory, whose real sizes are not the declared ones, whose entries overlap (the
// "non-recursive" zip bomb) or whose entries together expand past --max-ratio. Each is exit 4 with one
// line naming the archive and the fix, never exit 1, and nothing is left under --out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, crc32, createZstdCompress, deflateRawSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { assertRefused, runOnFile } from './fixtures.ts';

// --- tar, by hand: tar-stream's packer refuses most of what is tested here.

interface RawTarEntry {
  name: string;
  /** ustar type flag: 0 file, 1 hardlink, 2 symlink, 3 char device, 4 block device, 5 directory, 6 FIFO, L GNU long name, x PAX. */
  type?: string;
  data?: Buffer;
  linkname?: string;
  /** The name's bytes as given (latin1), e.g. invalid UTF-8. */
  rawName?: Buffer;
}

function tarHeader(entry: RawTarEntry, size: number): Buffer {
  const header = Buffer.alloc(512);
  (entry.rawName ?? Buffer.from(entry.name)).subarray(0, 100).copy(header, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(entry.type ?? '0', 156);
  if (entry.linkname) header.write(entry.linkname, 157);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

function rawTar(entries: RawTarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    blocks.push(tarHeader(entry, data.length), padded(data));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

function gnuLongName(name: string, data = 'x'): RawTarEntry[] {
  return [
    { name: '././@LongLink', type: 'L', data: Buffer.from(`${name}\0`) },
    { name: 'short', data: Buffer.from(data) },
  ];
}

function paxPath(path: string): RawTarEntry[] {
  const body = ` path=${path}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return [
    { name: 'PaxHeader', type: 'x', data: Buffer.from(`${length}${body}`) },
    { name: 'short', data: Buffer.from('x') },
  ];
}

// --- zip, by hand: local headers, central directory and offsets under the test's control.

interface ZipPiece {
  name: string;
  /** What the central directory declares. */
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  method: number;
  offset: number;
}

function localHeader(name: Buffer, method: number, crc: number, compressedSize: number, uncompressedSize: number): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0x800, 6);
  header.writeUInt16LE(method, 8);
  header.writeUInt32LE(crc >>> 0, 14);
  header.writeUInt32LE(compressedSize, 18);
  header.writeUInt32LE(uncompressedSize, 22);
  header.writeUInt16LE(name.length, 26);
  return Buffer.concat([header, name]);
}

function centralDirectory(pieces: ZipPiece[], at: number): Buffer {
  const records = pieces.map((piece) => {
    const name = Buffer.from(piece.name);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x031e, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x800, 8);
    header.writeUInt16LE(piece.method, 10);
    header.writeUInt32LE(piece.crc >>> 0, 16);
    header.writeUInt32LE(piece.compressedSize, 20);
    header.writeUInt32LE(piece.uncompressedSize, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    header.writeUInt32LE(piece.offset, 42);
    return Buffer.concat([header, name]);
  });
  const directory = Buffer.concat(records);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(pieces.length, 8);
  end.writeUInt16LE(pieces.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(at, 16);
  return Buffer.concat([directory, end]);
}

/** One stored or deflated entry whose local header and central record can be told to disagree with the data. */
function zipOfOne(name: string, content: Buffer, lie: { local?: Partial<ZipPiece>; central?: Partial<ZipPiece> } = {}): Buffer {
  const data = deflateRawSync(content);
  const honest: ZipPiece = { name, crc: crc32(content), compressedSize: data.length, uncompressedSize: content.length, method: 8, offset: 0 };
  const local = { ...honest, ...lie.local };
  const head = localHeader(Buffer.from(local.name), local.method, local.crc, local.compressedSize, local.uncompressedSize);
  return Buffer.concat([head, data, centralDirectory([{ ...honest, ...lie.central }], head.length + data.length)]);
}

/** Entry "outer" stores bytes that are themselves a complete entry "inner": the two entries' data overlap. */
function overlappingZip(): Buffer {
  const innerContent = Buffer.alloc(100_000, 0);
  const innerData = deflateRawSync(innerContent);
  const inner = Buffer.concat([localHeader(Buffer.from('inner.bin'), 8, crc32(innerContent), innerData.length, innerContent.length), innerData]);
  const outerHead = localHeader(Buffer.from('outer.bin'), 0, crc32(inner), inner.length, inner.length);
  const pieces: ZipPiece[] = [
    { name: 'outer.bin', crc: crc32(inner), compressedSize: inner.length, uncompressedSize: inner.length, method: 0, offset: 0 },
    {
      name: 'inner.bin',
      crc: crc32(innerContent),
      compressedSize: innerData.length,
      uncompressedSize: innerContent.length,
      method: 8,
      offset: outerHead.length,
    },
  ];
  return Buffer.concat([outerHead, inner, centralDirectory(pieces, outerHead.length + inner.length)]);
}

/** Many entries of 1 MiB of zeros each: every one is under the per-entry ratio floor, together they are a bomb. */
function manySmallBombs(path: string, count: number): void {
  const script = [
    'import sys, zipfile',
    'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:',
    '    for i in range(int(sys.argv[2])):',
    '        z.writestr(f"zeros-{i}.bin", b"\\0" * (1024 * 1024))',
  ].join('\n');
  execFileSync('python3', ['-c', script, path, String(count)]);
}

function extract(file: string, content: Buffer, chain: string, extra: string[] = []) {
  return runOnFile(file, content, chain, extra, 'tree');
}

test('malformed and hostile tar archives: exit 4 with one line naming the entry or the damage, never exit 1', async () => {
  const good = rawTar([{ name: 'a.txt', data: Buffer.from('hello') }]);
  const deepName = Array.from({ length: 17 }, () => 'd'.repeat(240)).join('/');
  const cases: Array<[string, Buffer, RegExp, string[]?]> = [
    ['truncated data', good.subarray(0, 600), /invalid or truncated tar archive: Unexpected end of data/],
    ['truncated header', good.subarray(0, 300), /invalid or truncated tar archive/],
    ['garbage', Buffer.from('this is not a tar archive at all '.repeat(40)), /invalid or truncated tar archive: Invalid tar header/],
    ['bad checksum', Buffer.concat([Buffer.alloc(512, 0x31), Buffer.alloc(1024)]), /invalid or truncated tar archive: Invalid tar header/],
    [
      'GNU long name component over 255 bytes',
      rawTar(gnuLongName(`dir/${'n'.repeat(300)}`)),
      /"dir\/n{50,}\.\.\.\(304 bytes\)" rejected: name too long: a component is 300 bytes long, the limit is 255/,
    ],
    ['PAX path over 4096 bytes', rawTar(paxPath(deepName)), /name too long: \d+ bytes long, the limit for a path is 4095/, ['--max-depth', '64']],
    ['invalid UTF-8 name', rawTar([{ name: 'x', rawName: Buffer.from([0x61, 0xff, 0xfe, 0x62]), data: Buffer.from('x') }]), /the name is not valid UTF-8/],
    ['control character in the name', rawTar([{ name: 'a\nb', data: Buffer.from('x') }]), /"a\\nb" rejected: control character in the name/],
    [
      'a file, then a directory of the same name',
      rawTar([
        { name: 'a', data: Buffer.from('x') },
        { name: 'a/', type: '5' },
      ]),
      /"a" is a file or link earlier in the archive, not a directory/,
    ],
    [
      'a directory, then a file of the same name',
      rawTar([
        { name: 'a/', type: '5' },
        { name: 'a', data: Buffer.from('x') },
      ]),
      /archive entry "a" rejected: a directory "a" came before it/,
    ],
    [
      'a file, then a file below it',
      rawTar([
        { name: 'a', data: Buffer.from('x') },
        { name: 'a/b', data: Buffer.from('x') },
      ]),
      /its parent "a" is a file/,
    ],
    [
      'duplicate names',
      rawTar([
        { name: 'a', data: Buffer.from('x') },
        { name: 'a', data: Buffer.from('y') },
      ]),
      /duplicate entry/,
    ],
    ['FIFO', rawTar([{ name: 'f', type: '6' }]), /device, FIFO or socket/],
    ['character device', rawTar([{ name: 'c', type: '3' }]), /device, FIFO or socket/],
    ['block device', rawTar([{ name: 'b', type: '4' }]), /device, FIFO or socket/],
    ['hardlink outside', rawTar([{ name: 'h', type: '1', linkname: '../../etc/passwd' }]), /"\.\." leaves the target directory/, ['--allow-links']],
    ['hardlink to an absolute path', rawTar([{ name: 'h', type: '1', linkname: '/etc/passwd' }]), /absolute path/, ['--allow-links']],
    [
      'symlink chain out',
      rawTar([
        { name: 'l1', type: '2', linkname: '.' },
        { name: 'l2', type: '2', linkname: 'l1/..' },
      ]),
      /"l2" rejected: symlink resolves outside the target directory/,
      ['--allow-links'],
    ],
    ['absolute path', rawTar([{ name: '/etc/evil', data: Buffer.from('x') }]), /absolute path/],
    ['".." in the path', rawTar([{ name: 'a/../../evil', data: Buffer.from('x') }]), /"\.\." leaves the target directory/],
    // tar-stream would hold the declared 4 GiB in memory before parsing the name.
    [
      'a long name declared 4 GiB',
      Buffer.concat([tarHeader({ name: '././@LongLink', type: 'L' }, 4 * 1024 ** 3), Buffer.alloc(64 * 1024, 0x61)]),
      /a tar GNU long name header declares 4\.00 GiB, more than the 1\.00 MiB any name and its attributes can need/,
    ],
    [
      'a PAX header declared 4 GiB',
      Buffer.concat([tarHeader({ name: 'PaxHeader', type: 'x' }, 4 * 1024 ** 3), Buffer.alloc(64 * 1024, 0x61)]),
      /a tar PAX header declares 4\.00 GiB/,
    ],
  ];
  for (const [label, archive, message, extra] of cases) assertRefused(label, await extract('bad.tar', archive, 'untar', extra), message);
  assertRefused('truncated tar.gz', await extract('bad.tgz', gzipSync(good).subarray(0, 40), 'gunzip,untar'), /invalid or truncated compressed data/);
});

test('zips whose headers lie, whose entries overlap or that expand too much as a whole: exit 4, never exit 1', async () => {
  const content = Buffer.from('hello, zip');
  const cases: Array<[string, Buffer, RegExp]> = [
    ['overlapping entries (non-recursive zip bomb)', overlappingZip(), /archive entry "inner\.bin" rejected: its data overlaps entry "outer\.bin"/],
    [
      'local header names another file',
      zipOfOne('a.txt', content, { local: { name: 'b.txt' } }),
      /"a\.txt" rejected: its local header names another file than the central directory/,
    ],
    [
      'local header declares another size',
      zipOfOne('a.txt', content, { local: { uncompressedSize: 999 } }),
      /its local header declares a uncompressed size of 999, the central directory 10/,
    ],
    ['local header declares another CRC', zipOfOne('a.txt', content, { local: { crc: 1234 } }), /declare different CRC-32s/],
    [
      'real size larger than declared',
      zipOfOne('a.txt', content, { local: { uncompressedSize: 4 }, central: { uncompressedSize: 4 } }),
      /invalid zip archive: too many bytes in the stream/,
    ],
    [
      'real size smaller than declared',
      zipOfOne('a.txt', content, { local: { uncompressedSize: 40 }, central: { uncompressedSize: 40 } }),
      /invalid zip archive: not enough bytes in the stream/,
    ],
    [
      'compressed size beyond the file',
      zipOfOne('a.txt', content, { central: { compressedSize: 5000 } }),
      /invalid zip archive: .*(overflows|local header declares)/,
    ],
    ['truncated', zipOfOne('a.txt', content).subarray(0, 40), /invalid zip archive: End of central directory record signature not found/],
  ];
  for (const [label, archive, message] of cases) assertRefused(label, await extract('bad.zip', archive, 'unzip'), message);

  const dir = tempDir();
  manySmallBombs(join(dir, 'many.zip'), 40);
  assertRefused(
    'many small entries',
    await extract('many.zip', readFileSync(join(dir, 'many.zip')), 'unzip'),
    /the archive's entries declare 40\.0 MiB from .*, above --max-ratio 200: a zip bomb\? raise --max-ratio/,
  );
  const allowed = await extract('many.zip', readFileSync(join(dir, 'many.zip')), 'unzip', ['--max-ratio', '5000']);
  assert.equal(allowed.result.code, 0, allowed.result.stderr);
});

/** A zstd frame that declares a 1 GiB window (streamed, so the size is not known up front). */
async function zstdHugeWindow(): Promise<Buffer> {
  const compress = createZstdCompress({ params: { [constants.ZSTD_c_windowLog]: 30, [constants.ZSTD_c_enableLongDistanceMatching]: 1 } });
  const chunks: Buffer[] = [];
  compress.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((ok) => compress.on('end', ok));
  compress.end(Buffer.alloc(1000, 'a'));
  await done;
  return Buffer.concat(chunks);
}

test('corrupt, truncated or memory-hungry compressed streams are exit 4, never exit 1', async () => {
  const zstd = zstdCompressSync(Buffer.alloc(300_000, 'a'));
  const xz = execFileSync('xz', ['-c'], { input: randomBytes(300_000) });
  // A byte changed in the middle of the LZMA2 data: the decoder or the CRC64 check must catch it.
  const corruptXz = Buffer.from(xz);
  corruptXz[xz.length >> 1] = corruptXz[xz.length >> 1]! ^ 0xff;
  const cases: Array<[string, string, Buffer, RegExp]> = [
    ['zstd garbage', 'zstd', Buffer.from('not zstd at all'), /invalid or truncated compressed data: Unknown frame descriptor/],
    ['zstd truncated', 'zstd', zstd.subarray(0, zstd.length - 5), /invalid or truncated compressed data/],
    ['zstd window of 1 GiB', 'zstd', await zstdHugeWindow(), /invalid or truncated compressed data: Frame requires too much memory for decoding/],
    ['xz garbage', 'xz', Buffer.from('not xz at all'), /invalid or truncated compressed data: xz: not xz data/],
    ['xz truncated', 'xz', xz.subarray(0, xz.length - 20), /invalid or truncated compressed data: xz: truncated data/],
    ['xz corrupt', 'xz', corruptXz, /invalid or truncated compressed data: xz: corrupt data/],
    [
      'xz dictionary of 128 MiB',
      'xz',
      execFileSync('xz', ['-c', '--lzma2=dict=128MiB'], { input: 'x' }),
      /xz: the dictionary is larger than the decoder allows/,
    ],
    // The decoder read a null chunk at once: "Cannot read properties of null", exit 1.
    ['xz of no bytes at all', 'xz', Buffer.alloc(0), /invalid or truncated compressed data: xz: truncated data/],
    [
      'xz stream padding not a multiple of 4',
      'xz',
      Buffer.concat([execFileSync('xz', ['-c'], { input: 'x' }), Buffer.alloc(3)]),
      /invalid or truncated compressed data: xz: corrupt data/,
    ],
    ['gzip garbage', 'gunzip', Buffer.from('not gzip at all'), /invalid or truncated compressed data: incorrect header check/],
    ['gzip truncated', 'gunzip', gzipSync(Buffer.alloc(300_000, 'a')).subarray(0, 60), /invalid or truncated compressed data: unexpected end of file/],
  ];
  for (const [label, chain, data, message] of cases) assertRefused(label, await extract('data.bin', data, chain), message);
});

test('xz twice in one chain is a usage error at once: the decoder runs one stream at a time, so the inner one waited for the outer forever', async () => {
  // A few MiB that do not compress: more than the streams between the two decoders buffer.
  const nested = execFileSync('xz', ['-c'], {
    input: execFileSync('xz', ['-0', '-c'], { input: randomBytes(4 * 1024 * 1024), maxBuffer: 64 * 1024 * 1024 }),
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const [file, chain] of [
    ['data.bin.xz', 'xz,xz'],
    ['data.bin.xz.xz', 'auto'],
    ['bundle.tar.xz.xz', 'auto'],
  ] as const) {
    const { out, result } = await runOnFile(file, nested, chain, ['--timeout', '20s']);
    assert.equal(result.code, 2, `${file} --convert ${chain}: ${result.stderr.slice(0, 1500)}`);
    assert.match(failureLine(result).msg, /"xz" twice/);
    assert.ok(result.durationMs < 5000, `${file}: ${Math.round(result.durationMs)} ms`);
    assert.deepEqual(readdirSafe(out), [], `${file}: nothing written`);
  }
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
