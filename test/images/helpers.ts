// Helpers of the image tests: run the builder, read layers, run podman/skopeo/crane/qemu.
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { BuildSummary, ImageSummary } from '../../images/build.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
const execFileAsync = promisify(execFile);

/** podman reads the sandbox's settings (runc, lower ulimits) from here unless `make` already set it. */
export const toolEnv: NodeJS.ProcessEnv = {
  ...process.env,
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(repoRoot, 'scripts', 'containers.conf'),
  PATH: `${join(repoRoot, '.cache', 'go', 'bin')}:${process.env.PATH ?? ''}`,
};

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      env: { ...toolEnv, ...options.env },
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/** Fixed inputs, so two builds made minutes apart (while colleagues commit) must agree byte for byte. The
 *  version (the tags) and the source (in every config, so every image ID) are this run's own: `podman
 *  load` then moves no tag the e2e pods run (init-toolkit/<tool>:<version>), and the run can remove exactly
 *  the images it loaded, even while another run loads the same bundles. */
export const buildEnv = {
  SOURCE_DATE_EPOCH: '1767225600',
  IMAGE_REVISION: '0123456789abcdef0123456789abcdef01234567',
  IMAGE_SOURCE: `https://example.invalid/init-toolkit/test-${runId}`,
  IMAGE_VERSION: `${packageVersion}-test.${runId}`,
};

/** Builds the images of the bundles present in dist/ into `outDir` on this Node (24), with `buildEnv` and
 *  `env`, and returns images.json. */
export async function buildInto(outDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ summary: BuildSummary; stderr: string }> {
  const result = await run(process.execPath, [join(repoRoot, 'images', 'cli.ts'), '--allow-missing', '--out', outDir, ...extraArgs], {
    env: { ...buildEnv, ...env },
    timeoutMs: 300_000,
  });
  if (result.code !== 0) throw new Error(`image build failed (${result.code}): ${result.stderr}`);
  return { summary: JSON.parse(readFileSync(join(outDir, 'images.json'), 'utf8')) as BuildSummary, stderr: result.stderr };
}

export function blobPath(outDir: string, image: string, digest: string): string {
  return join(outDir, image, 'blobs', 'sha256', digest.replace('sha256:', ''));
}

export function readBlobJson<T>(outDir: string, image: string, digest: string): T {
  return JSON.parse(readFileSync(blobPath(outDir, image, digest), 'utf8')) as T;
}

export interface TarHeader {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string | null;
  size: number;
  sha256?: string;
}

/** The headers (and, with `hash`, each file's SHA-256) of a layer blob, gzip or uncompressed, in order. */
export async function layerHeaders(path: string, hash = false): Promise<TarHeader[]> {
  const data = readFileSync(path);
  const extract = tar.extract();
  const raw = Readable.from([data]);
  (data[0] === 0x1f && data[1] === 0x8b ? raw.pipe(createGunzip()) : raw).pipe(extract);
  const headers: TarHeader[] = [];
  for await (const entry of extract) {
    const h = entry.header;
    const digest = createHash('sha256');
    for await (const chunk of entry) if (hash) digest.update(chunk as Buffer);
    headers.push({
      name: h.name,
      type: h.type ?? '',
      mode: h.mode ?? 0,
      uid: h.uid ?? -1,
      gid: h.gid ?? -1,
      mtime: (h.mtime?.getTime() ?? 0) / 1000,
      linkname: h.linkname ?? null,
      size: h.size ?? 0,
      ...(hash && h.type === 'file' ? { sha256: digest.digest('hex') } : {}),
    });
  }
  return headers;
}

/** Unpacks the layers of `image` for `arch`, in order, into `dir` (GNU tar, numeric owners kept). */
export function unpack(outDir: string, image: ImageSummary, arch: 'amd64' | 'arm64', dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const layer of image.platforms[arch].layers) {
    execFileSync('tar', ['-xzf', blobPath(outDir, image.name, layer.digest), '-C', dir, '--numeric-owner']);
  }
}
