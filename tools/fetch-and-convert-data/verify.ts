// Checks on a source's bytes in order: counts and hashes them, enforces the source size limit, logs
// progress, and at the end compares against the expected hashes and the S3 checksum. A mismatch fails
// the job before the output is renamed into place. As a stream stage (VerifyStream) in front of the
// conversions, or called directly when S3 parts are written at their offsets.

import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { InvalidInputError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { formatSize } from '../core/size.ts';
import type { RemoteChecksum } from './source.ts';

export interface Expectations {
  sha256?: string | undefined;
  sha512?: string | undefined;
  remote?: RemoteChecksum | undefined;
  maxBytes: number;
  /** Size announced by the source; a different count fails the job. */
  size?: number | undefined;
}

export interface Verified {
  bytes: number;
  sha256: string;
  sha512?: string;
  /** Names the remote checksum that was checked, e.g. "s3 sha256". */
  remoteChecked?: string;
}

/** Counts, hashes and checks bytes passed in order; also used without a stream (parts written at their offsets). */
export class Verifier {
  private readonly sha256 = createHash('sha256');
  private readonly sha512: Hash | undefined;
  private readonly remoteHash: Hash | undefined;
  private crc = 0;
  private bytes = 0;
  private readonly expect: Expectations;
  private readonly what: string;
  private readonly log: Logger;
  private readonly progressIntervalMs: number;
  /** Progress lines start with the first byte, so a job that fails before any transfer leaves no timer. */
  private progress: NodeJS.Timeout | undefined;
  private closed = false;
  private started = 0;

  constructor(what: string, expect: Expectations, log: Logger, progressIntervalMs: number) {
    this.what = what;
    this.expect = expect;
    if (expect.size !== undefined && expect.size > expect.maxBytes) {
      throw new InvalidInputError(`${what}: size ${formatSize(expect.size)} exceeds --max-source-bytes ${formatSize(expect.maxBytes)}`);
    }
    if (expect.sha512) this.sha512 = createHash('sha512');
    if (expect.remote && expect.remote.algorithm !== 'crc32')
      this.remoteHash = expect.remote.algorithm === 'sha256' ? undefined : createHash(expect.remote.algorithm);
    this.log = log;
    this.progressIntervalMs = progressIntervalMs;
  }

  private startProgress(): void {
    this.started = performance.now();
    this.progress = setInterval(() => this.logProgress(this.log), this.progressIntervalMs);
    this.progress.unref();
  }

  private logProgress(log: Logger): void {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = this.bytes / seconds;
    const fields: Record<string, unknown> = { source: this.what, bytes: this.bytes, rateBytesPerSec: Math.round(rate), elapsedSec: Math.round(seconds) };
    if (this.expect.size !== undefined) {
      fields.totalBytes = this.expect.size;
      fields.percent = this.expect.size === 0 ? 100 : Math.floor((this.bytes / this.expect.size) * 100);
      if (rate > 0) fields.etaSec = Math.round((this.expect.size - this.bytes) / rate);
    }
    log.info(
      `progress ${formatSize(this.bytes)}${this.expect.size !== undefined ? ` of ${formatSize(this.expect.size)}` : ''} at ${formatSize(rate)}/s`,
      fields,
    );
  }

  /** Throws InvalidInputError once more than the size limit arrived. */
  update(chunk: Buffer): void {
    if (this.progress === undefined && !this.closed) this.startProgress();
    this.bytes += chunk.length;
    if (this.bytes > this.expect.maxBytes) {
      throw new InvalidInputError(
        `${this.what}: more than --max-source-bytes ${formatSize(this.expect.maxBytes)} received; raise the limit if this is expected`,
      );
    }
    this.sha256.update(chunk);
    this.sha512?.update(chunk);
    this.remoteHash?.update(chunk);
    if (this.expect.remote?.algorithm === 'crc32') this.crc = crc32(chunk, this.crc);
  }

  /** Stops the progress lines; every end (success or failure) must call it. */
  close(): void {
    this.closed = true;
    clearInterval(this.progress);
  }

  /** After the last byte: the hashes, or InvalidInputError on a size or checksum mismatch. */
  finish(): Verified {
    this.close();
    return this.check();
  }

  private check(): Verified {
    const sha256 = this.sha256.digest('hex');
    const result: Verified = { bytes: this.bytes, sha256 };
    if (this.expect.size !== undefined && this.bytes !== this.expect.size) {
      throw new InvalidInputError(`${this.what}: received ${this.bytes} bytes, the source announced ${this.expect.size}`);
    }
    if (this.expect.sha256 && sha256 !== this.expect.sha256) {
      throw new InvalidInputError(`${this.what}: SHA-256 mismatch: expected ${this.expect.sha256}, got ${sha256}; check --sha256 or the source`);
    }
    if (this.sha512) {
      result.sha512 = this.sha512.digest('hex');
      if (result.sha512 !== this.expect.sha512) {
        throw new InvalidInputError(`${this.what}: SHA-512 mismatch: expected ${this.expect.sha512}, got ${result.sha512}; check --sha512 or the source`);
      }
    }
    const remote = this.expect.remote;
    if (remote) {
      let actual: string;
      if (remote.algorithm === 'sha256') actual = Buffer.from(sha256, 'hex').toString('base64');
      else if (remote.algorithm === 'crc32') {
        const buffer = Buffer.alloc(4);
        buffer.writeUInt32BE(this.crc >>> 0);
        actual = buffer.toString('base64');
      } else actual = (this.remoteHash as Hash).digest('base64');
      if (actual !== remote.base64) {
        throw new InvalidInputError(`${this.what}: S3 checksum ${remote.algorithm} mismatch: object says ${remote.base64}, received bytes give ${actual}`);
      }
      result.remoteChecked = `s3 ${remote.algorithm}`;
    }
    return result;
  }
}

/** A Verifier as the first stage of a pipeline; `result` is set once the stream ended verified. */
export class VerifyStream extends Transform {
  private readonly verifier: Verifier;
  result: Verified | undefined;

  constructor(verifier: Verifier) {
    super();
    this.verifier = verifier;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.verifier.update(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.result = this.verifier.finish();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.verifier.close();
    callback(error);
  }
}
