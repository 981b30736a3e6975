// tar-stream holds a GNU long name or a PAX header whole in memory before it parses it, whatever size the
// header block declares: one entry declaring a long name of gigabytes would make it buffer the rest of
// the stream. This stage in front of it follows the tar framing (512-byte header blocks, data padded to
// 512, the size a PAX header may set for the next entry) and fails as soon as such a header is declared
// larger than any real name can be. Malformed framing is left to tar-stream to report.

import { Transform, type TransformCallback } from 'node:stream';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';

const BLOCK = 512;
/** Long names and PAX records hold paths (at most 4095 bytes) and a few attributes: this is plenty. */
export const MAX_LONG_HEADER_BYTES = 1024 * 1024;
const LONG_HEADER_TYPES = new Set(['L', 'K', 'x', 'g']);

/** The size field of a header block: octal text, or GNU base-256 when the top bit of its first byte is set. */
export function headerSize(block: Uint8Array): number {
  const field = block.subarray(124, 136);
  if (((field[0] as number) & 0x80) !== 0) {
    let size = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) size = size * 256 + (field[i] as number);
    return size;
  }
  const text = Buffer.from(field)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** The value of "size" among PAX records ("LEN key=value\n"...), if any. */
export function paxSize(records: Uint8Array): number | undefined {
  const match = /(?:^|\n)\d+ size=(\d+)\n/.exec(Buffer.from(records).toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

export class TarHeaderGuard extends Transform {
  private readonly what: string;
  /** Bytes of the current header block gathered so far. */
  private header = Buffer.alloc(0);
  /** Data bytes (padded) still to pass before the next header. */
  private skip = 0;
  /** A long header being gathered: its type and the bytes still missing (padding excluded). */
  private long: { type: string; chunks: Buffer[]; missing: number; padding: number } | undefined;
  private globalSize: number | undefined;
  /** Size set by a PAX header for the entry that follows it. */
  private nextSize: number | undefined;

  constructor(what: string) {
    super();
    this.what = what;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.long) {
        const take = Math.min(this.long.missing, chunk.length - at);
        this.long.chunks.push(chunk.subarray(at, at + take));
        this.long.missing -= take;
        at += take;
        if (this.long.missing === 0) {
          const records = Buffer.concat(this.long.chunks);
          if (this.long.type === 'x') this.nextSize = paxSize(records) ?? this.globalSize;
          if (this.long.type === 'g') this.globalSize = paxSize(records);
          this.skip = this.long.padding;
          this.long = undefined;
        }
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - at);
        this.skip -= take;
        at += take;
        continue;
      }
      const take = Math.min(BLOCK - this.header.length, chunk.length - at);
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.header.length === BLOCK) this.onHeader(this.header);
    }
  }

  private onHeader(block: Buffer): void {
    this.header = Buffer.alloc(0);
    const type = String.fromCharCode(block[156] as number);
    let size = headerSize(block);
    if (!Number.isSafeInteger(size) || size < 0) return;
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (LONG_HEADER_TYPES.has(type)) {
      if (size > MAX_LONG_HEADER_BYTES) {
        throw new InvalidInputError(
          `${this.what}: a tar ${type === 'L' || type === 'K' ? 'GNU long name' : 'PAX'} header declares ${formatSize(size)}, more than the ${formatSize(MAX_LONG_HEADER_BYTES)} any name and its attributes can need: a corrupt or hostile archive`,
        );
      }
      if (size > 0) this.long = { type, chunks: [], missing: size, padding };
      return;
    }
    if (this.nextSize !== undefined) {
      size = this.nextSize;
      this.nextSize = undefined;
    }
    // As tar-stream does: a directory has no data, whatever its size field says.
    if (type === '5') size = 0;
    this.skip = size + ((BLOCK - (size % BLOCK)) % BLOCK);
  }
}
