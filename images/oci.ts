// The small OCI writer: image config, image manifest, image index, the image layout directory
// (oci-layout, index.json, blobs/sha256/) and its tar archive (the `oci-archive:` transport), after
// image-spec v1.1. Not implemented: whiteouts, non-distributable layers, artifact manifests, subject.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from './fetch.ts';
import { packTar, type Layer } from './layer.ts';
import type { Arch } from './inputs.ts';

export const mediaTypes = {
  config: 'application/vnd.oci.image.config.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: Arch; os: 'linux' };
  annotations?: Record<string, string>;
}

export interface Blob {
  descriptor: Descriptor;
  data: Buffer;
}

export type Annotations = Record<string, string>;

function jsonBlob(mediaType: string, value: unknown): Blob {
  const data = Buffer.from(JSON.stringify(value));
  return { descriptor: { mediaType, digest: `sha256:${sha256Hex(data)}`, size: data.length }, data };
}

export function layerBlob(layer: Layer): Blob {
  return { descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, data: layer.data };
}

export interface ImageSpec {
  arch: Arch;
  layers: Layer[];
  /** ISO 8601 time of the image (SOURCE_DATE_EPOCH). */
  created: string;
  user: string;
  entrypoint: string[];
  env: string[];
  labels: Annotations;
  /** One history line per layer, same order. */
  history: Array<{ created: string; createdBy: string }>;
}

export function imageConfig(spec: ImageSpec): Blob {
  return jsonBlob(mediaTypes.config, {
    created: spec.created,
    architecture: spec.arch,
    os: 'linux',
    config: { User: spec.user, Env: spec.env, Entrypoint: spec.entrypoint, WorkingDir: '/', Labels: spec.labels },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.history.map((h) => ({ created: h.created, created_by: h.createdBy })),
  });
}

export function imageManifest(config: Blob, layers: Layer[], annotations: Annotations): Blob {
  return jsonBlob(mediaTypes.manifest, {
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    config: config.descriptor,
    layers: layers.map((l) => layerBlob(l).descriptor),
    annotations,
  });
}

export function imageIndex(manifests: Array<{ arch: Arch; manifest: Blob }>, annotations: Annotations): Blob {
  return jsonBlob(mediaTypes.index, {
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    manifests: manifests.map(({ arch, manifest }) => ({ ...manifest.descriptor, platform: { architecture: arch, os: 'linux' } })),
    annotations,
  });
}

/** Writes an image layout holding `blobs` whose index.json points at `root` under the name `refName`.
 *  Blobs already written under `shared` (same file system) are hard-linked instead of copied. */
export function writeLayout(dir: string, root: Blob, blobs: Blob[], refName: string, shared: string): void {
  const blobDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobDir, { recursive: true });
  mkdirSync(shared, { recursive: true });
  for (const blob of [...blobs, root]) {
    const hex = blob.descriptor.digest.slice('sha256:'.length);
    const cached = join(shared, hex);
    if (!existsSync(cached)) writeFileSync(cached, blob.data);
    linkSync(cached, join(blobDir, hex));
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.index,
      manifests: [{ ...root.descriptor, annotations: { 'org.opencontainers.image.ref.name': refName } }],
    }),
  );
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The layout as an uncompressed tar (what `podman load` and `skopeo copy oci-archive:` read), with
 *  sorted entries and fixed owner and mtime, so the archive is as reproducible as its blobs. */
export async function writeArchive(layoutDir: string, archivePath: string, mtime: number): Promise<void> {
  const items = listFiles(layoutDir).map((path) => ({
    header: { name: path, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(mtime * 1000) },
    data: readFileSync(join(layoutDir, path)),
  }));
  writeFileSync(archivePath, await packTar(items));
}
