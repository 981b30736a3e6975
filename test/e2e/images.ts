// Loads the tool images into podman from the OCI archives that `make images` writes, so a pod always
// runs what the current sources build (never a stale or pulled image).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../chart/helm.ts';
import { podman } from './pod.ts';

export const TOOLS = ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config'] as const;
export type Tool = (typeof TOOLS)[number];

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Where `make images` writes the archives; E2E_IMAGES_DIR points elsewhere (e.g. a private build). */
export function archivePath(tool: Tool): string {
  return join(process.env.E2E_IMAGES_DIR || join(repoRoot, 'dist', 'images'), `${tool}.oci.tar`);
}

/** `podman load` of each tool's archive; throws naming the missing ones and the command that builds them. */
export function loadImages(tools: readonly Tool[]): void {
  const missing = tools.filter((tool) => !existsSync(archivePath(tool)));
  if (missing.length > 0) throw new Error(`no image archive for ${missing.join(', ')} under dist/images: run \`make images\``);
  for (const tool of tools) {
    const result = podman(['load', '--quiet', '--input', archivePath(tool)]);
    if (result.status !== 0) throw new Error(`podman load ${archivePath(tool)}: ${result.stderr.trim()}`);
    const check = podman(['image', 'exists', `init-toolkit/${tool}:${version}`]);
    if (check.status !== 0) throw new Error(`podman load ${archivePath(tool)} did not give init-toolkit/${tool}:${version}`);
  }
}
