// Reads the tar streams inside the inputs (npm .tgz, a .deb's data.tar via `dpkg-deb --fsys-tarfile`)
// into normalised entries, keeping only the paths a caller selects.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { ImageInputError } from './errors.ts';

export interface Entry {
  /** Relative path without a leading `./` or `/`, e.g. `lib/x86_64-linux-gnu/libc.so.6`. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits only (no file type bits). */
  mode: number;
  uid: number;
  gid: number;
  content?: Buffer;
  linkname?: string;
}

/** A root-owned regular file entry. */
export function fileEntry(path: string, content: string | Buffer, mode = 0o644): Entry {
  return { path, type: 'file', mode, uid: 0, gid: 0, content: Buffer.from(content) };
}

export function normalisePath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

/** Collects the entries of an uncompressed tar stream for which `keep(path)` is true. */
export async function readTar(stream: Readable, keep: (path: string) => boolean, source: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const extract = tar.extract();
  stream.on('error', (error) => extract.destroy(error));
  stream.pipe(extract);
  try {
    for await (const item of extract) {
      const { header } = item;
      const path = normalisePath(header.name);
      const type = header.type === 'file' || header.type === 'directory' || header.type === 'symlink' ? header.type : undefined;
      if (path === '' || type === undefined || !keep(path)) {
        item.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of item) chunks.push(chunk as Buffer);
      entries.push({
        path,
        type,
        mode: (header.mode ?? 0o644) & 0o7777,
        uid: 0,
        gid: 0,
        ...(type === 'file' ? { content: Buffer.concat(chunks) } : {}),
        ...(type === 'symlink' ? { linkname: header.linkname ?? '' } : {}),
      });
    }
  } catch (cause) {
    throw new ImageInputError(`cannot read the tar stream of ${source}`, { cause });
  }
  return entries;
}

export function readTgz(data: Buffer, keep: (path: string) => boolean, source: string): Promise<Entry[]> {
  return readTar(Readable.from([data]).pipe(createGunzip()), keep, source);
}

/** The files a .deb installs (its data.tar, whatever its compression), read with dpkg-deb. */
export async function readDeb(debPath: string, keep: (path: string) => boolean): Promise<Entry[]> {
  const child = spawn('dpkg-deb', ['--fsys-tarfile', debPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const entries = await readTar(child.stdout, keep, debPath);
  const code = await exited;
  if (code !== 0) throw new ImageInputError(`dpkg-deb --fsys-tarfile ${debPath} exited ${code}: ${stderr.trim()}`);
  return entries;
}
