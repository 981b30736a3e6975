import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline, backoffDelay, retry, sleep } from '../../../tools/core/retry.ts';
import { DeadlineError, FatalRemoteError } from '../../../tools/core/errors.ts';

test('backoff grows exponentially from the floor to the cap, jittered in between', () => {
  const policy = { initialMs: 50, maxMs: 400 };
  assert.equal(
    backoffDelay(0, policy, () => 0.999),
    50 + 0.999 * 50,
  );
  assert.equal(
    backoffDelay(2, policy, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(1, policy, () => 1),
    200,
  );
  assert.equal(
    backoffDelay(2, policy, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(10, policy, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(1000, policy, () => 1),
    400,
  );
});

test('a deadline counts down on the given clock', () => {
  let now = 1000;
  const d = new Deadline(500, () => now);
  assert.equal(d.remainingMs(), 500);
  now = 1400;
  assert.equal(d.remainingMs(), 100);
  now = 1600;
  assert.ok(d.expired());
});

test('sleep rejects with the abort reason', async () => {
  const controller = new AbortController();
  const pending = sleep(10_000, controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
});

test('retry retries what is retryable and returns the result', async () => {
  let calls = 0;
  const result = await retry(
    async () => {
      if (++calls < 3) throw new Error('refused');
      return 'ok';
    },
    { deadline: new Deadline(5000), backoff: { initialMs: 1, maxMs: 2 }, isRetryable: () => true, what: 'op' },
  );
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
});

test('retry fails fast on a non-retryable error', async () => {
  let calls = 0;
  await assert.rejects(
    retry(
      async () => {
        calls++;
        throw new FatalRemoteError('denied');
      },
      { deadline: new Deadline(5000), backoff: { initialMs: 1, maxMs: 2 }, isRetryable: (e) => !(e instanceof FatalRemoteError), what: 'op' },
    ),
    FatalRemoteError,
  );
  assert.equal(calls, 1);
});

test('retry gives up at the deadline naming the last error', async () => {
  await assert.rejects(
    retry(
      async () => {
        throw new Error('still refused');
      },
      { deadline: new Deadline(60), backoff: { initialMs: 10, maxMs: 20 }, isRetryable: () => true, what: 'fetch x' },
    ),
    (error: unknown) => error instanceof DeadlineError && /fetch x: deadline reached.*still refused/.test(error.message),
  );
});
