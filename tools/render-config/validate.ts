// Checks of a rendered file before it is put in place: .json, .yaml/.yml and .toml outputs must parse,
// and an optional user command may inspect the file. Parser messages can quote the rendered text (which
// may hold a secret), so only their first line goes into a message, and that still passes the redactor.

import { execFile } from 'node:child_process';
import { redactor } from '../core/redact.ts';
import { extname } from 'node:path';

export type OutputFormat = 'json' | 'yaml' | 'toml';

export function formatOf(output: string): OutputFormat | undefined {
  switch (extname(output).toLowerCase()) {
    case '.json':
      return 'json';
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.toml':
      return 'toml';
    default:
      return undefined;
  }
}

/** The parse error of `text` as `format`, or undefined when it parses. */
export async function syntaxError(text: string, format: OutputFormat): Promise<{ message: string; line?: number; column?: number } | undefined> {
  try {
    if (format === 'json') JSON.parse(text);
    else if (format === 'yaml') {
      const { parseAllDocuments } = await import('yaml');
      for (const document of parseAllDocuments(text, { uniqueKeys: true })) {
        const first = 'errors' in document ? document.errors[0] : undefined;
        if (first) {
          const [line, column] = first.linePos?.[0] ? [first.linePos[0].line, first.linePos[0].col] : [undefined, undefined];
          return { message: `not valid YAML: ${firstLine(first.message)}`, line, column };
        }
      }
    } else {
      const { parse } = await import('smol-toml');
      parse(text);
    }
    return undefined;
  } catch (error) {
    const e = error as Error & { line?: number; column?: number };
    if (format === 'json') {
      const json = jsonError(e.message);
      return { ...json, message: `not valid JSON: ${json.message}` };
    }
    return { message: `not valid TOML: ${firstLine(e.message)}`, line: e.line, column: e.column };
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/:\s*$/, '').trim();
}

/** V8 quotes the text around the error in JSON messages ("..." or ..."..."... when cut): drop the quote, keep the position. */
export function jsonError(message: string): { message: string; line?: number; column?: number } {
  const at = /\(line (\d+) column (\d+)\)/.exec(message);
  const text = firstLine(message.replace(/, (\.\.\.)?"[\s\S]*"(\.\.\.)? is not valid JSON$/, '').replace(/ \(line \d+ column \d+\)/, ''));
  return at ? { message: text, line: Number(at[1]), column: Number(at[2]) } : { message: text };
}

export interface CheckRejection {
  message: string;
}

/** Runs the check command on `path`; resolves to a rejection when it fails, undefined when it accepts. */
export function runCheckCommand(command: readonly string[], path: string, timeoutMs: number, signal: AbortSignal): Promise<CheckRejection | undefined> {
  const [program, ...rest] = command as [string, ...string[]];
  const args = rest.includes('{}') ? rest.map((word) => (word === '{}' ? path : word)) : [...rest, path];
  return new Promise((resolve) => {
    const child = execFile(
      program,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, signal, windowsHide: true },
      (error, _stdout, stderr) => {
        if (!error) return resolve(undefined);
        const code = (error as NodeJS.ErrnoException).code;
        const detail =
          code === 'ENOENT'
            ? `cannot run ${program}: not found`
            : error.killed && !signal.aborted
              ? `${program} did not finish within ${timeoutMs}ms`
              : `${program} exited with ${typeof code === 'number' ? code : (error.signal ?? code)}${lastLine(stderr) ? `: ${lastLine(stderr)}` : ''}`;
        resolve({ message: `rejected by the check command: ${detail}` });
      },
    );
    // A command that reads its stdin (cat, a validator waiting for input) gets end-of-file, not a wait
    // until --check-timeout.
    child.stdin?.end();
  });
}

/** The last line of the command's stderr, masked before it is cut to 300 characters: cut first, a long
 *  secret the command echoed (the rendered file) would be a fragment no registered form matches. */
function lastLine(text: string): string {
  const lines = redactor
    .redact(text)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
