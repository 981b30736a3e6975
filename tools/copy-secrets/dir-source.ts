// --from-dir: the files of a mounted Kubernetes secret (or any directory of files), read by the shared
// secret-volume reader (one consistent version behind ..data, nothing outside the directory, only regular
// files). Here: top-level files only, each capped at the size of a Kubernetes Secret, registered with the
// redactor as soon as it is read.

import { join } from 'node:path';
import type { Logger } from '../core/log.ts';
import { redactor } from '../core/redact.ts';
import { readSecretVolume } from '../core/secret-volume.ts';
import { registerValue, type SourceSecret } from './shape.ts';

/** Kubernetes caps a Secret at 1 MiB; a bigger file is not a secret we should copy. */
const MAX_FILE_BYTES = 1024 * 1024;

export async function readFromDir(dir: string, log: Logger): Promise<SourceSecret[]> {
  const entries = await readSecretVolume(dir, {
    label: `--from-dir ${dir}`,
    maxFileBytes: MAX_FILE_BYTES,
    limitName: `the 1 MiB (${MAX_FILE_BYTES} bytes) a Kubernetes Secret may hold`,
    subdirectories: 'list',
  });
  const secrets: SourceSecret[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'file') continue;
    registerValue(entry.bytes, (v) => redactor.add(v));
    secrets.push({
      label: `file "${entry.name}" of --from-dir ${dir}`,
      baseName: entry.name,
      value: entry.bytes,
      origin: { kind: 'dir', path: join(dir, entry.name) },
    });
  }
  // Logged once every value is registered.
  for (const entry of entries) {
    if (entry.kind === 'directory') log.warn(`--from-dir: skipping the subdirectory "${entry.name}" (only files at the top level are copied)`, { dir });
  }
  return secrets;
}
