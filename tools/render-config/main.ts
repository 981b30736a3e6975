// render-config's run, as the CLI and run-steps call it: plan (plan.ts, pure) -> act (act.ts: render every
// template, with values, secrets and validation, then publish).
// act.ts and its libraries load only after the flags are parsed, so --version and --help stay fast.

import type { ToolContext } from '../core/cli.ts';
import { redactor } from '../core/redact.ts';
import { buildPlan } from './plan.ts';
import type { spec } from './spec.ts';

/** The plan's checks alone (run-steps runs them before its first step). */
export function check({ options }: ToolContext<typeof spec>): void {
  buildPlan(options);
}

export async function main({ options, log, signal, env }: ToolContext<typeof spec>): Promise<void> {
  const plan = buildPlan(options);
  const { act } = await import('./act.ts');
  await act(plan, { log, signal, env, print: (line) => process.stdout.write(`${redactor.redact(line)}\n`) });
}
