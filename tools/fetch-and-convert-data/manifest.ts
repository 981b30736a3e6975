// <out>/<name>.manifest.json: what a job wrote and from where (source, hashes, sizes, conversion chain).
// It is removed before a job writes and written (atomically) only after the output is in place, so a
// manifest always describes a complete output. A later run with the same expected hash and chain
// skips the download when the output is still intact: init containers restart cheaply.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.ts';
import { VERSION } from '../core/cli.ts';
import type { Job } from './plan.ts';

export interface Manifest {
  tool: string;
  version: string;
  writtenAt: string;
  source: {
    url: string;
    bytes: number;
    sha256: string;
    sha512?: string;
    /** "s3 sha256" when the object's own checksum was verified. */
    remoteChecksum?: string;
    metadata?: Record<string, string>;
  };
  convert: string[];
  output: { name: string; type: 'file' | 'directory'; bytes: number; sha256?: string; files?: number };
  /** For S3 prefixes: one record per object. */
  objects?: Array<{ key: string; path: string; bytes: number; sha256: string }>;
}

export function manifestPath(job: Job): string {
  return join(job.out, `${job.name}.manifest.json`);
}

export async function removeManifest(job: Job): Promise<void> {
  await fs.rm(manifestPath(job), { force: true });
}

export async function writeManifest(job: Job, manifest: Omit<Manifest, 'tool' | 'version' | 'writtenAt'>, mode: number): Promise<void> {
  const full: Manifest = { tool: 'fetch-and-convert-data', version: VERSION, writtenAt: new Date().toISOString(), ...manifest };
  await writeFileAtomic(manifestPath(job), `${JSON.stringify(full, null, 2)}\n`, { mode });
}

/** The manifest a previous run wrote, or undefined when there is none or it is not one (edited, cut, another tool's). */
async function readManifest(job: Job): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await fs.readFile(manifestPath(job), 'utf8')) as Partial<Manifest> | null;
    const wellFormed =
      typeof manifest === 'object' &&
      manifest !== null &&
      Array.isArray(manifest.convert) &&
      typeof manifest.source === 'object' &&
      manifest.source !== null &&
      typeof manifest.output === 'object' &&
      manifest.output !== null &&
      typeof manifest.output.bytes === 'number';
    return wellFormed ? (manifest as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Why the job's output is already in place, or undefined when it must run: needs an expected hash
 * (the only proof that the source did not change), the same hash and chain in the manifest, and the
 * output intact (a file's SHA-256 recomputed; a directory's published layout present).
 */
export async function upToDate(job: Job): Promise<string | undefined> {
  if (!job.sha256 && !job.sha512) return undefined;
  const manifest = await readManifest(job);
  if (!manifest || manifest.convert?.join(',') !== job.steps.join(',')) return undefined;
  if (job.sha256 && manifest.source?.sha256 !== job.sha256) return undefined;
  if (job.sha512 && manifest.source?.sha512 !== job.sha512) return undefined;
  const path = join(job.out, job.name);
  try {
    if (manifest.output.type === 'directory') {
      await fs.stat(join(path, '..data'));
      return 'the recorded source hash matches and the extracted directory is in place';
    }
    const info = await fs.stat(path);
    if (!info.isFile() || info.size !== manifest.output.bytes) return undefined;
    if ((await fileSha256(path)) !== manifest.output.sha256) return undefined;
    return 'the recorded source hash matches and the output file is intact';
  } catch {
    return undefined;
  }
}
