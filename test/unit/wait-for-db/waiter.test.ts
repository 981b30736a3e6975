import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '../../../tools/core/log.ts';
import { Deadline } from '../../../tools/core/retry.ts';
import { CheckFailure, type CheckResult } from '../../../tools/wait-for-db/outcome.ts';
import { parseTarget } from '../../../tools/wait-for-db/target.ts';
import { waitForTarget } from '../../../tools/wait-for-db/waiter.ts';

test('a failure after a "ready" line is logged at info again, even when it repeats the one before', async () => {
  // Prepare: refused, ready, refused, ready, ready (a success threshold of 2).
  const answers: Array<CheckResult | CheckFailure> = [
    new CheckFailure('refused', 'connection refused', true),
    { ready: true, detail: 'open' },
    new CheckFailure('refused', 'connection refused', true),
    { ready: true, detail: 'open' },
    { ready: true, detail: 'open' },
  ];
  const lines: Array<Record<string, unknown>> = [];
  const log = new Logger({ tool: 'wait-for-db', format: 'json', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const probe = async () => {
    const answer = answers.shift() as CheckResult | CheckFailure;
    if (answer instanceof CheckFailure) throw answer;
    return answer;
  };
  // Act
  const outcome = await waitForTarget(parseTarget('tcp://db:5432'), probe, {
    deadline: new Deadline(10_000),
    backoff: { initialMs: 1, maxMs: 1 },
    attemptTimeoutMs: 1_000,
    successThreshold: 2,
    signal: new AbortController().signal,
    log,
  });
  // Assess: the "ready" line in between is not the last word while the target fails again.
  assert.equal(outcome.ready, true);
  assert.deepEqual(
    lines.map((l) => `${l.msg} ${l.attempt}`),
    ['not ready 1', 'ready 2', 'not ready 3', 'ready 4', 'ready 5'],
  );
});
