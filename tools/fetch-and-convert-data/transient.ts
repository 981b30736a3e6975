// Retries of one request or one S3 part: a bounded number of attempts with capped, jittered backoff.
// Only failures that another try can fix are retried (network errors, 5xx, throttling, a cut stream).

import { FatalRemoteError, oneLine } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { backoffDelay, sleep } from '../core/retry.ts';

/** A failure another attempt may fix. */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export interface AttemptOptions {
  retries: number;
  signal: AbortSignal;
  log: Logger;
  /** Names the operation in log lines and the final error, e.g. "s3://b/k part 3/10". */
  what: string;
  isRetryable: (error: unknown) => boolean;
}

const BACKOFF = { initialMs: 200, maxMs: 5_000 };

/** Runs `operation` until it succeeds or fails with a permanent error or for the (retries+1)th time. */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: AttemptOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      if (!options.isRetryable(error)) throw error;
      if (attempt > options.retries) {
        throw new FatalRemoteError(`${options.what}: gave up after ${attempt} attempts: ${oneLine(error)}`, { cause: error });
      }
      const delayMs = Math.round(backoffDelay(attempt - 1, BACKOFF));
      options.log.warn('attempt failed, retrying', { what: options.what, attempt, delayMs, error: oneLine(error) });
      await sleep(delayMs, options.signal);
    }
  }
}
