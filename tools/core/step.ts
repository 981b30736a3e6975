// Several tools in one process, one after another (run-steps). Every step's flags are parsed from its
// own env, and its tool's plan checked, before the first step runs, so a mistake in the last step costs
// no work (again when it starts, with its config file as it is then); each step then runs
// with process.env set to exactly its env (the AWS SDK and the drivers read process.env, not the
// context), under the runner's signal, and a failure becomes a StepError naming the step.

import { existsSync } from 'node:fs';
import type { ToolContext, ToolDefinition } from './cli.ts';
import { StepError, UsageError } from './errors.ts';
import { Logger, loggerSettings } from './log.ts';
import { COMMON_OPTIONS, envName, parseCli, type CliSpec } from './options.ts';

export interface Step {
  /** Unique within the run; named in every log line of the step and in its failure. */
  name: string;
  tool: ToolDefinition;
  /** The whole environment the step sees, shared and own. */
  env: NodeJS.ProcessEnv;
}

export interface PreparedStep {
  name: string;
  tool: string;
  run(): Promise<void>;
}

/**
 * Parses and checks the step's settings (a StepError on a mistake) and returns the step ready to run.
 * When it runs, they are parsed again: its config file may be one an earlier step writes (render-config,
 * copy-secrets), so the step reads the file as it is then; a config file that does not exist yet is
 * checked only then.
 */
export async function prepareStep(step: Step, signal: AbortSignal): Promise<PreparedStep> {
  const { spec, main } = step.tool;
  const configPath = step.env[envName(spec, 'config', COMMON_OPTIONS.config)];
  if (!configPath || existsSync(configPath)) {
    const context = await stepContext(step, signal);
    try {
      step.tool.check?.(context);
    } catch (error) {
      throw new StepError(step.name, spec.name, error);
    }
  }
  return {
    name: step.name,
    tool: spec.name,
    run: async () => {
      running = { name: step.name, tool: spec.name };
      try {
        const context = await stepContext(step, signal);
        await withProcessEnv(step.env, () => main(context));
      } catch (error) {
        throw error instanceof StepError ? error : new StepError(step.name, spec.name, error);
      } finally {
        running = undefined;
      }
    },
  };
}

/** The step's context from its env (and config file). When the step runs, its main makes the checks. */
async function stepContext(step: Step, signal: AbortSignal): Promise<ToolContext<CliSpec>> {
  const { spec } = step.tool;
  const parsed = await parseCli(spec, [], step.env).catch((error: unknown) => {
    throw new StepError(step.name, spec.name, error);
  });
  // No argv: only the env speaks, and no env var asks for help or the version.
  if (parsed.kind !== 'run') throw new StepError(step.name, spec.name, new UsageError('a step cannot ask for --help or --version'));
  const common = parsed.options as { logLevel?: string; logFormat?: string };
  const log = new Logger({ tool: spec.name, ...loggerSettings(common.logLevel, common.logFormat) }, { step: step.name });
  return { options: parsed.options, args: parsed.args, config: parsed.config, configPath: parsed.configPath, log, signal, env: step.env };
}

let running: { name: string; tool: string } | undefined;

/**
 * A failure that reaches the runner outside the step's promise while a step runs (SIGTERM, an uncaught
 * error, a run that never settles) as that step's StepError; anything else unchanged.
 */
export function inRunningStep(error: unknown): unknown {
  return running === undefined || error instanceof StepError ? error : new StepError(running.name, running.tool, error);
}

/** Runs fn with process.env replaced by env, and puts the previous one back after. */
async function withProcessEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  replaceProcessEnv(env);
  try {
    return await fn();
  } finally {
    replaceProcessEnv(saved);
  }
}

function replaceProcessEnv(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!Object.hasOwn(env, name)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
}
