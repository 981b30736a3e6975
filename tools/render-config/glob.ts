// Name matching for --vars and --env-vars, whose default is '*'.

import { matchesGlob } from 'node:path';

/** matchesGlob, with its answer for '*' and a name without '/' given here (not empty, no leading dot): node
 *  loads its glob matcher on first use, 5 ms of every run with the defaults. */
export function globMatches(name: string, glob: string): boolean {
  return glob === '*' && !name.includes('/') ? name !== '' && !name.startsWith('.') : matchesGlob(name, glob);
}
