// The old-or-new-set check for tools that write: a snapshot of what a reader of the output directory sees
// (every visible path with its content, links followed), refusing anything a reader must never meet: a
// dangling link, a temporary file, a staging directory left beside the published one.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** path relative to the output directory -> content (base64 of a file, `<dir>` for a directory). */
export type SetSnapshot = Map<string, string>;

const TEMP_NAME = /\.tmp-|\.tmp$|~$|\.partial$|\.part$/;

/**
 * Reads what a reader sees; fails on a dangling link, a temporary name or a leftover staging directory.
 * Paths matching `ignore` are checked but left out of the snapshot (fetch-and-convert-data removes a job's
 * old manifest before the job starts, as documented).
 */
export function readSet(dir: string, ignore?: RegExp): SetSnapshot {
  const snapshot: SetSnapshot = new Map();
  if (!existsSync(dir)) return snapshot;
  const walk = (sub: string) => {
    const here = join(dir, sub);
    const entries = readdirSync(here).sort();
    const published = entries.includes('..data') ? readlinkSync(join(here, '..data')) : undefined;
    for (const name of entries) {
      const rel = sub ? `${sub}/${name}` : name;
      const path = join(dir, rel);
      assert.doesNotMatch(name, TEMP_NAME, `a temporary file is left in the output: ${rel}`);
      if (name.startsWith('..')) {
        // The layout: ..data and the directory it points at; any other ..<stamp> is a leftover staging dir.
        if (name !== '..data') assert.equal(name, published, `a staging directory is left beside the published set: ${rel}`);
        continue;
      }
      if (lstatSync(path).isSymbolicLink()) {
        assert.ok(existsSync(path), `a dangling link is visible in the output: ${rel} -> ${readlinkSync(path)}`);
      }
      const kept = !ignore?.test(rel);
      if (statSync(path).isDirectory()) {
        if (kept) snapshot.set(rel, '<dir>');
        walk(rel);
      } else if (kept) {
        snapshot.set(rel, readFileSync(path).toString('base64'));
      }
    }
  };
  walk('');
  return snapshot;
}

/** The output directory shows exactly the set it showed before the run. */
export function assertOldSet(dir: string, before: SetSnapshot, ignore?: RegExp): void {
  assert.deepEqual(readSet(dir, ignore), before, `the output directory ${dir} no longer holds the old set`);
}

/** Files (path -> expected content) that the new set must hold, on top of the layout checks of readSet. */
export function assertNewSet(dir: string, expected: Record<string, string | Buffer>): SetSnapshot {
  const snapshot = readSet(dir);
  for (const [path, content] of Object.entries(expected)) {
    assert.equal(snapshot.get(path), Buffer.from(content).toString('base64'), `the new set holds ${path} with the expected content`);
  }
  return snapshot;
}

/** After a signal: either the old set or a new one holding `expected`, never anything in between. */
export function assertOldOrNewSet(dir: string, before: SetSnapshot, expected: Record<string, string | Buffer>): void {
  const after = readSet(dir);
  const isNew = Object.entries(expected).every(([path, content]) => after.get(path) === Buffer.from(content).toString('base64'));
  assert.ok(isNew || deepEqualMaps(after, before), `the output is neither the old set nor the new one: ${[...after.keys()].join(', ')}`);
}

function deepEqualMaps(a: SetSnapshot, b: SetSnapshot): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}
