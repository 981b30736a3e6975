// SIGTERM/SIGINT handling: the first signal aborts the run's AbortSignal so every wait and request stops
// at once; the runner then removes partial files (cleanup hooks) and exits 143/130. A second signal exits
// immediately.

import { InterruptedError, ExitCode } from './errors.ts';

const cleanups = new Set<() => void>();

/**
 * Registers a synchronous cleanup (remove a temp file) to run if the process is interrupted or fails;
 * returns the function that unregisters it once the work it guards is complete.
 */
export function onCleanup(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs and forgets every pending cleanup; errors are ignored (best effort on the way out). */
export function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Best effort: the process is exiting anyway.
    }
  }
}

/** Installs the handlers; the returned signal aborts with an InterruptedError on SIGTERM or SIGINT. */
export function handleSignals(): AbortSignal {
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.on(name, () => {
      if (controller.signal.aborted) {
        runCleanups();
        process.exit(name === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
      }
      controller.abort(new InterruptedError(name));
    });
  }
  return controller.signal;
}

/** Rejects with the signal's reason once it aborts: raced against work that does not watch the signal. */
export function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
