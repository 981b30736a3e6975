// Waiting on a condition instead of sleeping a fixed time: a sleep long enough on an idle machine is too
// short on CI's loaded cores, and a longer one slows every run.
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until `done(value)` holds, and returns that value; fails after timeoutMs naming `what` and the last value. */
export async function eventually<T>(what: string, probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last: ${String(value).slice(-2000)}`);
    await sleep(250);
  }
}
