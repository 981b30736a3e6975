// The part scheduling of a ranged download with a fake transport: parts that deliver odd-sized chunks at
// random moments, so later parts often finish first and the in-order hashing must read them back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inOrder, splitParts, writeAtOffsets, type FetchPart } from '../../../tools/fetch-and-convert-data/s3-parts.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Serves `data` part by part in chunks of 1..50,000 bytes with random pauses; `fail` makes a part throw midway. */
function fakeFetch(data: Buffer, fail?: number): FetchPart & { aborted: number[] } {
  const aborted: number[] = [];
  const fetch = async (part: { index: number; first: number; length: number }, onChunk: (chunk: Buffer) => void | Promise<void>, signal: AbortSignal) => {
    let offset = 0;
    while (offset < part.length) {
      await sleep(Math.floor(Math.random() * 3));
      if (signal.aborted) {
        aborted.push(part.index);
        throw signal.reason;
      }
      if (part.index === fail && offset > part.length / 2) throw new Error(`part ${part.index} failed`);
      const length = Math.min(part.length - offset, 1 + Math.floor(Math.random() * 50_000));
      await onChunk(Buffer.from(data.subarray(part.first + offset, part.first + offset + length)));
      offset += length;
    }
  };
  return Object.assign(fetch, { aborted });
}

test('splitParts covers the object exactly; an empty object is one empty part', () => {
  assert.deepEqual(splitParts(10, 4), [
    { index: 0, first: 0, length: 4 },
    { index: 1, first: 4, length: 4 },
    { index: 2, first: 8, length: 2 },
  ]);
  assert.deepEqual(splitParts(0, 4), [{ index: 0, first: 0, length: 0 }]);
});

test('inOrder yields the bytes in order whatever order the parts arrive in', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 12_345);
  const chunks: Buffer[] = [];
  for await (const chunk of inOrder(splitParts(data.length, 256 * 1024), 4, fakeFetch(data), new AbortController().signal)) chunks.push(chunk);
  assert.ok(Buffer.concat(chunks).equals(data));
});

test('inOrder: a failed part ends the stream and cancels the parts in flight', async () => {
  const data = randomBytes(2 * 1024 * 1024);
  const fetch = fakeFetch(data, 2);
  const read = async () => {
    for await (const _chunk of inOrder(splitParts(data.length, 128 * 1024), 4, fetch, new AbortController().signal));
  };
  await assert.rejects(read(), /part 2 failed/);
  assert.ok(fetch.aborted.length > 0, 'the other parts in flight saw the abort');
});

test('writeAtOffsets writes every part at its offset and passes the bytes on in order', async () => {
  const dir = tempDir('s3-parts-');
  try {
    for (const [size, partSize, concurrency] of [
      [5 * 1024 * 1024 + 7, 512 * 1024, 4],
      [3 * 1024 * 1024, 1024 * 1024, 2],
      [1000, 4096, 3],
      [0, 4096, 2],
    ] as const) {
      const data = randomBytes(size);
      const path = join(dir, `out-${size}`);
      const file = await open(path, 'wx+');
      const ordered: Buffer[] = [];
      try {
        await writeAtOffsets(
          splitParts(size, partSize),
          concurrency,
          fakeFetch(data),
          file,
          (chunk) => ordered.push(Buffer.from(chunk)),
          new AbortController().signal,
        );
      } finally {
        await file.close();
      }
      assert.ok((await readFile(path)).equals(data), `file content for size ${size}`);
      assert.ok(Buffer.concat(ordered).equals(data), `ordered bytes for size ${size}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeAtOffsets: an error of the ordered sink stops the download', async () => {
  const data = randomBytes(1024 * 1024);
  const dir = tempDir('s3-parts-');
  const file = await open(join(dir, 'out'), 'wx+');
  let seen = 0;
  try {
    const sink = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > 300_000) throw new Error('limit reached');
    };
    await assert.rejects(writeAtOffsets(splitParts(data.length, 128 * 1024), 3, fakeFetch(data), file, sink, new AbortController().signal), /limit reached/);
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});
