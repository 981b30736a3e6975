// fetch-and-convert-data's run, as the CLI and run-steps call it: plan (plan.ts, pure: every mistake is
// a usage error before any download) -> print the IAM policy (iam.ts) or act (act.ts: streams, heavy
// modules loaded only now) -> one summary line.

import type { ToolContext } from '../core/cli.ts';
import { buildPlan } from './plan.ts';
import type { spec } from './spec.ts';

/** The plan's checks alone (run-steps runs them before its first step). */
export function check(ctx: ToolContext<typeof spec>): void {
  buildPlan(ctx.options, ctx.args, ctx.config, ctx.configPath);
}

export async function main(ctx: ToolContext<typeof spec>): Promise<void> {
  const plan = buildPlan(ctx.options, ctx.args, ctx.config, ctx.configPath);
  if (plan.kind === 'print-iam-policy') {
    const { printIamPolicy } = await import('./iam.ts');
    printIamPolicy(plan, ctx.log, ctx.env);
    return;
  }
  const { act } = await import('./act.ts');
  await act(plan, ctx.signal, ctx.log, ctx.env);
}
