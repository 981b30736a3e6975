import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { InvalidInputError } from '../../../tools/core/errors.ts';
import { headerSize, MAX_LONG_HEADER_BYTES, paxSize, TarHeaderGuard } from '../../../tools/fetch-and-convert-data/tar-guard.ts';

function block(type: string, size: number | Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write('name', 0);
  if (typeof size === 'number') header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  else size.copy(header, 124);
  header.write(type, 156);
  return header;
}

async function guard(chunks: Buffer[]): Promise<void> {
  await pipeline(Readable.from(chunks), new TarHeaderGuard('src'), async function* (source) {
    for await (const _ of source) yield;
  });
}

test('headerSize reads octal and GNU base-256 sizes; paxSize finds the size record', () => {
  assert.equal(headerSize(block('0', 0o1234)), 0o1234);
  const base256 = Buffer.alloc(12);
  base256[0] = 0x80;
  base256.writeUIntBE(2 ** 40, 6, 6);
  assert.equal(headerSize(block('0', base256)), 2 ** 40);
  assert.equal(paxSize(Buffer.from('20 path=a/long/name\n16 size=123456\n')), 123456);
  assert.equal(paxSize(Buffer.from('19 path=some/thing\n')), undefined);
});

test('TarHeaderGuard passes real archives byte for byte, whatever the chunking, PAX and long names included', async () => {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c: Buffer) => chunks.push(c));
  // A name over 100 bytes: tar-stream writes a PAX header for it.
  archive.entry({ name: `${'d'.repeat(120)}/${'f'.repeat(120)}` }, Buffer.alloc(70_000, 1));
  archive.entry({ name: 'dir', type: 'directory' });
  archive.entry({ name: 'small.txt' }, 'hello');
  archive.finalize();
  await new Promise((ok) => archive.on('end', ok));
  const bytes = Buffer.concat(chunks);
  for (const size of [1, 7, 511, 512, 4096, bytes.length]) {
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
    await guard(pieces);
  }
});

test('TarHeaderGuard fails as soon as a long name or PAX header is declared larger than a name can be', async () => {
  for (const type of ['L', 'K', 'x', 'g']) {
    await assert.rejects(
      guard([block(type, 4 * 1024 ** 3)]),
      (e: unknown) => e instanceof InvalidInputError && /src: a tar .* header declares 4\.00 GiB, more than the 1\.00 MiB/.test(e.message),
      type,
    );
  }
  // A PAX size for the next entry is followed: its data is skipped, not read as headers.
  const pax = Buffer.from('16 size=1048576\n');
  const data = Buffer.alloc(1048576, 0);
  block('L', MAX_LONG_HEADER_BYTES + 1).copy(data, 0);
  await guard([block('x', pax.length), Buffer.concat([pax, Buffer.alloc(512 - pax.length)]), block('0', 0), data, Buffer.alloc(1024)]);
});
