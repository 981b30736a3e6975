import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../../tools/copy-secrets/limit.ts';

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

test('the first failure rejects and stops starting new items', async () => {
  const started: number[] = [];
  await assert.rejects(
    mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await sleep(1);
      if (n === 2) throw new Error('boom');
      return n;
    }),
    /boom/,
  );
  assert.ok(started.length < 6, `started ${started.join(',')}`);
});
