// What can be wrong with a template, collected across all templates so one run (and --check) reports
// every problem at once, each as `file:line:column: message`.

import { InvalidInputError, UsageError, type ToolError } from '../core/errors.ts';

/** missing: a value is not provided (exit 2); syntax, invalid, refused: the template or output is bad (exit 4). */
export type ProblemKind = 'missing' | 'syntax' | 'invalid' | 'refused';

export interface Problem {
  kind: ProblemKind;
  /** Template name (relative to --templates) or output name for output checks. */
  file: string;
  line?: number | undefined;
  column?: number | undefined;
  message: string;
}

export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.line, problem.line !== undefined ? problem.column : undefined].filter((p) => p !== undefined).join(':');
  return `${where}: ${problem.message}`;
}

/** How many problems one error line lists; --check prints them all. */
const LISTED = 10;

/** Where a missing value can come from: the fix named in the error line the on-call engineer reads. */
const MISSING_HINT = 'set each missing variable as an env var, in a --values file or as a file in --secrets-dir';

/** One error for all problems: exit 2 when every problem is a missing value, else 4. */
export function problemsError(problems: readonly Problem[], summary?: string): ToolError {
  const listed = problems.slice(0, LISTED).map(formatProblem);
  const more = problems.length > LISTED ? `; and ${problems.length - LISTED} more (run with --check to list all)` : '';
  const hint = problems.some((p) => p.kind === 'missing') ? `; ${MISSING_HINT}` : '';
  const message = summary ?? `${problems.length} problem${problems.length === 1 ? '' : 's'} in templates: ${listed.join('; ')}${more}${hint}`;
  return problems.every((p) => p.kind === 'missing') ? new UsageError(message) : new InvalidInputError(message);
}

/** 1-based line and column (in characters) of each byte offset (offsets in any order), counting newlines once. */
export function positions(text: Uint8Array, offsets: readonly number[]): Array<{ line: number; column: number }> {
  const order = offsets.map((offset, index) => ({ offset, index })).sort((a, b) => a.offset - b.offset);
  const result = new Array<{ line: number; column: number }>(offsets.length);
  let line = 1;
  let lineStart = 0;
  let scanned = 0;
  for (const { offset, index } of order) {
    for (let nl = text.indexOf(0x0a, scanned); nl !== -1 && nl < offset; nl = text.indexOf(0x0a, nl + 1)) {
      line++;
      lineStart = nl + 1;
    }
    scanned = Math.max(scanned, offset);
    const column = Buffer.from(text.buffer, text.byteOffset + lineStart, offset - lineStart).toString('utf8').length + 1;
    result[index] = { line, column };
  }
  return result;
}
