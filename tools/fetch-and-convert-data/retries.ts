// How one request or one S3 part is retried: core's retry() for --retries more attempts, with capped,
// jittered backoff and one warning per retry. Only failures that another try can fix are retried
// (network errors, 5xx, throttling, a cut stream: a TransientError unless `isRetryable` says more).

import { oneLine } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { RetryOptions } from '../core/retry.ts';

const BACKOFF = { initialMs: 200, maxMs: 5_000 };

export interface AttemptOptions {
  retries: number;
  signal: AbortSignal;
  log: Logger;
  /** Names the operation in log lines and the final error, e.g. "s3://b/k part 3/10". */
  what: string;
  isRetryable?: (error: unknown) => boolean;
}

/** The options of retry() for one request: gives up after `retries` retries (exit 3), logging each. */
export function attemptOptions({ retries, signal, log, what, isRetryable }: AttemptOptions): RetryOptions {
  return {
    backoff: BACKOFF,
    retries,
    signal,
    what,
    ...(isRetryable ? { isRetryable } : {}),
    onRetry: (error, attempt, delayMs) => log.warn('attempt failed, retrying', { what, attempt, delayMs, error: oneLine(error) }),
  };
}
