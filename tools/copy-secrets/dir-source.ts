// --from-dir: the files of a mounted Kubernetes secret (or any directory of files). A secret volume looks
// like   key -> ..data/key,  ..data -> ..2024_01_01_00_00_00.123,  ..2024_.../key  (the kubelet swaps
// ..data atomically). The files are read from the directory ..data points at, once resolved, so one run
// sees one consistent version. Every path is resolved and must stay inside the mounted directory.

import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InvalidInputError, UsageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { redactor } from '../core/redact.ts';
import { registerValue, type SourceSecret } from './shape.ts';

/** Kubernetes caps a Secret at 1 MiB; a bigger file is not a secret we should copy. */
const MAX_FILE_BYTES = 1024 * 1024;

export async function readFromDir(dir: string, log: Logger): Promise<SourceSecret[]> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new UsageError(`--from-dir ${dir}: not a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--from-dir ${dir}: cannot open it (${(error as NodeJS.ErrnoException).code ?? String(error)}); mount the secret volume there`, { cause: error });
  }
  const data = await dataDir(root, dir);
  const secrets: SourceSecret[] = [];
  for (const name of (await readdir(data)).sort()) {
    // "..data" and "..<timestamp>" belong to the layout; a single leading dot is a valid key (.dockerconfigjson).
    if (name.startsWith('..')) continue;
    const path = await inside(root, join(data, name), dir, name);
    const info = await stat(path);
    if (info.isDirectory()) {
      log.warn(`--from-dir: skipping the subdirectory "${name}" (only files at the top level are copied)`, { dir });
      continue;
    }
    if (!info.isFile()) throw new InvalidInputError(`--from-dir ${dir}: "${name}" is not a regular file`);
    if (info.size > MAX_FILE_BYTES) throw new InvalidInputError(`--from-dir ${dir}: "${name}" is ${info.size} bytes, more than the ${MAX_FILE_BYTES} a secret may have`);
    const value = await readFile(path);
    registerValue(value, (v) => redactor.add(v));
    secrets.push({ label: `file "${name}" of --from-dir ${dir}`, baseName: name, value, origin: { kind: 'dir', path: join(dir, name) } });
  }
  return secrets;
}

/** The directory that holds the current files: what ..data points at, or the directory itself. */
async function dataDir(root: string, dir: string): Promise<string> {
  const link = join(root, '..data');
  try {
    await lstat(link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return root;
    throw error;
  }
  const target = await inside(root, link, dir, '..data');
  if (!(await stat(target)).isDirectory()) throw new InvalidInputError(`--from-dir ${dir}: ..data is not a directory`);
  return target;
}

/** Resolves symlinks and refuses a path that leaves the mounted directory. */
async function inside(root: string, path: string, dir: string, name: string): Promise<string> {
  const resolved = await realpath(path);
  const rel = relative(root, resolved);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InvalidInputError(`--from-dir ${dir}: "${name}" points outside the directory; refusing to follow it`);
  }
  return resolved;
}
