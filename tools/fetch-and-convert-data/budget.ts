// Run-wide limits shared by every job: files written and bytes written. Counted as data flows, so a
// limit stops a job in the middle of a stream, before the disk fills.

import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';

export class Budget {
  private files = 0;
  private bytes = 0;
  private readonly maxFiles: number;
  private readonly maxBytes: number;

  constructor(maxFiles: number, maxBytes: number) {
    this.maxFiles = maxFiles;
    this.maxBytes = maxBytes;
  }

  addFiles(count: number, what: string): void {
    this.files += count;
    this.checkFiles(0, what);
  }

  /** Fails when `more` files on top of those written would exceed the limit (an archive's entry count, before extracting). */
  checkFiles(more: number, what: string): void {
    if (this.files + more > this.maxFiles)
      throw new InvalidInputError(`${what}: more than --max-files ${this.maxFiles} files written by this run; raise the limit if this is expected`);
  }

  addBytes(count: number, what: string): void {
    this.bytes += count;
    if (this.bytes > this.maxBytes)
      throw new InvalidInputError(`${what}: more than --max-total-bytes ${formatSize(this.maxBytes)} written by this run; raise the limit if this is expected`);
  }

  get written(): { files: number; bytes: number } {
    return { files: this.files, bytes: this.bytes };
  }
}
