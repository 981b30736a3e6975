// The entry every tool runs through: parse flags/env/config, set up logging and signals, run the tool's
// main, and turn the outcome into one exit code, one log line and the termination message.

import { writeSync } from 'node:fs';
import { ExitCode, ToolError, exitCodeOf, fromSystemError, oneLine } from './errors.ts';
import { LOG_FORMATS, LOG_LEVELS, Logger, type LogFormat, type LogLevel } from './log.ts';
import { parseCli, type CliSpec, type OptionValues } from './options.ts';
import { handleSignals, runCleanups } from './signals.ts';
import { writeTerminationMessage } from './termination.ts';

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

export interface RunOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Exit the process when done (true for the real CLI; tests of the runner pass false). */
  exit?: boolean;
}

/** Runs a tool to completion and returns (or exits with) its exit code. */
export async function runTool<S extends CliSpec>(
  spec: S,
  main: (context: ToolContext<S>) => Promise<void>,
  run: RunOptions = {},
): Promise<number> {
  const argv = run.argv ?? process.argv.slice(2);
  const env = run.env ?? process.env;
  let log = new Logger({ tool: spec.name, ...loggerSettings(env.LOG_LEVEL, env.LOG_FORMAT) });
  const code = await (async (): Promise<number> => {
    try {
      const parsed = await parseCli(spec, argv, env);
      if (parsed.kind === 'help') {
        writeSync(1, parsed.text);
        return ExitCode.ok;
      }
      if (parsed.kind === 'version') {
        writeSync(1, `${spec.name} ${VERSION}\n`);
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
      return fail(log, error);
    }
  })();
  if (run.exit ?? true) process.exit(code);
  process.exitCode = code;
  return code;
}

function fail(log: Logger, thrown: unknown): number {
  runCleanups();
  const error = fromSystemError(thrown);
  const code = exitCodeOf(error);
  const message = error instanceof ToolError ? oneLine(error) : `unexpected error: ${oneLine(error)}`;
  const fields: Record<string, unknown> = { exitCode: code };
  const cause = error instanceof ToolError && error.cause !== undefined ? oneLine(error.cause) : undefined;
  if (cause && !message.includes(cause)) fields.cause = cause;
  if (!(error instanceof ToolError) && error instanceof Error && log.isEnabled('debug')) fields.stack = error.stack;
  log.error(message, fields);
  writeTerminationMessage(message);
  return code;
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function loggerSettings(level: string | undefined, format: string | undefined): { level?: LogLevel; format?: LogFormat } {
  const settings: { level?: LogLevel; format?: LogFormat } = {};
  if (LOG_LEVELS.includes(level as LogLevel)) settings.level = level as LogLevel;
  if (LOG_FORMATS.includes(format as LogFormat)) settings.format = format as LogFormat;
  return settings;
}
