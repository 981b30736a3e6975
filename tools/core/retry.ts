// Deadline, capped exponential backoff with jitter, abortable sleep, and the one retry loop every tool
// uses: until a deadline (copy-secrets' AWS calls) or for a number of attempts (fetch-and-convert-data's
// requests and S3 parts), retrying only what another try can fix.

import { DeadlineError, FatalRemoteError, oneLine } from './errors.ts';

/**
 * A failure another attempt may fix (throttling, 5xx, a cut stream, a request timeout): what retry()
 * retries unless told otherwise. Never the run's outcome: the loop turns the last one into an exit code.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** An overall deadline, measured on the monotonic clock. */
export class Deadline {
  readonly totalMs: number;
  private readonly start: number;
  private readonly now: () => number;

  constructor(totalMs: number, now: () => number = () => performance.now()) {
    this.totalMs = totalMs;
    this.now = now;
    this.start = now();
  }

  elapsedMs(): number {
    return this.now() - this.start;
  }

  remainingMs(): number {
    return Math.max(0, this.totalMs - this.elapsedMs());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }
}

export interface BackoffPolicy {
  /** Delay before the second attempt, and the floor of every later delay. */
  initialMs: number;
  /** Cap of the exponential growth. */
  maxMs: number;
}

/**
 * Delay before retry number `retry` (0 for the first retry): uniformly drawn between the initial delay
 * and the capped exponential ceiling ("full jitter" above a floor). The floor bounds the attempt rate
 * (never more than 1000/initialMs attempts per second); the jitter spreads many pods apart.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(retry + 1, 30));
  const floor = Math.min(policy.initialMs, ceiling);
  return floor + random() * (ceiling - floor);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Give up when it passes, with a DeadlineError (exit 124); a wait never runs past it. */
interface UntilDeadline {
  deadline: Deadline;
  retries?: number;
}

/** Give up after this many retries (attempts - 1), with a FatalRemoteError (exit 3). */
interface ForRetries {
  deadline?: Deadline;
  retries: number;
}

/** retry()'s options: a deadline, a number of retries, or both (whichever comes first); never neither,
 *  which would retry a transient failure for ever. */
export type RetryOptions = (UntilDeadline | ForRetries) & {
  backoff: BackoffPolicy;
  signal?: AbortSignal;
  /** Whether waiting can fix this error (by default: a TransientError); anything else is thrown at once. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the attempt; the delay is in whole milliseconds. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Names the operation in the message of the final error. */
  what: string;
};

const isTransient = (error: unknown): boolean => error instanceof TransientError;

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error (thrown as it is), or gives up:
 * at the deadline or after `retries` retries, whichever the options set. An abort ends it at once, with
 * the signal's reason.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { deadline, signal, what, isRetryable = isTransient } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!isRetryable(error)) throw error;
      if (options.retries !== undefined && attempt > options.retries) {
        throw new FatalRemoteError(`${what}: gave up after ${attempt} attempts: ${oneLine(error)}`, { cause: error });
      }
      let delay = backoffDelay(attempt - 1, options.backoff);
      if (deadline !== undefined) {
        delay = Math.min(delay, deadline.remainingMs());
        if (delay <= 0 || deadline.expired()) {
          throw new DeadlineError(`${what}: deadline reached after ${attempt} attempts; last error: ${oneLine(error)}`, { cause: error });
        }
      }
      const delayMs = Math.round(delay);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
