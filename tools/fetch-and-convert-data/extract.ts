// Archive extraction into a fresh staging directory (published as a whole by the caller). Every entry
// is checked before anything is written for it: a safe relative name (paths.ts), no path below a
// symlink created earlier, regular files and directories only, unless --allow-links lets symlinks and
// hardlinks through that stay inside; never devices, FIFOs or setuid/setgid bits. Sizes, counts and the
// compression ratio are limited on the stream. After extraction every symlink is resolved for real and
// must land inside the staging directory.

import { createWriteStream, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Headers } from 'tar-stream';
import * as yauzl from 'yauzl';
import { InvalidInputError, ToolError } from '../core/errors.ts';
import { onCleanup } from '../core/signals.ts';
import type { Budget } from './budget.ts';
import { RATIO_FLOOR_BYTES } from './convert.ts';
import { pathLengthProblem, resolveLinkTarget, safeRelativePath, shownName } from './paths.ts';
import type { Limits } from './plan.ts';
import { TarHeaderGuard } from './tar-guard.ts';
import { checkZipLayout } from './zip-layout.ts';
import { formatSize } from '../core/size.ts';

export interface ExtractOptions {
  what: string;
  staging: string;
  limits: Limits;
  budget: Budget;
  allowLinks: boolean;
  /** Mode of extracted files (executables also get x where this has r). */
  mode: number;
  dirMode: number;
  /** Size of the archive when known before extraction (a zip): its total expansion is held to --max-ratio. */
  archiveBytes?: number;
}

export interface ExtractStats {
  files: number;
  directories: number;
  links: number;
  bytes: number;
}

const SETID = 0o6000;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

type EntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

/** Entry-by-entry writer shared by the tar and zip readers. */
class Extractor {
  readonly stats: ExtractStats = { files: 0, directories: 0, links: 0, bytes: 0 };
  private readonly options: ExtractOptions;
  private readonly symlinks = new Set<string>();
  private readonly files = new Set<string>();
  private readonly directories = new Set<string>();

  constructor(options: ExtractOptions) {
    this.options = options;
  }

  private reject(name: string, why: string): never {
    throw new InvalidInputError(`${this.options.what}: archive entry "${shownName(name)}" rejected: ${why}`);
  }

