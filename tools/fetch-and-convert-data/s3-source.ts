// s3:// sources through @aws-sdk/client-s3 (default credential chain, AWS_ENDPOINT_URL). The JS SDK has
// no multipart download, so an object larger than --part-size is fetched as parallel ranged GETs
// (s3-parts.ts: in order for conversions, or written at their offsets when there is none). Each part is
// retried on its own, resuming after the bytes it already delivered, and every part is pinned to the
// ETag seen first (If-Match), so a concurrent overwrite fails the download instead of mixing two versions.

import type { FileHandle } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client as Client } from '@aws-sdk/client-s3';
import { awsClientSettings, awsRunError, classifyAwsError } from '../core/aws.ts';
import { FatalRemoteError, InvalidInputError, oneLine } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { retry, TransientError } from '../core/retry.ts';
import type { Settings } from './plan.ts';
import { inOrder, splitParts, writeAtOffsets, type OrderedSink, type Part } from './s3-parts.ts';
import type { RemoteChecksum, SourceContext, SourceData } from './source.ts';
import { attemptOptions } from './retries.ts';

export interface S3ObjectInfo {
  key: string;
  size: number;
}

interface ObjectRef {
  bucket: string;
  key: string;
  etag: string | undefined;
  /** Pins every part to the version HEAD saw, in a versioned bucket (If-Match pins the content too). */
  versionId: string | undefined;
  size: number;
  parts: Part[];
}

/**
 * One client per run (its jobs share connections and credentials), keyed on the run's settings: several
 * runs in one process (run-steps) each get a client of their own env's endpoint, region and credentials.
 */
const clients = new WeakMap<Settings, S3Client>();

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

  static async create({ settings, env, signal, log }: SourceContext): Promise<S3Source> {
    let client = clients.get(settings);
    if (client === undefined) {
      client = new Client({
        ...awsClientSettings(env, { requestTimeoutMs: settings.readTimeoutMs }),
        // Emulators and S3-compatible stores behind a custom endpoint answer on paths, not bucket host names.
        forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL),
      });
      clients.set(settings, client);
    }
    return new S3Source(client, settings, signal, log);
  }

  private retryOptions(what: string, signal: AbortSignal) {
    return attemptOptions({ retries: this.settings.retries, signal, log: this.log, what });
  }

  private async call<T>(what: string, needs: string, signal: AbortSignal, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw asToolError(what, needs, error, signal);
    }
  }

  /** Every object below a prefix (folder markers ending in "/" skipped), at most `maxObjects`. */
  async list(bucket: string, prefix: string, maxObjects: number): Promise<S3ObjectInfo[]> {
    const objects: S3ObjectInfo[] = [];
    let token: string | undefined;
    const what = `s3://${bucket}/${prefix}`;
    do {
      const page = await retry(
        () =>
          this.call(what, listNeeds(bucket, prefix), this.signal, () =>
            this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: this.signal }),
          ),
        this.retryOptions(`list ${what}`, this.signal),
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key || item.Key.endsWith('/')) continue;
        objects.push({ key: item.Key, size: item.Size ?? 0 });
        if (objects.length > maxObjects)
          throw new InvalidInputError(`${what}: more than --max-files ${maxObjects} objects below the prefix; raise --max-files or narrow the prefix`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Opens one object; `signal` (the run's by default) stops its requests, e.g. when a sibling object failed. */
  async open(bucket: string, key: string, signal = this.signal): Promise<SourceData> {
    const what = `s3://${bucket}/${key}`;
    const head = await retry(
      () =>
        this.call(what, getNeeds(bucket, key), signal, () =>
          this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: signal }),
        ),
      this.retryOptions(what, signal),
    );
    const size = head.ContentLength ?? 0;
    const etag = head.ETag;
    const metadata: Record<string, string> = {};
    if (etag) metadata.etag = etag;
    if (head.VersionId) metadata.versionId = head.VersionId;
    const object: ObjectRef = { bucket, key, etag, versionId: head.VersionId, size, parts: splitParts(size, this.settings.partSize) };
    const fetch = (part: Part, onChunk: (chunk: Buffer) => void | Promise<void>, partSignal: AbortSignal) => this.fetchPart(object, part, onChunk, partSignal);
    const concurrency = this.settings.partConcurrency;
    const data: SourceData = {
      body: inOrder(object.parts, concurrency, fetch, signal),
      size,
      metadata,
      writeTo: (file: FileHandle, ordered: OrderedSink) => writeAtOffsets(object.parts, concurrency, fetch, file, ordered, signal),
    };
    const checksum = fullObjectChecksum(head, etag);
    if (checksum) data.checksum = checksum;
    return data;
  }

  /** One part through GetObject, retried alone; a retry asks only for the bytes not delivered yet. */
  private fetchPart(object: ObjectRef, part: Part, onChunk: (chunk: Buffer) => void | Promise<void>, signal: AbortSignal): Promise<void> {
    const { bucket, key, etag } = object;
    const count = object.parts.length;
    const what = count > 1 ? `s3://${bucket}/${key} part ${part.index + 1}/${count}` : `s3://${bucket}/${key}`;
    const last = part.first + part.length - 1;
    let received = 0;
    return retry(
      async () => {
        const ranged = count > 1 || received > 0;
        // If-Match pins the content; the version is checked on the answer, never asked for by id (that would
        // need s3:GetObjectVersion besides s3:GetObject).
        const output = await this.call(what, getNeeds(bucket, key), signal, () =>
          this.client.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag, ...(ranged ? { Range: `bytes=${part.first + received}-${last}` } : {}) }),
            { abortSignal: signal },
          ),
        );
        const mismatch = partMismatch(output, object, ranged ? part.first + received : 0, ranged ? last : object.size - 1);
        if (mismatch !== undefined) {
          (output.Body as { destroy?: () => void } | undefined)?.destroy?.();
          throw mismatch;
        }
        // Errors of the consumer (a write, a limit) are not the network's: they pass through unretried.
        let consumerError: { error: unknown } | undefined;
        try {
          for await (const chunk of output.Body as AsyncIterable<Buffer>) {
            if (received + chunk.length > part.length) throw new TransientError(`${what}: the server sent more than the ${part.length} bytes asked for`);
            try {
              await onChunk(chunk);
            } catch (error) {
              consumerError = { error };
              throw error;
            }
            received += chunk.length;
          }
        } catch (error) {
          if (consumerError) throw consumerError.error;
          if (signal.aborted) throw signal.reason;
          if (error instanceof TransientError) throw error;
          throw new TransientError(`${what}: body cut after ${received} of ${part.length} bytes: ${oneLine(error)}`, { cause: error });
        }
        if (received !== part.length) throw new TransientError(`${what}: got ${received} bytes, expected ${part.length}`);
      },
      this.retryOptions(what, signal),
    );
  }
}

