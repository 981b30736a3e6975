// copy-secrets' run, as the CLI and run-steps call it: plan (plan.ts, pure) -> print the IAM policy
// (iam.ts) or act (act.ts). Both are imported lazily: --help and --version load neither the AWS SDK nor
// node:crypto and node:fs/promises (each costs milliseconds of cold start).

import type { ToolContext } from '../core/cli.ts';
import { buildPlan } from './plan.ts';
import type { spec } from './spec.ts';

/** The plan's checks alone (run-steps runs them before its first step). */
export function check(ctx: ToolContext<typeof spec>): void {
  buildPlan({ args: ctx.args, options: ctx.options });
}

export async function main(ctx: ToolContext<typeof spec>): Promise<void> {
  const plan = buildPlan({ args: ctx.args, options: ctx.options });
  if (plan.kind === 'print-iam-policy') {
    const { printIamPolicy } = await import('./iam.ts');
    printIamPolicy(plan, ctx.log, ctx.env);
    return;
  }
  const { act } = await import('./act.ts');
  await act(plan, ctx);
}
