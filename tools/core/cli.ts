// The entry every tool runs through: parse flags/env/config, set up logging and signals, run the tool's
// main, and turn the outcome into one exit code, one log line and the termination message.

import { ExitCode, StepError, ToolError, UnfinishedError, exitCodeOf, failureLine, fromSystemError, oneLine } from './errors.ts';
import { Logger, loggerSettings } from './log.ts';
import { parseCli, type CliSpec, type OptionValues } from './options.ts';
import { registerCredentialEnv } from './redact.ts';
import { guardOutput, writeStdout } from './output.ts';
import { handleSignals, rejectOnAbort, runCleanups } from './signals.ts';
import { inRunningStep } from './step.ts';
import { terminationLogPath, writeTerminationMessage } from './termination.ts';

declare const __TOOL_VERSION__: string;
export const VERSION = typeof __TOOL_VERSION__ === 'undefined' ? '0.0.0-dev' : __TOOL_VERSION__;

export interface ToolContext<S extends CliSpec> {
  options: OptionValues<S>;
  args: string[];
  config: Record<string, unknown>;
  configPath: string | undefined;
  log: Logger;
  /** Aborted on SIGTERM/SIGINT with an InterruptedError as reason. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** A tool as the runner takes it: its flags and its run. */
export interface ToolDefinition<S extends CliSpec = CliSpec> {
  spec: S;
  // Method syntax: a tool of any spec is a ToolDefinition<CliSpec> (parameters are checked bivariantly).
  main(context: ToolContext<S>): Promise<void>;
  /**
   * The checks main makes before any work (its plan: no I/O), alone: run-steps runs them for every step
   * before the first step starts. Throws what main would throw for the same mistake.
   */
  check?(context: ToolContext<S>): void;
}

export interface RunOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /**
   * The real CLI (true): guard the whole process (every output masked, uncaught errors and an early end
   * reported) and exit when done. Tests of the runner pass false.
   */
  exit?: boolean;
}

/** Runs a tool to completion and returns (or exits with) its exit code. */
export async function runTool<S extends CliSpec>(spec: S, main: (context: ToolContext<S>) => Promise<void>, run: RunOptions = {}): Promise<number> {
  const argv = run.argv ?? process.argv.slice(2);
  const env = run.env ?? process.env;
  registerCredentialEnv(env);
  let log = new Logger({ tool: spec.name, ...loggerSettings(env.LOG_LEVEL, env.LOG_FORMAT) });
  const exit = run.exit ?? true;
  if (exit) guardProcess(() => log, env);
  const code = await (async (): Promise<number> => {
    try {
      const parsed = await parseCli(spec, argv, env);
      if (parsed.kind === 'help') {
        writeStdout(parsed.text);
        return ExitCode.ok;
      }
      if (parsed.kind === 'version') {
        writeStdout(`${spec.name} ${VERSION}\n`);
        return ExitCode.ok;
      }
      const common = parsed.options as unknown as { logLevel?: string; logFormat?: string };
      log = new Logger({ tool: spec.name, ...loggerSettings(common.logLevel, common.logFormat) });
      const signal = handleSignals();
      const context: ToolContext<S> = {
        options: parsed.options,
        args: parsed.args,
        config: parsed.config,
        configPath: parsed.configPath,
        log,
        signal,
        env,
      };
      await Promise.race([main(context), rejectOnAbort(signal)]);
      return ExitCode.ok;
    } catch (error) {
      return fail(log, error, env);
    }
  })();
  if (exit) {
    succeeded = code === ExitCode.ok;
    process.exit(code);
  }
  process.exitCode = code;
  return code;
}

/** Set only on the explicit success path: exit 0 any other way is a bug, reported as exit 1. */
let succeeded = false;

/**
 * Exit 0 only from the success path, and every way out masked: an error thrown outside the run's
 * promise chain, a run whose promise never settles (the event loop drained: a socket closed and nothing
 * was left to wait for), and a dependency calling process.exit(0) all end as a failure with one line.
 */
function guardProcess(log: () => Logger, env: NodeJS.ProcessEnv): void {
  guardOutput(log);
  process.on('uncaughtException', (error) => process.exit(fail(log(), error, env)));
  process.on('beforeExit', () => process.exit(fail(log(), new UnfinishedError(), env)));
  process.on('exit', (code) => {
    if (code !== ExitCode.ok || succeeded) return;
    process.exitCode = fail(log(), new UnfinishedError('the process exited with 0 before the run finished'), env);
  });
}

/** The failure as one log line, the termination message (at the path the run's env names) and the exit code. */
function fail(log: Logger, thrown: unknown, env: NodeJS.ProcessEnv): number {
  runCleanups();
  const error = fromSystemError(inRunningStep(thrown));
  const code = exitCodeOf(error);
  const message = failureLine(error);
  const fields: Record<string, unknown> = { exitCode: code };
  if (error instanceof StepError) fields.step = error.step;
  const cause = error instanceof ToolError && error.cause !== undefined ? oneLine(error.cause) : undefined;
  if (cause && !message.includes(cause)) fields.cause = cause;
  if (!(error instanceof ToolError) && error instanceof Error && log.isEnabled('debug')) fields.stack = error.stack;
  log.error(message, fields);
  writeTerminationMessage(message, terminationLogPath(env));
  return code;
}
