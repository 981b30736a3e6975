// Scheduling of a ranged download, independent of the transport: the object split into parts, at most
// `concurrency` fetched at a time, delivered one of two ways.
//  - inOrder: a stream of the object's bytes in order, for conversions. The first part streams through
//    as it arrives; parts ahead of it wait in memory (at most part size x concurrency).
//  - writeAtOffsets: no conversion, so every chunk goes straight to its offset in the file and nothing
//    waits in memory whatever the part size. The bytes are still passed in order to `ordered` (hashing,
//    checks): from memory when a chunk arrives exactly at the hashed frontier, otherwise read back
//    from the file once the parts before it are done (from the page cache, cheaper than holding them).

import type { FileHandle } from 'node:fs/promises';
import { mapLimit } from '../core/concurrency.ts';

export interface Part {
  index: number;
  /** Offset of the part's first byte in the object. */
  first: number;
  length: number;
}

/**
 * Fetches one part, passing its bytes in order to `onChunk` (awaited: back-pressure), and resolves once
 * all `part.length` bytes were passed. Retries, resuming after the bytes already passed, are its own
 * business; an error thrown by `onChunk` must be rethrown as is.
 */
export type FetchPart = (part: Part, onChunk: (chunk: Buffer) => void | Promise<void>, signal: AbortSignal) => Promise<void>;

/** Called with the object's bytes in order; a chunk is valid only during the call (buffers are reused). */
export type OrderedSink = (chunk: Buffer) => void;

/** Bytes gathered before one positional write: fewer, larger writes cost less CPU than one per socket read. */
const WRITE_BATCH = 1024 * 1024;
/** Size of the buffer that reads back bytes written ahead of the hashed frontier. */
const READ_BACK = 1024 * 1024;

/** The object cut into parts of `partSize` bytes; an empty object is one empty part. */
export function splitParts(size: number, partSize: number): Part[] {
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, index) => {
    const first = index * partSize;
    return { index, first, length: Math.max(0, Math.min(size, first + partSize) - first) };
  });
}

interface Slot {
  chunks: Buffer[];
  done: boolean;
  settled: Promise<void>;
}

/** The object's bytes in order; a failed part ends the stream at once, and an early exit stops the rest. */
export async function* inOrder(parts: readonly Part[], concurrency: number, fetch: FetchPart, signal: AbortSignal): AsyncGenerator<Buffer> {
  const stop = new AbortController();
  const partSignal = AbortSignal.any([signal, stop.signal]);
  const slots: Slot[] = [];
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const start = (part: Part) => {
    const slot: Slot = { chunks: [], done: false, settled: Promise.resolve() };
    slot.settled = fetch(
      part,
      (chunk) => {
        slot.chunks.push(chunk);
        if (slot === slots[0]) notify();
      },
      partSignal,
    ).then(
      () => {
        slot.done = true;
        notify();
      },
      (error: unknown) => {
        failure ??= { error };
        notify();
      },
    );
    slots.push(slot);
  };
  let next = 0;
  try {
    while (next < parts.length && slots.length < concurrency) start(parts[next++] as Part);
    while (slots.length > 0) {
      const slot = slots[0] as Slot;
      for (;;) {
        if (failure) throw failure.error;
        const chunk = slot.chunks.shift();
        if (chunk) yield chunk;
        else if (slot.done) break;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
      slots.shift();
      if (next < parts.length) start(parts[next++] as Part);
    }
  } finally {
    // A failed part or a consumer that stopped reading: the other requests are cancelled, not left running.
    stop.abort();
    await Promise.allSettled(slots.map((s) => s.settled));
  }
}

/** Writes every part at its offset in `file`; `ordered` sees all bytes in order before this resolves. */
export async function writeAtOffsets(
  parts: readonly Part[],
  concurrency: number,
  fetch: FetchPart,
  file: FileHandle,
  ordered: OrderedSink,
  signal: AbortSignal,
): Promise<void> {
  const frontier = new OrderedFrontier(parts, file, ordered);
  await mapLimit(parts, concurrency, (part, _index, failed) => writePart(part, fetch, file, frontier, failed), { signal });
  await frontier.readBack();
  if (frontier.hashed !== frontier.size) throw new Error(`internal: ${frontier.hashed} of ${frontier.size} bytes passed on in order`);
}

/** One part's chunks written at their offsets in batches, each passed on in order from memory when it can be. */
async function writePart(part: Part, fetch: FetchPart, file: FileHandle, frontier: OrderedFrontier, signal: AbortSignal): Promise<void> {
  let cursor = part.first;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batchBytes === 0) return;
    const buffers = batch;
    const length = batchBytes;
    batch = [];
    batchBytes = 0;
    await writeFully(file, buffers, part.first + frontier.writtenOf(part), length);
    frontier.wrote(part, length);
    await frontier.readBack();
  };
  await fetch(
    part,
    // Synchronous unless a batch is written: no promise (and no pause of the body) per chunk.
    (chunk) => {
      frontier.passIfNext(chunk, cursor);
      cursor += chunk.length;
      batch.push(chunk);
      batchBytes += chunk.length;
      return batchBytes >= WRITE_BATCH ? flush() : undefined;
    },
    signal,
  );
  await flush();
}

