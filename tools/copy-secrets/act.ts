// copy-secrets' work, from a plan: fetch (Secrets Manager, SSM Parameter Store, a mounted directory) ->
// shape -> explain or publish -> report.
// Every source and the publishing code are imported only when the plan needs them: a run from a mounted
// directory loads no AWS SDK.

import type { Logger } from '../core/log.ts';
import { Deadline } from '../core/retry.ts';
import type { ExplainPlan, PublishPlan } from './plan.ts';
import type { SourceSecret } from './shape.ts';

export interface ActContext {
  log: Logger;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

export async function act(plan: ExplainPlan | PublishPlan, ctx: ActContext): Promise<void> {
  const started = performance.now();
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
  if (plan.kind === 'explain') {
    process.stdout.write(explainText(set, plan.dir, plan.output));
    ctx.log.info('explain: nothing written', { ...summary, durationMs: Math.round(performance.now() - started) });
    return;
  }
  await publishSet(plan.dir, set, plan.output);
  ctx.log.info(`published ${set.length} file${set.length === 1 ? '' : 's'} and manifest.json into ${plan.dir}`, {
    ...summary,
    durationMs: Math.round(performance.now() - started),
  });
}
