// Typed errors of the image builder. The builder is a build tool, not one of the shipped CLIs, so it keeps
// its own two error kinds instead of importing tools/core (which only the tools share).

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
