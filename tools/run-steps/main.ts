// run-steps' run: plan the steps, check every step's settings, then run them one after another.

import type { ToolContext } from '../core/cli.ts';
import { registerCredentialEnv } from '../core/redact.ts';
import { prepareStep, type PreparedStep } from '../core/step.ts';
import { buildPlan } from './plan.ts';
import type { spec } from './spec.ts';
import { loadTool } from './tools.ts';

export async function main({ args, env, log, signal }: ToolContext<typeof spec>): Promise<void> {
  const plan = buildPlan(args, env);
  // Each step's own credentials (STEP<n>_AWS_SECRET_ACCESS_KEY), as the runner's were registered by runTool;
  // all of them before any step's settings are checked, so no step's mistake can print another's key.
  for (const step of plan) registerCredentialEnv(step.env);
  const prepared: PreparedStep[] = [];
  for (const step of plan) prepared.push(await prepareStep({ name: step.name, tool: await loadTool(step.tool), env: step.env }, signal));
  const started = performance.now();
  const done: { step: string; tool: string; durationMs: number }[] = [];
  for (const step of prepared) {
    const stepStarted = performance.now();
    await step.run();
    done.push({ step: step.name, tool: step.tool, durationMs: Math.round(performance.now() - stepStarted) });
  }
  log.info(`all ${done.length} step${done.length === 1 ? '' : 's'} done`, { steps: done, durationMs: Math.round(performance.now() - started) });
}
