// Writes a set of entries as a reproducible layer: parents added, entries sorted by path bytes, owner,
// mtime and header fields fixed, compressed by the Node.js that runs the builder (its zlib/zstd, single
// threaded) so the same entries always give the same blob. Implements the image-spec's layer media types
// `application/vnd.oci.image.layer.v1.tar+gzip` and `+zstd` (no whiteouts: every layer only adds files).
import { posix } from 'node:path';
import { constants, gzipSync, zstdCompressSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Entry } from './archive.ts';
import { ImageUsageError } from './errors.ts';
import { sha256Hex } from './fetch.ts';

export const compressions = ['gzip', 'zstd'] as const;
export type Compression = (typeof compressions)[number];

export interface Layer {
  mediaType: string;
  /** sha256:... of the compressed blob (the manifest's descriptor). */
  digest: string;
  /** sha256:... of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  size: number;
  uncompressedSize: number;
  data: Buffer;
}

/** zstd level 10: within 1 % of level 12's size at a third of the time (level 19 takes a minute per
 *  architecture). gzip level 9, the default: see docs/images.md for why (crane validate reads no zstd). */
const zstdLevel = 10;

function compress(tarball: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(tarball, { level: 9 });
  return zstdCompressSync(tarball, { params: { [constants.ZSTD_c_compressionLevel]: zstdLevel } });
}

/** Adds the missing parent directories (root-owned, 0755) and rejects duplicate paths. */
export function withParents(entries: Entry[]): Entry[] {
  const byPath = new Map<string, Entry>();
  for (const entry of entries) {
    if (byPath.has(entry.path)) throw new ImageUsageError(`layer entry ${entry.path} appears twice`);
    byPath.set(entry.path, entry);
  }
  for (const entry of entries) {
    for (let dir = posix.dirname(entry.path); dir !== '.'; dir = posix.dirname(dir)) {
      const existing = byPath.get(dir);
      if (existing !== undefined && existing.type !== 'directory') {
        throw new ImageUsageError(`layer entry ${dir} is a ${existing.type} but ${entry.path} needs it as a directory`);
      }
      if (existing === undefined) byPath.set(dir, { path: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    }
  }
  return [...byPath.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Packs `items` in the given order into one uncompressed tar. */
export async function packTar(items: Array<{ header: tar.Headers; data?: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { header, data } of items) {
    await new Promise<void>((resolve, reject) => pack.entry(header, data, (error) => (error ? reject(error) : resolve())));
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** The uncompressed tar of `entries` (parents added, sorted), every mtime set to `mtime` (seconds). */
export function tarEntries(entries: Entry[], mtime: number): Promise<Buffer> {
  return packTar(
    withParents(entries).map((entry) => ({
      header: {
        name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        uname: '',
        gname: '',
        mtime: new Date(mtime * 1000),
        ...(entry.type === 'symlink' ? { linkname: entry.linkname ?? '' } : {}),
      },
      ...(entry.type === 'file' ? { data: entry.content ?? Buffer.alloc(0) } : {}),
    })),
  );
}

export async function buildLayer(entries: Entry[], mtime: number, compression: Compression): Promise<Layer> {
  const tarball = await tarEntries(entries, mtime);
  const data = compress(tarball, compression);
  return {
    mediaType: `application/vnd.oci.image.layer.v1.tar+${compression}`,
    digest: `sha256:${sha256Hex(data)}`,
    diffId: `sha256:${sha256Hex(tarball)}`,
    size: data.length,
    uncompressedSize: tarball.length,
    data,
  };
}
