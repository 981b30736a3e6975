// Typed errors of the image builder. The builder is a build tool, not one of the shipped CLIs, so it keeps
// its own two error kinds instead of importing tools/core (which only the tools share).

/** The repository root (images/..), where dist/, .cache/ and package.json are. */
export const repoRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** Ends a command line entry point: one line on stderr, exit 2 for usage, 4 for inputs, 1 otherwise. */
export function exitWith(command: string, error: unknown): void {
  const code = error instanceof ImageUsageError ? 2 : error instanceof ImageInputError ? 4 : 1;
  console.error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
  if (code === 1 && error instanceof Error && error.stack) console.error(error.stack);
  process.exitCode = code;
}

/** Bad flags, a missing bundle, an unpinned or unknown input: fix the command or the inputs (exit 2). */
export class ImageUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageUsageError';
  }
}

/** A fetched input does not match its recorded hash, or a helper program failed (exit 4 / 1). */
export class ImageInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageInputError';
  }
}