  /** Checks the name and prepares its parent; returns the entry's path parts. */
  private async place(name: string): Promise<string[]> {
    const parts = safeRelativePath(name, this.options.limits.maxDepth, `${this.options.what}: archive entry`);
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (this.symlinks.has(parent)) this.reject(name, `its parent "${parent}" is a symlink (writing through links is never allowed)`);
      if (this.files.has(parent)) this.reject(name, `its parent "${parent}" is a file`);
    }
    const key = parts.join('/');
    if (this.files.has(key) || this.symlinks.has(key)) this.reject(name, 'duplicate entry');
    if (this.directories.has(key)) this.reject(name, `a directory "${key}" came before it in the archive`);
    const tooLong = pathLengthProblem(this.path(parts));
    if (tooLong !== undefined) this.reject(name, `the path below --out is too long (${tooLong})`);
    if (parts.length > 1) await this.mkdirs(parts.slice(0, -1));
    return parts;
  }

  private async mkdirs(parts: string[]): Promise<void> {
    for (let i = 1; i <= parts.length; i++) {
      const key = parts.slice(0, i).join('/');
      if (this.directories.has(key)) continue;
      if (this.files.has(key) || this.symlinks.has(key)) this.reject(parts.join('/'), `"${key}" is a file or link earlier in the archive, not a directory`);
      const tooLong = pathLengthProblem(join(this.options.staging, key));
      if (tooLong !== undefined) this.reject(parts.join('/'), `the path below --out is too long (${tooLong})`);
      await fs.mkdir(join(this.options.staging, key), { mode: 0o700 });
      this.directories.add(key);
      this.stats.directories++;
    }
  }

  private path(parts: string[]): string {
    return join(this.options.staging, ...parts);
  }

  async entry(name: string, type: EntryType, mode: number, content: Readable, linkTarget?: string, compressedSize?: number): Promise<void> {
    if ((mode & SETID) !== 0) this.reject(name, 'setuid or setgid bit set');
    if (type === 'other') this.reject(name, 'not a regular file, directory or link (device, FIFO or socket)');
    if (type === 'directory') {
      content.resume();
      // mkdirs refuses a file or link at any level of it, the directory itself included.
      await this.mkdirs(safeRelativePath(name, this.options.limits.maxDepth, `${this.options.what}: archive entry`));
      return;
    }
    if (type === 'symlink' || type === 'link') {
      content.resume();
      if (!this.options.allowLinks) this.reject(name, `${type === 'symlink' ? 'symlink' : 'hardlink'} (links are extracted only with --allow-links)`);
      const parts = await this.place(name);
      this.options.budget.addFiles(1, this.options.what);
      if (type === 'symlink') {
        const target = linkTarget ?? '';
        if (resolveLinkTarget(parts, target) === undefined) this.reject(name, `symlink to "${target}" leaves the target directory`);
        await fs.symlink(target, this.path(parts));
        this.symlinks.add(parts.join('/'));
      } else {
        const targetParts = safeRelativePath(linkTarget ?? '', this.options.limits.maxDepth, `${this.options.what}: hardlink target of "${name}"`);
        if (!this.files.has(targetParts.join('/'))) this.reject(name, `hardlink to "${linkTarget}", which is not a regular file extracted before it`);
        await fs.link(this.path(targetParts), this.path(parts));
        this.files.add(parts.join('/'));
      }
      this.stats.links++;
      return;
    }
    const parts = await this.place(name);
    this.options.budget.addFiles(1, this.options.what);
    const executable = (mode & 0o100) !== 0;
    const fileMode = executable ? this.options.mode | ((this.options.mode & 0o444) >> 2) : this.options.mode;
    await pipeline(content, this.meter(name, compressedSize), createWriteStream(this.path(parts), { flags: 'wx', mode: 0o600 }));
    await fs.chmod(this.path(parts), fileMode);
    this.files.add(parts.join('/'));
    this.stats.files++;
  }

  /** Counts written bytes against the run's budget and, for zip entries, the entry's compression ratio. */
  private meter(name: string, compressedSize: number | undefined): Transform {
    let bytes = 0;
    const { budget, limits, what } = this.options;
    return new Transform({
      transform: (chunk: Buffer, _e, callback) => {
        bytes += chunk.length;
        this.stats.bytes += chunk.length;
        try {
          budget.addBytes(chunk.length, what);
        } catch (error) {
          return callback(error as Error);
        }
        if (compressedSize !== undefined && bytes > RATIO_FLOOR_BYTES && bytes / Math.max(1, compressedSize) > limits.maxRatio) {
          return callback(
            new InvalidInputError(
              `${what}: archive entry "${name}" expands beyond --max-ratio ${limits.maxRatio} (${formatSize(compressedSize)} compressed): a zip bomb?`,
            ),
          );
        }
        const archive = this.options.archiveBytes;
        if (archive !== undefined && this.stats.bytes > RATIO_FLOOR_BYTES && this.stats.bytes / Math.max(1, archive) > limits.maxRatio) {
          return callback(
            new InvalidInputError(
              `${what}: the archive expands beyond --max-ratio ${limits.maxRatio} (${formatSize(archive)} compressed, at "${name}"): a zip bomb? raise --max-ratio if this is expected`,
            ),
          );
        }
        callback(null, chunk);
      },
    });
  }

  /** Every symlink resolved by the kernel must end inside the staging directory and exist. */
  async verifyLinks(): Promise<void> {
    const root = await fs.realpath(this.options.staging);
    for (const link of this.symlinks) {
      let real: string;
      try {
        real = await fs.realpath(join(this.options.staging, link));
      } catch {
        this.reject(link, 'symlink target does not exist in the archive');
      }
      if (real !== root && !real.startsWith(`${root}/`)) this.reject(link, 'symlink resolves outside the target directory');
    }
    for (const directory of this.directories) await fs.chmod(join(this.options.staging, directory), this.options.dirMode);
  }
}

function tarType(header: Headers): EntryType {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    default:
      return 'other';
  }
}

/** tar-stream's errors for bytes that are no tar or end too early. */
const TAR_FORMAT_ERROR = /^(Unexpected end of data|Invalid tar header)/;

