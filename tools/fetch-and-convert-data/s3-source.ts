// s3:// sources through @aws-sdk/client-s3 (default credential chain, AWS_ENDPOINT_URL). The JS SDK has
// no multipart download, so an object larger than --part-size is fetched as parallel ranged GETs,
// reassembled in order with at most --part-concurrency parts in memory; each part is retried on its
// own, and every part is pinned to the ETag seen first (If-Match), so a concurrent overwrite fails the
// download instead of mixing two versions.

import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client as Client } from '@aws-sdk/client-s3';
import { awsClientSettings, classifyAwsError, describeAwsError } from '../core/aws.ts';
import { FatalRemoteError, InvalidInputError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Settings } from './plan.ts';
import type { RemoteChecksum, SourceData } from './source.ts';
import { TransientError, withRetries } from './transient.ts';

export interface S3ObjectInfo {
  key: string;
  size: number;
}

let shared: S3Client | undefined;

export class S3Source {
  private readonly client: S3Client;
  private readonly settings: Settings;
  private readonly signal: AbortSignal;
  private readonly log: Logger;

  private constructor(client: S3Client, settings: Settings, signal: AbortSignal, log: Logger) {
    this.client = client;
    this.settings = settings;
    this.signal = signal;
    this.log = log;
  }

  static async create(settings: Settings, signal: AbortSignal, log: Logger): Promise<S3Source> {
    const env = process.env;
    shared ??= new Client({
      ...awsClientSettings(env, { requestTimeoutMs: settings.readTimeoutMs }),
      // Emulators and S3-compatible stores behind a custom endpoint answer on paths, not bucket host names.
      forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL),
    });
    return new S3Source(shared, settings, signal, log);
  }

  static parse(url: URL): { bucket: string; key: string } {
    return { bucket: url.hostname, key: decodeURIComponent(url.pathname.slice(1)) };
  }

  private retryOptions(what: string) {
    return { retries: this.settings.retries, signal: this.signal, log: this.log, what, isRetryable: isRetryable };
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw asToolError(what, error, this.signal);
    }
  }

  /** Every object below a prefix (folder markers ending in "/" skipped), at most `maxObjects`. */
  async list(bucket: string, prefix: string, maxObjects: number): Promise<S3ObjectInfo[]> {
    const objects: S3ObjectInfo[] = [];
    let token: string | undefined;
    const what = `s3://${bucket}/${prefix}`;
    do {
      const page = await withRetries(
        () => this.call(what, () => this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: this.signal })),
        this.retryOptions(`list ${what}`),
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key || item.Key.endsWith('/')) continue;
        objects.push({ key: item.Key, size: item.Size ?? 0 });
        if (objects.length > maxObjects) throw new InvalidInputError(`${what}: more than --max-files ${maxObjects} objects below the prefix; raise --max-files or narrow the prefix`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async open(bucket: string, key: string): Promise<SourceData> {
    const what = `s3://${bucket}/${key}`;
    const head = await withRetries(
      () => this.call(what, () => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: this.signal })),
      this.retryOptions(what),
    );
    const size = head.ContentLength ?? 0;
    const etag = head.ETag;
    const metadata: Record<string, string> = {};
    if (etag) metadata.etag = etag;
    if (head.VersionId) metadata.versionId = head.VersionId;
    const data: SourceData = { body: this.parts(bucket, key, size, etag), size, metadata };
    const checksum = fullObjectChecksum(head, etag);
    if (checksum) data.checksum = checksum;
    return data;
  }

  /** The object's bytes in order: parts fetched ahead, at most partConcurrency in flight or waiting. */
  private async *parts(bucket: string, key: string, size: number, etag: string | undefined): AsyncGenerator<Buffer> {
    const partSize = this.settings.partSize;
    const count = Math.max(1, Math.ceil(size / partSize));
    const inFlight: Array<Promise<Buffer[]>> = [];
    let next = 0;
    const start = () => {
      const index = next++;
      const promise = this.part(bucket, key, index, count, size, etag);
      // Rejections are observed when the part's turn comes; until then do not report them as unhandled.
      promise.catch(() => {});
      inFlight.push(promise);
    };
    try {
      while (next < count && inFlight.length < this.settings.partConcurrency) start();
      while (inFlight.length > 0) {
        const chunks = await (inFlight.shift() as Promise<Buffer[]>);
        if (next < count) start();
        // Chunk by chunk, not one concatenated copy: a part's memory is released as it is written.
        while (chunks.length > 0) yield chunks.shift() as Buffer;
      }
    } finally {
      // On an early exit (a failed part, a consumer error) the remaining parts still settle; their
      // results are dropped and the shared abort signal stops them on interruption.
      inFlight.length = 0;
    }
  }

  private part(bucket: string, key: string, index: number, count: number, size: number, etag: string | undefined): Promise<Buffer[]> {
    const first = index * this.settings.partSize;
    const last = Math.min(size, first + this.settings.partSize) - 1;
    const what = count > 1 ? `s3://${bucket}/${key} part ${index + 1}/${count}` : `s3://${bucket}/${key}`;
    const expected = size === 0 ? 0 : last - first + 1;
    return withRetries(async () => {
      const output: GetObjectCommandOutput = await this.call(what, () =>
        this.client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag, ...(count > 1 ? { Range: `bytes=${first}-${last}` } : {}) }),
          { abortSignal: this.signal },
        ),
      );
      const chunks: Buffer[] = [];
      let received = 0;
      try {
        for await (const chunk of output.Body as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          received += chunk.length;
          if (received > expected) break;
        }
      } catch (error) {
        if (this.signal.aborted) throw this.signal.reason;
        throw new TransientError(`${what}: body cut after ${received} of ${expected} bytes: ${(error as Error).message}`, { cause: error });
      }
      if (received !== expected) throw new TransientError(`${what}: got ${received} bytes, expected ${expected}`);
      return chunks;
    }, this.retryOptions(what));
  }
}

