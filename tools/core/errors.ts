// Typed errors and the exit codes every tool shares (documented in docs/conventions.md).

export const ExitCode = {
  ok: 0,
  other: 1,
  usage: 2,
  fatalRemote: 3,
  invalidInput: 4,
  deadline: 124,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base of every error a tool raises on purpose: carries its exit code and the original cause. */
export class ToolError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolError';
    this.exitCode = exitCode;
  }
}

/** Bad flags, env vars or configuration files (exit 2). */
export class UsageError extends ToolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
    this.name = 'UsageError';
  }
}

/** A remote answer that waiting cannot change: auth denied, not found, access denied (exit 3). */
export class FatalRemoteError extends ToolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.fatalRemote, options);
    this.name = 'FatalRemoteError';
  }
}

/** Invalid or unsafe input data: parse error, checksum mismatch, archive escape, limit exceeded (exit 4). */
export class InvalidInputError extends ToolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.invalidInput, options);
    this.name = 'InvalidInputError';
  }
}

/** The overall deadline passed before the job was done (exit 124). */
export class DeadlineError extends ToolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.deadline, options);
    this.name = 'DeadlineError';
  }
}

/** SIGINT or SIGTERM arrived (exit 130 or 143). */
export class InterruptedError extends ToolError {
  readonly signal: 'SIGINT' | 'SIGTERM';
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`, signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
    this.name = 'InterruptedError';
    this.signal = signal;
  }
}

/** The run ended without reaching its success path: always a bug, never a result (exit 1). */
export class UnfinishedError extends ToolError {
  constructor(how = 'the run ended before it finished: nothing was left to wait for') {
    super(`${how}; the job is not done (a bug: please report it with the log)`, ExitCode.other);
    this.name = 'UnfinishedError';
  }
}

/**
 * One step of several run in one process (run-steps) failed: the step's own line, prefixed with the
 * step, and the step's exit code, so one init container running several steps reports like one step.
 */
export class StepError extends ToolError {
  readonly step: string;
  constructor(step: string, tool: string, error: unknown) {
    const reason = fromSystemError(error);
    // The cause is the step error's own cause: the failure line shows it as it would for the tool alone.
    super(`step ${step} (${tool}): ${failureLine(reason)}`, exitCodeOf(reason), { cause: reason instanceof ToolError ? reason.cause : undefined });
    this.name = 'StepError';
    this.step = step;
  }
}

/** A full volume is the pod's configuration, not a bug: the one system error with a known fix at any write. */
const FULL_VOLUME = new Set(['ENOSPC', 'EDQUOT']);

/** Paths the system refuses whatever is in them: the fix is in the flag or config that named them. */
const PATH_PROBLEM = {
  ENAMETOOLONG: 'is too long (each name at most 255 bytes, the whole path at most 4095): choose a shorter one',
  ELOOP: 'goes through too many symbolic links (a loop?): point it at a real directory or file',
} as const;

/** Errors of the system that have a known fix, as ToolErrors; anything else unchanged. */
export function fromSystemError(error: unknown): unknown {
  if (error instanceof ToolError) return error;
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (code !== undefined && code in PATH_PROBLEM) {
    const where = path === undefined ? 'a path' : `the path ${path}`;
    return new UsageError(`${where} ${PATH_PROBLEM[code as keyof typeof PATH_PROBLEM]} (${code})`, { cause: error });
  }
  if (code !== undefined && FULL_VOLUME.has(code)) {
    const where = path === undefined ? 'the output volume' : `the volume of ${path}`;
    return new UsageError(
      `${where} is full (${code}); raise the emptyDir sizeLimit or the pod's ephemeral-storage, or write less (size limits in the tool's docs)`,
      { cause: error },
    );
  }
  return error;
}

/** The exit code for anything thrown: ToolErrors carry theirs, everything else is 1. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof ToolError ? error.exitCode : ExitCode.other;
}

/** The line that reports a failure: a ToolError's own message, anything else as an unexpected error. */
export function failureLine(error: unknown): string {
  return error instanceof ToolError ? oneLine(error) : `unexpected error: ${oneLine(error)}`;
}

/** A one-line message for an error: newlines folded so it stays one log line and one termination line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' | ').trim();
}