/** Extracts a tar stream (the output of the previous stages) into options.staging. */
export async function untar(stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>, options: ExtractOptions): Promise<ExtractStats> {
  const extractor = new Extractor(options);
  const extract = tarExtract();
  extract.on('entry', (header, stream, next) => {
    extractor.entry(header.name, tarType(header), header.mode ?? 0, stream, header.linkname ?? undefined).then(
      () => next(),
      (error: unknown) => {
        stream.resume();
        next(error as Error);
      },
    );
  });
  try {
    await pipeline([...stages, new TarHeaderGuard(options.what), extract] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  } catch (error) {
    throw TAR_FORMAT_ERROR.test((error as Error).message) && !(error instanceof ToolError)
      ? new InvalidInputError(`${options.what}: invalid or truncated tar archive: ${(error as Error).message}`, { cause: error })
      : error;
  }
  await extractor.verifyLinks();
  return extractor.stats;
}

/**
 * Extracts a zip: a zip's directory is at its end, so the stream is first spooled to `spoolPath`
 * (counted against the limits, removed afterwards), then read entry by entry with yauzl.
 */
export async function unzip(stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>, spoolPath: string, options: ExtractOptions): Promise<ExtractStats> {
  await fs.rm(spoolPath, { force: true });
  const forget = onCleanup(() => rmSync(spoolPath, { force: true }));
  try {
    await pipeline([...stages, createWriteStream(spoolPath, { flags: 'wx', mode: 0o600 })] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
    const archiveBytes = (await fs.stat(spoolPath)).size;
    const extractor = new Extractor({ ...options, archiveBytes });
    const zip = await openZip(spoolPath, options.what);
    try {
      const entries: yauzl.Entry[] = [];
      for (let entry = await nextEntry(zip, options.what); entry; entry = await nextEntry(zip, options.what)) {
        entries.push(entry);
        options.budget.checkFiles(entries.length, options.what);
      }
      await checkZipLayout(zip, entries, { what: options.what, maxRatio: options.limits.maxRatio, archiveBytes }).catch((error: unknown) => {
        throw asZipError(options.what, error);
      });
      for (const entry of entries) {
        const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
        const format = mode & S_IFMT;
        const type: EntryType =
          entry.fileName.endsWith('/') || format === S_IFDIR
            ? 'directory'
            : format === S_IFLNK
              ? 'symlink'
              : format === 0 || format === S_IFREG
                ? 'file'
                : 'other';
        const declared = entry.uncompressedSize / Math.max(1, entry.compressedSize);
        if (entry.uncompressedSize > RATIO_FLOOR_BYTES && declared > options.limits.maxRatio) {
          throw new InvalidInputError(
            `${options.what}: archive entry "${shownName(entry.fileName)}" declares ${formatSize(entry.uncompressedSize)} from ${formatSize(entry.compressedSize)}, above --max-ratio ${options.limits.maxRatio}: a zip bomb?`,
          );
        }
        try {
          const content = type === 'directory' ? emptyStream() : await openEntry(zip, entry, options.what);
          const linkTarget = type === 'symlink' ? await readSmall(content, 4096, entry.fileName, options.what) : undefined;
          await extractor.entry(entry.fileName, type, mode, linkTarget === undefined ? content : emptyStream(), linkTarget, entry.compressedSize);
        } catch (error) {
          // yauzl's checks of the real bytes against the declared sizes fail the entry's stream.
          throw asZipError(options.what, error);
        }
      }
    } finally {
      zip.close();
    }
    await extractor.verifyLinks();
    return extractor.stats;
  } finally {
    forget();
    await fs.rm(spoolPath, { force: true });
  }
}

function emptyStream(): Readable {
  return Readable.from([]);
}

function zipError(what: string, error: unknown): InvalidInputError {
  return new InvalidInputError(`${what}: invalid zip archive: ${(error as Error).message}`, { cause: error });
}

/** yauzl's own errors (plain Errors without a system or zlib code) as exit-4 errors; ours and the system's unchanged. */
function asZipError(what: string, error: unknown): unknown {
  if (error instanceof ToolError || !(error instanceof Error) || (error as NodeJS.ErrnoException).code !== undefined) return error;
  return zipError(what, error);
}

function openZip(path: string, what: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true, decodeStrings: true }, (error, zip) => {
      if (error || !zip) reject(zipError(what, error));
      else resolve(zip);
    });
  });
}

function nextEntry(zip: yauzl.ZipFile, what: string): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(zipError(what, error));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** The entry's bytes, checked against its CRC-32 at the end: yauzl checks sizes only, so flipped bytes
 *  in a stored or deflated entry were published as if intact. */
function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, what: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(zipError(what, error));
      else {
        const checked = crcChecked(entry, what);
        // pipe() does not carry errors: yauzl's size checks fail the source, and must fail the reader.
        stream.once('error', (cause: unknown) => checked.destroy(cause as Error));
        resolve(stream.pipe(checked));
      }
    });
  });
}

function crcChecked(entry: yauzl.Entry, what: string): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      if (crc >>> 0 === entry.crc32 >>> 0) done();
      else done(new InvalidInputError(`${what}: archive entry "${shownName(entry.fileName)}" does not match its CRC-32: the archive is corrupt`));
    },
  });
}

async function readSmall(stream: Readable, max: number, name: string, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new InvalidInputError(`${what}: archive entry "${name}": symlink target longer than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
