// Reading a small input file a user names (a config file, a values file): a regular file only, so a FIFO
// or a device cannot block the run before its deadline starts, and never more than a cap, so a file of
// gigabytes cannot take the memory. Errors say which file, what is wrong and the fix.

import { constants } from 'node:fs';

export class SmallFileError extends Error {
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(`${path} ${problem}`, options);
    this.name = 'SmallFileError';
    this.path = path;
  }
}

/** The whole file, at most `maxBytes`; SmallFileError when it is not a readable regular file or larger. */
export async function readSmallFile(path: string, maxBytes: number): Promise<Buffer> {
  // Loaded here, not with the module: every tool imports this, and node:fs/promises costs a start that
  // reads no file (--version, --help, a run without a config file) a millisecond or two.
  const { open } = await import('node:fs/promises');
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; it is refused below.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new SmallFileError(path, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new SmallFileError(path, 'is a directory, not a file');
    if (!info.isFile()) throw new SmallFileError(path, 'is not a regular file (a FIFO, socket or device): name a file');
    if (info.size > maxBytes) throw new SmallFileError(path, `is ${info.size} bytes, more than the limit of ${maxBytes}`);
    // One byte more than the cap tells a file that grows while it is read (procfs files report size 0).
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    let bytesRead: number;
    do {
      ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, null));
      length += bytesRead;
    } while (bytesRead > 0 && length < buffer.length);
    if (length > maxBytes) throw new SmallFileError(path, `is more than the limit of ${maxBytes} bytes`);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof SmallFileError) throw error;
    throw new SmallFileError(path, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}