/**
 * How far `ordered` has seen the object (the hashed frontier), and how much of each part is on disk.
 * Bytes reach `ordered` from memory when they arrive exactly at the frontier, else read back from the file.
 */
class OrderedFrontier {
  /** Bytes passed on in order. */
  hashed = 0;
  readonly size: number;
  private readonly parts: readonly Part[];
  private readonly file: FileHandle;
  private readonly ordered: OrderedSink;
  /** Bytes of each part on disk, counted from its start (a part's writes are sequential). */
  private readonly written: number[];
  /** The first part not yet passed on whole. */
  private head = 0;
  private reading = false;
  private readonly scratch: Buffer;

  constructor(parts: readonly Part[], file: FileHandle, ordered: OrderedSink) {
    const last = parts.at(-1) as Part;
    this.size = last.first + last.length;
    this.parts = parts;
    this.file = file;
    this.ordered = ordered;
    this.written = parts.map(() => 0);
    this.scratch = Buffer.allocUnsafe(Math.max(1, Math.min(READ_BACK, this.size)));
  }

  /** Passes on a chunk that starts at `offset` when that is the frontier and no read-back is under way. */
  passIfNext(chunk: Buffer, offset: number): void {
    if (!this.reading && offset === this.hashed) {
      this.ordered(chunk);
      this.hashed += chunk.length;
    }
  }

  writtenOf(part: Part): number {
    return this.written[part.index] as number;
  }

  wrote(part: Part, length: number): void {
    this.written[part.index] = (this.written[part.index] as number) + length;
  }

  /** Passes on what is on disk right after the frontier; one reader at a time, re-checking after each read. */
  async readBack(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const { parts } = this;
      for (;;) {
        while (this.head < parts.length && this.hashed >= (parts[this.head] as Part).first + (parts[this.head] as Part).length) this.head++;
        if (this.head >= parts.length) return;
        const available = (parts[this.head] as Part).first + (this.written[this.head] as number);
        if (this.hashed >= available) return;
        const length = Math.min(this.scratch.length, available - this.hashed);
        const { bytesRead } = await this.file.read(this.scratch, 0, length, this.hashed);
        if (bytesRead !== length) throw new Error(`internal: read back ${bytesRead} of ${length} bytes at offset ${this.hashed}`);
        this.ordered(this.scratch.subarray(0, length));
        this.hashed += length;
      }
    } finally {
      this.reading = false;
    }
  }
}

async function writeFully(file: FileHandle, buffers: Buffer[], position: number, length: number): Promise<void> {
  const { bytesWritten } = await file.writev(buffers, position);
  if (bytesWritten < length) {
    const rest = Buffer.concat(buffers).subarray(bytesWritten);
    let offset = 0;
    while (offset < rest.length) {
      const result = await file.write(rest, offset, rest.length - offset, position + bytesWritten + offset);
      offset += result.bytesWritten;
    }
  }
}
