// Bounded concurrency over a list: at most `limit` calls in flight, results in input order.

export interface MapLimitOptions {
  /** Aborting it stops starting new items; the run then rejects with its reason once in-flight items settle. */
  signal?: AbortSignal;
}

/**
 * Maps `items` through `fn` with at most `limit` calls pending. After the first failure no new item is
 * started; the calls in flight are awaited (so nothing keeps writing after the caller moves on), then the
 * first error is rethrown. `fn` gets a signal that aborts at the first failure (or when options.signal
 * aborts), so long-running siblings can stop early.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  options: MapLimitOptions = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure && !signal.aborted) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index, signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          failed.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw failure.error;
  signal.throwIfAborted();
  return results;
}
