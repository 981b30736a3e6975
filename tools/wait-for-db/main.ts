// wait-for-db's run, as the CLI and run-steps call it: plan (plan.ts, pure) -> print the IAM policy
// (iam.ts) or act (act.ts: probe every target in parallel, return when all are ready). Both are imported
// lazily, after the flags are parsed.

import type { ToolContext } from '../core/cli.ts';
import { buildPlan, checkWaitPlan } from './plan.ts';
import type { spec } from './spec.ts';

/**
 * The plan's checks alone (run-steps runs them before its first step): the targets and the flags that
 * need no file. Credentials and certificates are files an earlier step may write.
 */
export function check({ options, args }: ToolContext<typeof spec>): void {
  const plan = buildPlan(options, args);
  if (plan.kind === 'wait') checkWaitPlan(plan);
}

export async function main({ options, args, log, signal, env }: ToolContext<typeof spec>): Promise<void> {
  const plan = buildPlan(options, args);
  if (plan.kind === 'print-iam-policy') {
    const { printIamPolicy } = await import('./iam.ts');
    await printIamPolicy(plan, log, env);
    return;
  }
  const { act } = await import('./act.ts');
  await act(plan, { log, signal, env });
}
