// run-steps' plan: which variables each step sees. Pure; the integration tests run the real tools.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../tools/core/errors.ts';
import { buildPlan } from '../../../tools/run-steps/plan.ts';

test("step n sees the shared variables and its own STEPn_ ones without the prefix; no other step's, no RUN_STEPS_", () => {
  const plan = buildPlan(['db=wait-for-db', 'render-config'], {
    LOG_FORMAT: 'json',
    SHARED: 'both',
    RUN_STEPS_STEPS: 'ignored-here',
    STEP1_WAIT_FOR_DB_TARGETS: 'tcp://db:5432',
    STEP1_SHARED: 'own wins',
    STEP2_RENDER_CONFIG_OUT: '/config',
    STEP2_STEP1_X: 'a variable of step 2 named STEP1_X',
  });
  assert.deepEqual(
    plan.map((s) => ({ name: s.name, tool: s.tool })),
    [
      { name: 'db', tool: 'wait-for-db' },
      { name: 'render-config', tool: 'render-config' },
    ],
  );
  assert.deepEqual(plan[0]?.env, { LOG_FORMAT: 'json', SHARED: 'own wins', WAIT_FOR_DB_TARGETS: 'tcp://db:5432' });
  assert.deepEqual(plan[1]?.env, { LOG_FORMAT: 'json', SHARED: 'both', RENDER_CONFIG_OUT: '/config', STEP1_X: 'a variable of step 2 named STEP1_X' });
});

test('mistakes are usage errors naming the fix', () => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [[], {}, /no steps/],
    [['db=wait-for-bd'], {}, /unknown tool "wait-for-bd" \(did you mean wait-for-db\?\)/],
    [['-db=wait-for-db'], {}, /the name "-db" must be lowercase letters/],
    [[`${'a'.repeat(64)}=wait-for-db`], {}, /at most 63/],
    [['a=wait-for-db', 'a=copy-secrets'], {}, /step name "a" is given twice/],
    [['a=wait-for-db'], { STEP0_X: '1' }, /env STEP0_X is for no step/],
    [['a=wait-for-db'], { STEP2_X: '1' }, /env STEP2_X is for no step: .*\(1: a\)/],
    [['a=wait-for-db'], { STEP01_X: '1' }, /env STEP01_X is for no step/],
    [['a=wait-for-db'], { STEP1_: '1' }, /env STEP1_ is for no step/],
    [['a=wait-for-db'], { STEP1_NODE_OPTIONS: '--max-old-space-size=64' }, /Node\.js reads NODE_OPTIONS once for the whole process/],
  ];
  for (const [args, env, message] of cases) {
    assert.throws(
      () => buildPlan(args, env),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      `${args.join(' ')} ${JSON.stringify(env)}`,
    );
  }
});
