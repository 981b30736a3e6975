// Reads what a tool published as Kubernetes-style atomic sets (dir/name -> ..data/name, ..data -> ..<stamp>):
// the files an application sees, after checking the layout of every set on the way.
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ReadOptions {
  /** dir is itself a published set (the default); false for a directory that may hold sets below it. */
  set?: boolean;
  /** 'utf8': path -> text instead of path -> bytes. */
  encoding?: 'utf8';
}

/**
 * Every visible file below dir (links followed, hidden `..` names left out), by relative path in sorted order.
 * In every set met on the way, ..data points at a sibling ..<stamp> directory and every visible name is the
 * link ..data/<name>.
 */
export function readPublished(dir: string, options?: ReadOptions & { encoding?: undefined }): Map<string, Buffer>;
export function readPublished(dir: string, options: ReadOptions & { encoding: 'utf8' }): Record<string, string>;
export function readPublished(dir: string, { set = true, encoding }: ReadOptions = {}): Map<string, Buffer> | Record<string, string> {
  const files = new Map<string, Buffer>();
  const walk = (sub: string) => {
    const here = join(dir, sub);
    const names = readdirSync(here).sort();
    const isSet = names.includes('..data');
    if (sub === '' && set) assert.ok(isSet, `${dir} is not a published set (no ..data)`);
    if (isSet) {
      assert.match(readlinkSync(join(here, '..data')), /^\.\.[^/]+$/, `${sub || '.'}: ..data points at a sibling ..<stamp> directory`);
    }
    for (const name of names) {
      if (name.startsWith('..')) continue;
      const rel = sub ? `${sub}/${name}` : name;
      if (isSet) {
        assert.ok(lstatSync(join(here, name)).isSymbolicLink(), `${rel} is a symlink`);
        assert.equal(readlinkSync(join(here, name)), `..data/${name}`);
      }
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
      else files.set(rel, readFileSync(join(dir, rel)));
    }
  };
  walk('');
  return encoding ? Object.fromEntries([...files].map(([name, content]) => [name, content.toString(encoding)])) : files;
}
