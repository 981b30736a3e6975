// The port watch between checks of a refused target: it returns as soon as the port accepts (not at the
// end of the backoff delay), at the end of the delay when it never does, and at once on abort.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchPort } from '../../../tools/wait-for-db/port-watch.ts';
import { freePort } from '../../helpers/services.ts';

test('returns once the port accepts, long before the end of the delay', async () => {
  const port = await freePort();
  const server = createServer((socket) => socket.destroy());
  const listening = sleep(300).then(() => new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok)));
  const started = performance.now();
  try {
    await watchPort('localhost', port, 20_000, new AbortController().signal);
    const elapsed = performance.now() - started;
    await listening;
    assert.ok(elapsed >= 250 && elapsed < 10_000, `returned after ${Math.round(elapsed)} ms`);
  } finally {
    await listening;
    server.close();
  }
});

test('a port that never opens: returns after the delay; an abort rejects at once with its reason', async () => {
  const port = await freePort();
  const started = performance.now();
  await watchPort('127.0.0.1', port, 200, new AbortController().signal);
  assert.ok(performance.now() - started >= 190);

  const stop = new AbortController();
  setTimeout(() => stop.abort(new Error('interrupted')), 50);
  await assert.rejects(watchPort('127.0.0.1', port, 20_000, stop.signal), /interrupted/);
});

test('a name that does not resolve: sleeps the delay and leaves the reason to the check', async () => {
  const started = performance.now();
  await watchPort('no-such-host.invalid', 5432, 100, new AbortController().signal);
  assert.ok(performance.now() - started >= 90);
});
