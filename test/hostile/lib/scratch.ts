// Scratch directories for hostile cases: a fresh one per case, and copies of a prepared output directory
// (cp -a keeps the ..data layout's links) so every case starts from the same old set.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Writes `files` (relative path -> content) below a fresh directory and returns it. */
export function writeTree(files: Record<string, string | Buffer>, prefix = 'hostile-'): string {
  const root = tempDir(prefix);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** A copy of `dir` (links kept as links) at a fresh path. */
export function copyOf(dir: string): string {
  const copy = join(tempDir('hostile-copy-'), 'out');
  execFileSync('cp', ['-a', dir, copy]);
  return copy;
}