function isRetryable(error: unknown): boolean {
  return error instanceof TransientError;
}

/** SDK errors sorted: transient ones stay retryable, the rest become exit-3 errors with a hint. */
function asToolError(what: string, error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  const { kind, code } = classifyAwsError(error);
  const description = describeAwsError(error);
  if (code === 'PreconditionFailed') return new FatalRemoteError(`${what}: the object changed while downloading (ETag no longer matches); run again`, { cause: error });
  switch (kind) {
    case 'retryable':
      return new TransientError(`${what}: ${description}`, { cause: error });
    case 'accessDenied':
      return new FatalRemoteError(`${what}: access denied (${description}): the role needs s3:GetObject (and s3:ListBucket for prefixes) on it`, { cause: error });
    case 'notFound':
      return new FatalRemoteError(`${what}: not found (${description}): check the bucket and key`, { cause: error });
    default:
      return new FatalRemoteError(`${what}: ${description}`, { cause: error });
  }
}

/**
 * The whole-object checksum S3 stored, when there is one we can recompute on the stream. Composite
 * checksums (multipart uploads, "<base64>-<parts>") are checksums of part checksums: they cannot be
 * checked without the original part boundaries, so they are skipped. A multipart object (ETag
 * "<md5>-<parts>") counts as composite unless S3 says FULL_OBJECT: older S3 answers and emulators omit
 * the type and the "-<parts>" suffix of the checksum.
 */
function fullObjectChecksum(
  head: { ChecksumSHA256?: string | undefined; ChecksumSHA1?: string | undefined; ChecksumCRC32?: string | undefined; ChecksumType?: string | undefined },
  etag: string | undefined,
): RemoteChecksum | undefined {
  if (head.ChecksumType === 'COMPOSITE') return undefined;
  if (head.ChecksumType !== 'FULL_OBJECT' && etag?.includes('-')) return undefined;
  const candidates: Array<[RemoteChecksum['algorithm'], string | undefined]> = [
    ['sha256', head.ChecksumSHA256],
    ['sha1', head.ChecksumSHA1],
    ['crc32', head.ChecksumCRC32],
  ];
  for (const [algorithm, value] of candidates) {
    if (value && !value.includes('-')) return { algorithm, base64: value };
  }
  return undefined;
}
