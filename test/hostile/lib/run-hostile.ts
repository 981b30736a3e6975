// Runs a built tool with a termination log of its own, and the assertions every hostile case makes about
// how it ended: the exit code, exactly one error line naming the input, the same line in the termination log.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { runBundle, startTool, type RunOptions, type RunResult, type StartedTool } from '../../helpers/run.ts';

export type Tool = 'wait-for-db' | 'copy-secrets' | 'fetch-and-convert-data' | 'render-config';

export interface HostileRun extends RunResult {
  /** What the tool wrote to TERMINATION_LOG_PATH ('' if nothing). */
  termination: string;
}

/** A case's child is killed after this long: a hang fails the case instead of the suite. */
const KILL_AFTER_MS = 30_000;

function withTerminationLog(options: RunOptions): { path: string; options: RunOptions } {
  const path = join(tempDir('hostile-term-'), 'termination-log');
  writeFileSync(path, '');
  return { path, options: { timeoutMs: KILL_AFTER_MS, ...options, env: { TERMINATION_LOG_PATH: path, ...options.env } } };
}

export async function runHostile(tool: Tool | 'run-steps', args: string[], options: RunOptions = {}): Promise<HostileRun> {
  const { path, options: withLog } = withTerminationLog(options);
  const result = await runBundle(tool, args, withLog);
  return { ...result, termination: readFileSync(path, 'utf8') };
}

export interface StartedHostile extends StartedTool {
  finished: Promise<HostileRun>;
}

/** Starts a tool in the background (to signal it), with its own termination log. */
export function startHostile(tool: Tool, args: string[], options: RunOptions = {}): StartedHostile {
  const { path, options: withLog } = withTerminationLog(options);
  const started = startTool(tool, args, withLog);
  return { ...started, finished: started.result.then((result) => ({ ...result, termination: readFileSync(path, 'utf8') })) };
}

function describeRun(run: HostileRun): string {
  return `exit ${run.code} (signal ${run.signal}) after ${Math.round(run.durationMs)} ms\nstderr (end): ${run.stderr.slice(-1500)}`;
}

/**
 * The failure contract: the exit code (one of `codes` when the promised class allows several), exactly one
 * `error` log line, which is the last line, names the input (every `names` entry), and is the termination
 * message. Returns the line.
 */
export function assertFailure(run: HostileRun, codes: number | number[], names: Array<string | RegExp>): string {
  const allowed = Array.isArray(codes) ? codes : [codes];
  assert.ok(allowed.includes(run.code ?? -1), `expected exit ${allowed.join(' or ')}, got ${describeRun(run)}`);
  const errors = run.logs.filter((line) => line.level === 'error');
  assert.equal(errors.length, 1, `expected exactly one error line, got ${errors.length}: ${describeRun(run)}`);
  assert.equal(run.logs.at(-1), errors[0], `the error line is the last log line: ${describeRun(run)}`);
  const nonJson = run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
  assert.deepEqual(nonJson, [], 'every stderr line is a JSON log line (no stray stack trace or warning)');
  const message = String(errors[0]?.msg ?? '');
  assert.ok(message.length > 0 && !message.includes('\n'), `the error is one line: ${JSON.stringify(message)}`);
  assert.doesNotMatch(message, /unexpected error/i, 'a hostile input is never an "unexpected error"');
  for (const name of names) {
    if (typeof name === 'string') assert.ok(message.includes(name), `the error line names ${JSON.stringify(name)}: ${message}`);
    else assert.match(message, name, `the error line names the input: ${message}`);
  }
  assert.equal(run.termination.trim(), message.slice(0, 4096).trim(), 'the termination message is the error line');
  return message;
}

/** The success contract: exit 0, no error line, nothing in the termination log. */
export function assertSuccess(run: HostileRun): void {
  assert.equal(run.code, 0, `expected exit 0, got ${describeRun(run)}`);
  assert.deepEqual(
    run.logs.filter((line) => line.level === 'error'),
    [],
    'no error line on success',
  );
  assert.equal(run.termination, '', 'no termination message on success');
}
