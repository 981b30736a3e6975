// The set of files as a whole: the secret files, the optional combined outputs and manifest.json, then
// either published into --out in one atomic swap (core's publishDirectory) or described for --explain.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { applyOwnership, publishDirectory } from '../core/atomic.ts';
import { VERSION } from '../core/cli.ts';
import { UsageError } from '../core/errors.ts';
import { renderCombined, type CombinedFormat } from './formats.ts';
import { MANIFEST_NAME, NameRegistry } from './names.ts';
import type { OutputSettings } from './plan.ts';
import { shapeFiles, type SourceSecret } from './shape.ts';

/** What the manifest says about one file: where it came from and a fingerprint, never the value. */
export interface ManifestEntry {
  name: string;
  size: number;
  sha256: string;
  source: 'aws' | 'dir' | 'combined';
  secret?: string;
  arn?: string;
  versionId?: string;
  versionStages?: string[];
  key?: string;
  path?: string;
  format?: CombinedFormat;
}

export interface SetFile {
  name: string;
  bytes: Uint8Array;
  entry: ManifestEntry;
  /** For --explain and logs: `secret "app/db" key "password"`. */
  from: string;
}

/** Shapes the sources into the complete set (secret files + combined outputs), every name unique. */
export function assembleSet(sources: readonly SourceSecret[], output: OutputSettings): SetFile[] {
  const registry = new NameRegistry();
  registry.claim(MANIFEST_NAME, 'the manifest');
  const combined: Array<[CombinedFormat, string | undefined]> = [
    ['json', output.jsonFile],
    ['dotenv', output.dotenvFile],
    ['properties', output.propertiesFile],
  ];
  for (const [format, name] of combined) if (name !== undefined) registry.claim(name, `the ${format} output`);

  const files = shapeFiles(sources, output, registry);
  const set: SetFile[] = files.map((file) => {
    const entry = fingerprint(file.name, file.bytes, file.source.origin.kind);
    const origin = file.source.origin;
    if (origin.kind === 'aws') {
      entry.secret = origin.name;
      if (origin.arn !== undefined) entry.arn = origin.arn;
      if (origin.versionId !== undefined) entry.versionId = origin.versionId;
      if (origin.versionStages !== undefined) entry.versionStages = origin.versionStages;
    } else {
      entry.path = origin.path;
    }
    if (file.key !== undefined) entry.key = file.key;
    const from = file.key === undefined ? file.source.label : `${file.source.label} key ${JSON.stringify(file.key)}`;
    return { name: file.name, bytes: file.bytes, entry, from };
  });
  for (const [format, name] of combined) {
    if (name === undefined) continue;
    const bytes = Buffer.from(renderCombined(files, format), 'utf8');
    const entry = fingerprint(name, bytes, 'combined');
    entry.format = format;
    set.push({ name, bytes, entry, from: `the ${format} output of ${files.length} files` });
  }
  return set;
}

function fingerprint(name: string, bytes: Uint8Array, source: ManifestEntry['source']): ManifestEntry {
  return { name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), source };
}

/** manifest.json: names, versions, sizes and SHA-256 of every file; deterministic for the same input. */
export function manifestText(set: readonly SetFile[]): string {
  const files = [...set].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => f.entry);
  return `${JSON.stringify({ tool: 'copy-secrets', version: VERSION, files }, null, 2)}\n`;
}

/** Writes the set and its manifest into a staging directory and swaps it into `dir` as a whole. */
export async function publishSet(dir: string, set: readonly SetFile[], output: OutputSettings): Promise<void> {
  const own = { mode: output.mode, uid: output.uid, gid: output.gid };
  const manifest = Buffer.from(manifestText(set), 'utf8');
  await publishDirectory(
    dir,
    async (staging) => {
      for (const file of set) await writeOwned(join(staging, file.name), file.bytes, own);
      await writeOwned(join(staging, MANIFEST_NAME), manifest, own);
    },
    { dirMode: output.dirMode, uid: output.uid, gid: output.gid },
  ).catch((error: unknown) => {
    throw ownershipHint(error, output);
  });
}

async function writeOwned(path: string, bytes: Uint8Array, own: { mode: number; uid: number | undefined; gid: number | undefined }): Promise<void> {
  // Private while being written; the final mode and owner are applied once the content is complete.
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
  await applyOwnership(path, own);
}

function ownershipHint(error: unknown, output: OutputSettings): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if ((code === 'EPERM' || code === 'EACCES') && (error as NodeJS.ErrnoException).syscall === 'chown') {
    return new UsageError(
      `--uid ${output.uid ?? '-'} / --gid ${output.gid ?? '-'}: not permitted to give the files to that owner; run as that user, grant CAP_CHOWN, or use the pod's fsGroup instead`,
      { cause: error },
    );
  }
  return error;
}

/** The --explain listing: one line per file, with sizes and sources, never values. */
export function explainText(set: readonly SetFile[], dir: string | undefined, output: OutputSettings): string {
  const owner = output.uid === undefined && output.gid === undefined ? 'unchanged' : `${output.uid ?? '-'}:${output.gid ?? '-'}`;
  const width = Math.max(MANIFEST_NAME.length, ...set.map((f) => f.name.length));
  const lines = [
    `would publish ${set.length + 1} files into ${dir ?? '(no --out given)'} (mode ${output.mode.toString(8).padStart(4, '0')}, owner ${owner}):`,
    ...set.map((f) => {
      const version = f.entry.versionId ? ` version ${f.entry.versionId}${f.entry.versionStages ? ` [${f.entry.versionStages.join(',')}]` : ''}` : '';
      return `  ${f.name.padEnd(width)}  ${String(f.entry.size).padStart(7)} bytes  from ${f.from}${version}`;
    }),
    `  ${MANIFEST_NAME.padEnd(width)}  names, versions, sizes and SHA-256 of the files above`,
  ];
  return `${lines.join('\n')}\n`;
}
