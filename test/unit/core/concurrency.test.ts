import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../../tools/core/concurrency.ts';

test('never more than `limit` calls in flight; results in input order', async () => {
  let inFlight = 0;
  let most = 0;
  const results = await mapLimit([5, 1, 4, 2, 3, 0, 2], 3, async (n, i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await sleep(n * 3);
    inFlight--;
    return `${i}:${n}`;
  });
  assert.equal(most, 3);
  assert.deepEqual(results, ['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:2']);
});

test('an empty list resolves to an empty list; a limit below 1 still runs one at a time', async () => {
  assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  assert.deepEqual(await mapLimit([1, 2], 0, async (n) => n * 2), [2, 4]);
});

test('after the first failure no item starts, in-flight ones settle, then the first error is rethrown', async () => {
  const started: number[] = [];
  const settled: number[] = [];
  const error = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
    started.push(n);
    if (n === 2) {
      await sleep(1);
      throw new Error('first');
    }
    if (n === 1 || n === 3) {
      await sleep(20);
      settled.push(n);
      if (n === 3) throw new Error('second');
    }
    return n;
  }).catch((e: unknown) => e);
  assert.equal((error as Error).message, 'first');
  assert.deepEqual(started, [1, 2]);
  assert.deepEqual(settled, [1], 'the in-flight item 1 finished before the rejection');
});

test('the signal given to fn aborts at the first failure, with that error as reason', async () => {
  const boom = new Error('boom');
  let seen: unknown;
  await assert.rejects(
    mapLimit([0, 1], 2, async (n, _i, signal) => {
      if (n === 0) throw boom;
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      seen = signal.reason;
    }),
    /boom/,
  );
  assert.equal(seen, boom);
});

test('an aborted options.signal stops starting new items and rejects with its reason', async () => {
  const outer = new AbortController();
  const started: number[] = [];
  await assert.rejects(
    mapLimit(
      [1, 2, 3, 4],
      1,
      async (n) => {
        started.push(n);
        if (n === 2) outer.abort(new Error('stopped'));
        return n;
      },
      { signal: outer.signal },
    ),
    /stopped/,
  );
  assert.deepEqual(started, [1, 2]);
});
