import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline, TransientError, backoffDelay, retry, sleep } from '../../../tools/core/retry.ts';
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

test('retry with an attempt cap: retries at most that often, then exit 3 naming the attempts and the last error', async () => {
  let calls = 0;
  const waits: Array<{ attempt: number; delayMs: number }> = [];
  await assert.rejects(
    retry(
      async () => {
        calls++;
        throw new TransientError(`cut ${calls}`);
      },
      { retries: 2, backoff: { initialMs: 1, maxMs: 2 }, onRetry: (_error, attempt, delayMs) => waits.push({ attempt, delayMs }), what: 'get x' },
    ),
    (error: unknown) => error instanceof FatalRemoteError && error.message === 'get x: gave up after 3 attempts: cut 3',
  );
  assert.equal(calls, 3);
  assert.deepEqual(
    waits.map((w) => w.attempt),
    [1, 2],
  );
  assert.ok(waits.every((w) => Number.isInteger(w.delayMs) && w.delayMs >= 1 && w.delayMs <= 2));
});

test('retry with no retries allowed tries once', async () => {
  let calls = 0;
  await assert.rejects(
    retry(
      async () => {
        calls++;
        throw new TransientError('cut');
      },
      { retries: 0, backoff: { initialMs: 1, maxMs: 2 }, what: 'get x' },
    ),
    /get x: gave up after 1 attempts: cut/,
  );
  assert.equal(calls, 1);
});

test('retry retries only a TransientError unless told otherwise; anything else is thrown at once, as it is', async () => {
  let calls = 0;
  const plain = new Error('not transient');
  await assert.rejects(
    retry(
      async () => {
        if (++calls === 1) throw new TransientError('once');
        throw plain;
      },
      { retries: 5, deadline: new Deadline(5000), backoff: { initialMs: 1, maxMs: 2 }, what: 'op' },
    ),
    (error: unknown) => error === plain,
  );
  assert.equal(calls, 2);
});

test('retry ends at once with the abort reason, also while it waits', async () => {
  const controller = new AbortController();
  const reason = new Error('interrupted');
  let calls = 0;
  const pending = retry(
    async () => {
      calls++;
      throw new TransientError('refused');
    },
    { deadline: new Deadline(60_000), backoff: { initialMs: 10_000, maxMs: 20_000 }, signal: controller.signal, what: 'op' },
  );
  await sleep(20);
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);
  assert.equal(calls, 1);

  // Aborted while the attempt ran: its error is not retried, the reason is thrown.
  const aborted = new AbortController();
  await assert.rejects(
    retry(
      async () => {
        aborted.abort(reason);
        throw new TransientError('cut by the abort');
      },
      { retries: 5, backoff: { initialMs: 1, maxMs: 2 }, signal: aborted.signal, what: 'op' },
    ),
    (error: unknown) => error === reason,
  );
});

test('retry never waits past the deadline', async () => {
  let now = 0;
  const deadline = new Deadline(100, () => now);
  const waits: number[] = [];
  await assert.rejects(
    retry(
      async () => {
        now += 60;
        throw new TransientError('refused');
      },
      { deadline, backoff: { initialMs: 1_000, maxMs: 1_000 }, onRetry: (_e, _a, delayMs) => waits.push(delayMs), what: 'op' },
    ),
    (error: unknown) => error instanceof DeadlineError && error.message === 'op: deadline reached after 2 attempts; last error: refused',
  );
  assert.deepEqual(waits, [40]);
});

test('retry options without a deadline or a number of retries do not type-check (they would retry for ever)', () => {
  const backoff = { initialMs: 1, maxMs: 2 };
  // @ts-expect-error neither deadline nor retries
  const neither: Parameters<typeof retry>[1] = { backoff, what: 'op' };
  const either: Array<Parameters<typeof retry>[1]> = [
    { backoff, what: 'op', deadline: new Deadline(1) },
    { backoff, what: 'op', retries: 1 },
    { backoff, what: 'op', deadline: new Deadline(1), retries: 1 },
  ];
  assert.equal(neither.what, 'op');
  assert.equal(either.length, 3);
});
