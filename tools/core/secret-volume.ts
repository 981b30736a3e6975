// Reading a Kubernetes-style secret volume: the mounts of Secrets and ConfigMaps, and the directories
// copy-secrets and render-config publish. The layout is  key -> ..data/key,  ..data -> ..<stamp>/,
// ..<stamp>/key  (the kubelet swaps ..data atomically, then removes the old version). So:
// - ..data is resolved once and every file is listed and read from the version it pointed at, so one run
//   sees one consistent set even while a new version is swapped in; names starting with ".." belong to the
//   layout and are skipped (a single leading dot is a valid key: .dockerconfigjson);
// - every entry is resolved and refused when it leaves the mounted directory, so a link to /etc/passwd or
//   ../other is never read into a secret;
// - only regular files are read (a FIFO would block, a device is no secret), each up to a size cap, from
//   the file that was checked (opened without following links, then compared by inode).
// Messages name the directory and the entry, never a value.

import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InvalidInputError, UsageError } from './errors.ts';

const DATA_LINK = '..data';

export interface SecretVolumeOptions {
  /** The directory as the user named it, for messages: `--secrets-dir /secrets`. */
  label: string;
  /** Largest file read, in bytes. */
  maxFileBytes: number;
  /** What sets that cap, for messages: `--max-size 1048576`. */
  limitName: string;
  /** `read`: subdirectories come with their entries; `list`: only named (the caller skips them). */
  subdirectories: 'read' | 'list';
}

export interface SecretVolumeFile {
  kind: 'file';
  /** Name in its directory. */
  name: string;
  /** Path from the volume's top, `/`-separated (`tls/ca.crt`), for messages. */
  path: string;
  bytes: Buffer;
}

export interface SecretVolumeDirectory {
  kind: 'directory';
  name: string;
  path: string;
  /** Sorted entries; undefined when subdirectories are only listed. */
  entries: SecretVolumeEntry[] | undefined;
}

export type SecretVolumeEntry = SecretVolumeFile | SecretVolumeDirectory;

/** The volume or one of its entries cannot be read: not mounted, not a directory, no permission (exit 2). */
export class SecretVolumeUnreadableError extends UsageError {
  readonly dir: string;
  readonly entry: string | undefined;
  constructor(message: string, dir: string, entry: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretVolumeUnreadableError';
    this.dir = dir;
    this.entry = entry;
  }
}

/** An entry that is unsafe to read: outside the volume, not a regular file, over the cap, a loop (exit 4). */
export class UnsafeSecretEntryError extends InvalidInputError {
  readonly dir: string;
  readonly entry: string;
  constructor(message: string, dir: string, entry: string) {
    super(message);
    this.name = 'UnsafeSecretEntryError';
    this.dir = dir;
    this.entry = entry;
  }
}

interface Walk {
  dir: string;
  /** The mounted directory, links resolved: nothing outside it is read. */
  root: string;
  options: SecretVolumeOptions;
}

/** Every entry of the volume's current version, sorted by name (code units, locale-independent). */
export async function readSecretVolume(dir: string, options: SecretVolumeOptions): Promise<SecretVolumeEntry[]> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) {
      throw new SecretVolumeUnreadableError(`cannot read ${options.label}: not a directory; mount the secret volume there or fix the path`, dir, undefined);
    }
  } catch (error) {
    if (error instanceof SecretVolumeUnreadableError) throw error;
    throw new SecretVolumeUnreadableError(`cannot read ${options.label}: ${codeOf(error)}; mount the secret volume there or fix the path`, dir, undefined, {
      cause: error,
    });
  }
  const walk: Walk = { dir, root, options };
  const version = await currentVersion(walk);
  return readEntries(walk, version, '', new Set([version]));
}

