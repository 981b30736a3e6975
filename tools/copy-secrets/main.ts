// copy-secrets' run: plan -> fetch (Secrets Manager, SSM Parameter Store, a mounted directory) -> shape -> publish -> report.
// Everything past the plan is imported lazily: --help and --version load neither the AWS SDK nor
// node:crypto and node:fs/promises (each costs milliseconds of cold start).

import type { ToolContext } from '../core/cli.ts';
import { Deadline } from '../core/retry.ts';
import { buildPlan } from './selection.ts';
import type { SourceSecret } from './shape.ts';
import type { spec } from './spec.ts';

/** The plan's checks alone (run-steps runs them before its first step). */
export function check(ctx: ToolContext<typeof spec>): void {
  buildPlan({ args: ctx.args, options: ctx.options });
}

export async function main(ctx: ToolContext<typeof spec>): Promise<void> {
  const started = performance.now();
  const plan = buildPlan({ args: ctx.args, options: ctx.options });
  if (ctx.options.printIamPolicy) {
    const { secretsPolicy } = await import('./iam.ts');
    const { arnScope, printPolicy } = await import('../core/iam-policy.ts');
    printPolicy(secretsPolicy(plan, arnScope(ctx.env, ctx.options.awsAccountId), ctx.options.kmsKeyArn), ctx.log);
    return;
  }
  const deadline = new Deadline(plan.timeoutMs);

  const sources: SourceSecret[] = [];
  let apiCalls = 0;
  const context = { log: ctx.log, signal: ctx.signal, deadline, env: ctx.env };
  const secretRefs = plan.refs.filter((r) => r.ssm === undefined);
  const parameterRefs = plan.refs.filter((r) => r.ssm !== undefined);
  if (secretRefs.length > 0 || plan.filter !== undefined) {
    const { fetchFromAws } = await import('./aws-source.ts');
    const fetched = await fetchFromAws({ ...plan, refs: secretRefs }, context);
    sources.push(...fetched.secrets);
    apiCalls += fetched.calls;
  }
  if (parameterRefs.length > 0) {
    const { fetchFromSsm } = await import('./ssm-source.ts');
    const fetched = await fetchFromSsm(parameterRefs, plan, context);
    sources.push(...fetched.secrets);
    apiCalls += fetched.calls;
  }
  if (plan.fromDir !== undefined) {
    const { readFromDir } = await import('./dir-source.ts');
    sources.push(...(await readFromDir(plan.fromDir, ctx.log)));
  }

  const { assembleSet, explainText, publishSet } = await import('./publish.ts');
  const set = assembleSet(sources, plan.output);
  const summary = { secrets: sources.length, files: set.map((f) => f.name), apiCalls };
  if (plan.explain) {
    process.stdout.write(explainText(set, plan.output));
    ctx.log.info('explain: nothing written', { ...summary, durationMs: Math.round(performance.now() - started) });
    return;
  }
  await publishSet(plan.output.dir as string, set, plan.output);
  ctx.log.info(`published ${set.length} file${set.length === 1 ? '' : 's'} and manifest.json into ${plan.output.dir}`, {
    ...summary,
    durationMs: Math.round(performance.now() - started),
  });
}
