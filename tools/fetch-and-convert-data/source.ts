// A source, opened: the body as a stream of bytes, its size when known, and what the server says about
// it (ETag, S3 checksums) for verification and the manifest. Dispatches on the URL scheme.

import { createReadStream } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FatalRemoteError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Job, Settings } from './plan.ts';

/** A checksum the server recorded for the whole object, base64 as S3 returns it. */
export interface RemoteChecksum {
  algorithm: 'sha256' | 'sha1' | 'crc32';
  base64: string;
}

export interface SourceData {
  /** The bytes in order; lazy: nothing is fetched unless it is read. */
  body: AsyncIterable<Buffer>;
  size: number | undefined;
  metadata: Record<string, string>;
  checksum?: RemoteChecksum;
  /**
   * Instead of `body`, when no conversion is chained: downloads straight into `file` (opened for reading
   * and writing; S3 parts land at their offsets) and passes the bytes in order to `ordered`, each chunk
   * valid only during the call.
   */
  writeTo?: WriteTo;
}

export type WriteTo = (file: FileHandle, ordered: (chunk: Buffer) => void) => Promise<void>;

/** What opening a source needs of the run: its settings, its env (the S3 client's region, endpoint, credentials), its signal and log. */
export interface SourceContext {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log: Logger;
}

export async function openFile(url: URL, display: string): Promise<SourceData> {
  const path = fileURLToPath(url);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new FatalRemoteError(`${display}: not a regular file`);
    return { body: createReadStream(path, { highWaterMark: 64 * 1024 }), size: info.size, metadata: { path } };
  } catch (error) {
    if (error instanceof FatalRemoteError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new FatalRemoteError(
      `${display}: cannot read ${path}: ${code ?? String(error)}${code === 'ENOENT' ? ' (is the ConfigMap or volume mounted?)' : ''}`,
      { cause: error },
    );
  }
}

/** Opens one non-prefix source. */
export async function openSource(job: Job, context: SourceContext): Promise<SourceData> {
  switch (job.source.protocol) {
    case 'file:':
      return openFile(job.source, job.display);
    case 'http:':
    case 'https:': {
      const { openHttp } = await import('./http-source.ts');
      return openHttp(job.source, job.display, context.settings, context.signal, context.log);
    }
    default: {
      const { S3Source } = await import('./s3-source.ts');
      const s3 = await S3Source.create(context);
      const { bucket, key } = job.s3 as { bucket: string; key: string };
      return s3.open(bucket, key);
    }
  }
}
