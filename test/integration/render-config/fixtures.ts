// Real files for the render-config tests: template trees, values files, and secrets directories in the
// Kubernetes `..data` layout that copy-secrets writes (dir/name -> ..data/name, ..data -> ..<stamp>).

import { lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runBundle, type RunOptions, type RunResult } from '../../helpers/run.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Writes files (relative path -> content) under dir, creating parents. */
export function writeTree(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** A directory laid out like a Kubernetes secret or ConfigMap volume. */
export function atomicLayoutDir(files: Record<string, string>, dir = tempDir('rc-layout-')): string {
  const stamp = '..2026_11_26_01_00_00.123456789';
  writeTree(join(dir, stamp), files);
  symlinkSync(stamp, join(dir, '..data'));
  for (const name of new Set(Object.keys(files).map((f) => f.split('/')[0] as string))) symlinkSync(`..data/${name}`, join(dir, name));
  return dir;
}

/** Permission bits of the file behind a path (links followed). */
export function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

export function isLink(path: string): string | undefined {
  return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
}

/** Runs the built render-config with a clean environment plus `env` (so the host's variables do not leak in). */
export function renderConfig(args: string[], env: Record<string, string> = {}, options: RunOptions = {}): Promise<RunResult> {
  return runBundle('render-config', args, {
    cleanEnv: true,
    ...options,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_FORMAT: 'json', ...env, ...options.env },
  });
}
