// An --out directory of fetch-and-convert-data holding a previous result (data.bin and its manifest), made
// once, copied per case, and the check that a failed run left that result as it was.
import { join } from 'node:path';
import { assertOldSet, readSet, type SetSnapshot } from './output-set.ts';
import { assertSuccess, runHostile } from './run-hostile.ts';
import { copyOf, writeTree } from './scratch.ts';

/** A job's manifest is removed before the job starts (documented), so it is not part of the old set. */
const MANIFEST = /\.manifest\.json$/;

export interface OldFetchOutput {
  /** A fresh copy of the prepared directory. */
  copy(): string;
  /** The copy still shows the previous result. */
  assertKept(out: string): void;
}

export async function prepareOldFetchOutput(name = 'data.bin'): Promise<OldFetchOutput> {
  const source = join(writeTree({ 'old.bin': 'the previous, complete result\n' }), 'old.bin');
  const out = join(writeTree({}), 'out');
  assertSuccess(await runHostile('fetch-and-convert-data', ['--out', out, '--name', name, `file://${source}`]));
  const before: SetSnapshot = readSet(out, MANIFEST);
  return { copy: () => copyOf(out), assertKept: (copy) => assertOldSet(copy, before, MANIFEST) };
}