/**
 * Why a GetObject answer is not the bytes first..last of the version HEAD saw: another ETag or version
 * (the object changed: exit 3, a new run fetches it whole) or another range than asked (exit 4: the
 * server is wrong). Parts are never joined unless each is provably the same version.
 */
export function partMismatch(
  output: { ETag?: string | undefined; VersionId?: string | undefined; ContentRange?: string | undefined; ContentLength?: number | undefined },
  object: Pick<ObjectRef, 'bucket' | 'key' | 'etag' | 'versionId' | 'size' | 'parts'>,
  first: number,
  last: number,
): Error | undefined {
  const what = `s3://${object.bucket}/${object.key}`;
  if (object.etag !== undefined && output.ETag !== undefined && output.ETag !== object.etag) {
    return new FatalRemoteError(`${what}: the object changed while downloading (ETag ${output.ETag}, first ${object.etag}); nothing was kept, run again`);
  }
  if (object.versionId !== undefined && output.VersionId !== undefined && output.VersionId !== object.versionId) {
    return new FatalRemoteError(
      `${what}: the object changed while downloading (version ${output.VersionId}, first ${object.versionId}); nothing was kept, run again`,
    );
  }
  const asked = `bytes ${first}-${last}/${object.size}`;
  if (output.ContentRange !== undefined) {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(output.ContentRange);
    if (range && Number(range[3]) !== object.size) {
      return new FatalRemoteError(`${what}: the object changed while downloading (now ${range[3]} bytes, first ${object.size}); nothing was kept, run again`);
    }
    if (!range || Number(range[1]) !== first || Number(range[2]) !== last)
      return new InvalidInputError(`${what}: S3 answered Content-Range "${output.ContentRange}" to a request for ${asked}`);
  } else if (object.parts.length > 1 || first > 0) return new InvalidInputError(`${what}: S3 answered a ranged request for ${asked} without a Content-Range`);
  if (output.ContentLength !== undefined && last >= first && output.ContentLength !== last - first + 1) {
    return new InvalidInputError(`${what}: S3 answered ${output.ContentLength} bytes to a request for ${asked}`);
  }
  return undefined;
}

/** The permission a listing needs, as the access-denied line names it. */
function listNeeds(bucket: string, prefix: string): string {
  return `s3:ListBucket on arn:aws:s3:::${bucket} (for s3:prefix "${prefix}")`;
}

/** The permission HeadObject and GetObject need; S3 also answers 403 for a missing key when the role may not list. */
function getNeeds(bucket: string, key: string): string {
  return `s3:GetObject on arn:aws:s3:::${bucket}/${key} (S3 also answers 403 for a key that does not exist when the role lacks s3:ListBucket on the bucket)`;
}

/** SDK errors sorted: transient ones stay retryable, the rest become exit-2 or exit-3 errors with a hint. */
function asToolError(what: string, needs: string, error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (classifyAwsError(error).code === 'PreconditionFailed')
    return new FatalRemoteError(`${what}: the object changed while downloading (ETag no longer matches); run again`, { cause: error });
  return awsRunError(error, { what, needs, docs: 'docs/fetch-and-convert-data.md#iam-policy', notFound: 'check the bucket and key', kmsKey: 'its KMS key' });
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
