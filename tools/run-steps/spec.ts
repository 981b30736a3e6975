// Every flag of run-steps, its env var and its help text, in one place. The steps' own settings are
// not flags of the runner: each step reads them from STEP<n>_<VAR> (see plan.ts).

import type { CliSpec } from '../core/options.ts';

export const spec = {
  name: 'run-steps',
  summary: 'run several init steps of the toolkit in one process, in order; each must succeed before the next starts',
  usage: 'NAME=TOOL...',
  options: {},
  positional: {
    name: 'steps',
    description:
      'The steps in run order: NAME=TOOL, or TOOL alone (named after it). TOOL is wait-for-db, copy-secrets, fetch-and-convert-data or render-config',
    env: 'STEPS',
    split: /[\s,]+/,
  },
  epilog: `Each step sees the environment without the STEP<n>_ variables, plus its own: STEP<n>_<VAR> becomes <VAR> for
step n (counted from 1, in the order above), e.g. STEP1_WAIT_FOR_DB_TARGETS. Every step's settings are checked
before the first one runs. A failing step ends the run with its exit code and one line that names it.

Example:
  STEP1_WAIT_FOR_DB_TARGETS=postgres://db:5432/app STEP2_RENDER_CONFIG_TEMPLATES=/templates \\
  STEP2_RENDER_CONFIG_OUT=/config run-steps db=wait-for-db config=render-config`,
} as const satisfies CliSpec;