/** The directory ..data points at (resolved now, once), or the volume itself when there is no ..data. */
async function currentVersion(walk: Walk): Promise<string> {
  const link = join(walk.root, DATA_LINK);
  try {
    await lstat(link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return walk.root;
    throw unreadable(walk, DATA_LINK, error);
  }
  const target = await resolveInside(walk, link, DATA_LINK);
  if (!(await lstat(target)).isDirectory()) throw unsafe(walk, DATA_LINK, 'is not a directory; it must point at the current version directory');
  return target;
}

async function readEntries(walk: Walk, directory: string, prefix: string, ancestors: ReadonlySet<string>): Promise<SecretVolumeEntry[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    throw unreadable(walk, prefix || '.', error);
  }
  const entries: SecretVolumeEntry[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('..')) continue;
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const resolved = await resolveInside(walk, join(directory, name), path);
    const info = await lstat(resolved).catch((error: unknown) => {
      throw unreadable(walk, path, error);
    });
    if (info.isDirectory()) {
      entries.push({
        kind: 'directory',
        name,
        path,
        entries: walk.options.subdirectories === 'read' ? await readDirectory(walk, resolved, path, ancestors) : undefined,
      });
    } else if (info.isFile()) {
      entries.push({ kind: 'file', name, path, bytes: await readRegularFile(walk, resolved, path, info) });
    } else {
      throw unsafe(walk, path, `is ${kindOf(info)}, not a regular file; only regular files are read`);
    }
  }
  return entries;
}

async function readDirectory(walk: Walk, directory: string, path: string, ancestors: ReadonlySet<string>): Promise<SecretVolumeEntry[]> {
  if (ancestors.has(directory)) throw unsafe(walk, path, 'leads back to a directory that contains it (a link loop); refusing to follow it');
  return readEntries(walk, directory, path, new Set([...ancestors, directory]));
}

/** Resolves every link of path and refuses a result outside the volume, or the volume itself. */
async function resolveInside(walk: Walk, path: string, entry: string): Promise<string> {
  let resolved: string;
  try {
    resolved = await realpath(path);
  } catch (error) {
    if (codeOf(error) === 'ELOOP') throw unsafe(walk, entry, 'is a link loop (or a chain of more than 40 links); refusing to follow it');
    throw unreadable(walk, entry, error, 'a link to a missing file, or the volume changed while it was read');
  }
  const rel = relative(walk.root, resolved);
  if (rel === '') throw unsafe(walk, entry, 'points at the directory itself; refusing to follow it');
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw unsafe(walk, entry, `points outside the directory (to ${resolved}); refusing to follow it: remove the link or point it inside ${walk.dir}`);
  }
  return resolved;
}

/** Reads the file that was checked: no link followed at open, same inode, no more than the cap. */
async function readRegularFile(walk: Walk, path: string, entry: string, checked: Stats): Promise<Buffer> {
  const { maxFileBytes, limitName } = walk.options;
  const tooLarge = (size: number) => unsafe(walk, entry, `is ${size} bytes, more than ${limitName}`);
  if (checked.size > maxFileBytes) throw tooLarge(checked.size);
  let handle;
  try {
    // O_NONBLOCK: should a FIFO be swapped in after the check, open returns instead of waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw unreadable(walk, entry, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.ino !== checked.ino || info.dev !== checked.dev) {
      throw unsafe(walk, entry, 'was replaced while it was read; run again');
    }
    if (info.size > maxFileBytes) throw tooLarge(info.size);
    // One byte more than the size tells a file that grows while it is read.
    const buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    let bytesRead: number;
    do {
      ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, null));
      length += bytesRead;
    } while (bytesRead > 0 && length < buffer.length);
    if (length === buffer.length) throw unsafe(walk, entry, 'grew while it was read; run again');
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UnsafeSecretEntryError) throw error;
    throw unreadable(walk, entry, error);
  } finally {
    await handle.close();
  }
}

function unsafe(walk: Walk, entry: string, problem: string): UnsafeSecretEntryError {
  return new UnsafeSecretEntryError(`${walk.options.label}: "${entry}" ${problem}`, walk.dir, entry);
}

function unreadable(walk: Walk, entry: string, error: unknown, hint?: string): SecretVolumeUnreadableError {
  const code = codeOf(error);
  const fix =
    code === 'EACCES' || code === 'EPERM'
      ? `give the container's user (uid ${process.getuid?.() ?? '?'}) read access: the volume's defaultMode or the pod's fsGroup`
      : (hint ?? 'check the volume mount');
  return new SecretVolumeUnreadableError(`cannot read "${entry}" of ${walk.options.label}: ${code}; ${fix}`, walk.dir, entry, { cause: error });
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'a special file';
}
