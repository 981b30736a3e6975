// Deadline, capped exponential backoff with jitter, abortable sleep, and a generic retry loop.

import { DeadlineError, oneLine } from './errors.ts';

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

export interface RetryOptions {
  deadline: Deadline;
  backoff: BackoffPolicy;
  signal?: AbortSignal;
  /** Whether waiting can fix this error; anything else is thrown at once. */
  isRetryable: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the attempt. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Names the operation in the deadline message. */
  what: string;
}

/** Runs `operation` until it succeeds, fails with a non-retryable error, or the deadline passes. */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!options.isRetryable(error)) throw error;
      const delay = Math.min(backoffDelay(attempt - 1, options.backoff), options.deadline.remainingMs());
      if (delay <= 0 || options.deadline.expired()) {
        throw new DeadlineError(`${options.what}: deadline reached after ${attempt} attempts; last error: ${oneLine(error)}`, {
          cause: error,
        });
      }
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
