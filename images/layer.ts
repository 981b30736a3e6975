// Writes a set of entries as a reproducible layer: parents added, entries sorted by path bytes, owner,
// mtime and header fields fixed, compressed by one pinned compressor (libdeflate-gzip 1.14 for gzip,
// the builder's Node zstd for zstd), so the same entries always give the same blob. Implements the
// image-spec's layer media types `application/vnd.oci.image.layer.v1.tar+gzip` and `+zstd` (no whiteouts:
// every layer only adds files).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { constants, gunzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Entry } from './archive.ts';
import { ImageInputError, ImageUsageError } from './errors.ts';
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

interface Compressor {
  /** Program, version and settings: a different one gives different bytes, so it keys the layer cache. */
  id: string;
  compress(tarball: Buffer): Buffer;
  decompress(blob: Buffer): Buffer;
}

/** gzip by libdeflate at its strongest level (12, near-optimal parsing): 7 % smaller than zlib -9 on the
 *  base layer, what brings an image under 42 MB, in 13–19 s per architecture on 2 cores (zopfli through
 *  `pigz -11` is 0.3 % smaller and more than ten times slower; bench/README.md). Its output depends on the
 *  libdeflate version, so the version is pinned like binutils' strip, and a known-answer check of the output
 *  catches a build with the same version that compresses differently: either would silently give other
 *  digests (and it names the layer cache entries, which only that compressor writes). */
export const libdeflate = { version: '1.14', level: 12, program: 'libdeflate-gzip' } as const;

/** zstd level 10: within 1 % of level 12's size at a third of the time (level 19 takes a minute per
 *  architecture). gzip is the default: see docs/images.md for why (crane validate reads no zstd). */
const zstdLevel = 10;

let checkedLibdeflate = false;

/** SHA-256 of `libdeflate-gzip -12 -c` of knownAnswerSample(): a patched build with the same version string
 *  that compressed differently would change every digest without an error. */
const knownAnswerSha256 = 'e7ed0eaf0150b8934e481f21ab63184ce6d5a9bdfda1a157945c95b29fd639ca';

/** 256 KiB of text and pseudo-random bytes, enough to exercise matching, literals and block splitting. */
function knownAnswerSample(): Buffer {
  const sample = Buffer.alloc(256 * 1024);
  let state = 2463534242;
  for (let i = 0; i < sample.length; i++) {
    // xorshift32: pseudo-random bytes that deflate cannot shrink, between runs of repetitive text.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    sample[i] = i % 4096 < 2048 ? 97 + ((i >> 3) % 26) : state & 0xff;
  }
  return sample;
}

function checkKnownAnswer(program: string, level: number): void {
  const got = sha256Hex(execFileSync(program, [`-${level}`, '-c'], { input: knownAnswerSample(), stdio: ['pipe', 'pipe', 'pipe'] }));
  if (got !== knownAnswerSha256) {
    throw new ImageInputError(
      `${program} -${level} compresses the reference sample to other bytes (sha256 ${got}, expected ${knownAnswerSha256}): ` +
        "the layers would get other digests; install Debian 12's libdeflate-tools, or update knownAnswerSha256 in images/layer.ts if that is intended",
    );
  }
}

function libdeflateGzip(): Compressor {
  const { program, version, level } = libdeflate;
  if (!checkedLibdeflate) {
    let banner: string;
    try {
      banner = execFileSync(program, ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (cause) {
      throw new ImageInputError(`${program} did not run: install libdeflate-tools (scripts/install-deps.sh)`, { cause });
    }
    const found = /program v(\S+)/.exec(banner)?.[1];
    if (found !== version) {
      throw new ImageInputError(
        `${program} is version ${found ?? 'unknown'}, the layers are pinned to ${version} (Debian 12's libdeflate-tools): ` +
          'another version compresses to other bytes and so other digests; update `libdeflate` in images/layer.ts if that is intended',
      );
    }
    checkKnownAnswer(program, level);
    checkedLibdeflate = true;
  }
  return {
    id: `${program}-${version}-${level}`,
    // A compressed tar is never larger than its input plus a few bytes per 64 KiB block.
    compress: (tarball) => {
      try {
        return execFileSync(program, [`-${level}`, '-c'], { input: tarball, maxBuffer: tarball.length + (1 << 20), stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (cause) {
        throw new ImageInputError(`${program} -${level} failed: ${String((cause as { stderr?: Buffer }).stderr ?? '').trim() || String(cause)}`, { cause });
      }
    },
    decompress: (blob) => gunzipSync(blob),
  };
}

function compressor(compression: Compression): Compressor {
  if (compression === 'gzip') return libdeflateGzip();
  return {
    id: `node-zstd-${process.versions.zstd}-${zstdLevel}`,
    compress: (tarball) => zstdCompressSync(tarball, { params: { [constants.ZSTD_c_compressionLevel]: zstdLevel } }),
    decompress: (blob) => zstdDecompressSync(blob),
  };
}

/** Compresses `tarball`, reusing `cacheDir/<diffId>-<compressor id>` when it exists and still unpacks to
 *  `tarball` (a damaged or truncated entry is recompressed, never used). */
function compressCached(tarball: Buffer, diffIdHex: string, compression: Compression, cacheDir: string | undefined): Buffer {
  const method = compressor(compression);
  if (cacheDir === undefined) return method.compress(tarball);
  const path = join(cacheDir, `${diffIdHex}-${method.id}`);
  if (existsSync(path)) {
    const cached = readFileSync(path);
    try {
      if (sha256Hex(method.decompress(cached)) === diffIdHex) return cached;
    } catch {
      // Not a valid stream: fall through and replace it.
    }
    rmSync(path, { force: true });
  }
  const data = method.compress(tarball);
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed, so a concurrent build never reads a half-written entry.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, data);
  renameSync(partial, path);
  return data;
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

/** The layer of `entries`; with `cacheDir`, the compressed blob is kept there keyed by the tar's digest
 *  and the compressor, so a rebuild of an unchanged (large) layer skips the compression. */
export async function buildLayer(entries: Entry[], mtime: number, compression: Compression, cacheDir?: string): Promise<Layer> {
  const tarball = await tarEntries(entries, mtime);
  const diffIdHex = sha256Hex(tarball);
  const data = compressCached(tarball, diffIdHex, compression, cacheDir);
  return {
    mediaType: `application/vnd.oci.image.layer.v1.tar+${compression}`,
    digest: `sha256:${sha256Hex(data)}`,
    diffId: `sha256:${diffIdHex}`,
    size: data.length,
    uncompressedSize: tarball.length,
    data,
  };
}
