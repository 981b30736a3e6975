// Layer entries written out as a directory tree: the build context of images/Containerfile (context.ts)
// and the scratch root the image's node runs from to make the code cache (code-cache.ts).
import { chmodSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Entry } from './archive.ts';
import { withParents } from './layer.ts';

export interface TreeOptions {
  /** Give every path its entry's owner (run as root). */
  owners?: boolean;
  /** Point an absolute link target into `dir` (lib64/ld-linux-x86-64.so.2 -> /lib/...): the tree is the
   *  root of a program run from it (qemu -L), not of an image. */
  rootedLinks?: boolean;
}

/** Creates `entries` (and their parents) under `dir` with their modes and link targets. */
export function writeTree(entries: Entry[], dir: string, { owners = false, rootedLinks = false }: TreeOptions = {}): void {
  for (const entry of withParents(entries)) {
    const path = join(dir, entry.path);
    mkdirSync(dirname(path), { recursive: true });
    if (entry.type === 'directory') mkdirSync(path, { recursive: true });
    else if (entry.type === 'symlink') {
      const target = entry.linkname as string;
      symlinkSync(rootedLinks && isAbsolute(target) ? join(dir, target) : target, path);
    } else writeFileSync(path, entry.content as Buffer);
    if (entry.type !== 'symlink') chmodSync(path, entry.mode);
    if (owners) lchownSync(path, entry.uid, entry.gid);
  }
}
