// fetch-and-convert-data's run: plan (every mistake is a usage error before any download) -> act
// (streams, heavy modules loaded only now) -> one summary line.

import type { ToolContext } from '../core/cli.ts';
import { buildPlan } from './plan.ts';
import type { spec } from './spec.ts';

/** The plan's checks alone (run-steps runs them before its first step). */
export function check(ctx: ToolContext<typeof spec>): void {
  buildPlan(ctx.options, ctx.args, ctx.config, ctx.configPath);
}

export async function main(ctx: ToolContext<typeof spec>): Promise<void> {
  const plan = buildPlan(ctx.options, ctx.args, ctx.config, ctx.configPath);
  if (ctx.options.printIamPolicy) {
    const { dataPolicy } = await import('./iam.ts');
    const { arnScope, printPolicy } = await import('../core/iam-policy.ts');
    printPolicy(dataPolicy(plan, arnScope(ctx.env, ctx.options.awsAccountId), ctx.options.kmsKeyArn), ctx.log);
    return;
  }
  const { act } = await import('./act.ts');
  await act(plan, ctx.signal, ctx.log);
}
