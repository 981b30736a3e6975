// xz decompression as a Node stream stage: XZ Embedded (the Linux kernel's decoder) compiled to
// WebAssembly by the xz-decompress package, which works on web streams; nothing native in the image.
// Its failures carry only XZ Embedded's return code ("get_next_output failed with error code 7"),
// named here for the exit-4 message.

import { Duplex, Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { XzReadableStream } from 'xz-decompress';

/** XZ Embedded's enum xz_ret, for the codes that end a stream in error. */
const XZ_ERRORS: Record<string, string> = {
  '2': 'unsupported integrity check',
  '3': 'out of memory',
  '4': 'the dictionary is larger than the decoder allows (64 MiB, what xz -9 uses)',
  '5': 'not xz data (no xz header)',
  '6': 'unsupported xz options',
  '7': 'corrupt data',
  '8': 'truncated data',
};

/** Our own failure for an input of no bytes, which the decoder does not survive (it reads a null chunk). */
const EMPTY_INPUT = 'xz input ended before any byte';

export function createXzDecompress(): Duplex {
  let empty = true;
  const input = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk.length > 0) empty = false;
      callback(null, chunk);
    },
    flush(callback) {
      callback(empty ? new Error(EMPTY_INPUT) : null);
    },
  });
  const decoded = new XzReadableStream(Readable.toWeb(input) as ReadableStream<Uint8Array>);
  return Duplex.from({ writable: input, readable: Readable.fromWeb(decoded as WebReadableStream<Uint8Array>) });
}

/** What an error of the xz stage means, or undefined when it is not one of the decoder's. */
export function xzFailure(error: Error): string | undefined {
  if (error.message === EMPTY_INPUT) return `xz: ${XZ_ERRORS['8']} (no bytes at all)`;
  const code = /^get_next_output failed with error code (\d+)$/.exec(error.message)?.[1];
  return code === undefined ? undefined : `xz: ${XZ_ERRORS[code] ?? `decoder error ${code}`}`;
}
