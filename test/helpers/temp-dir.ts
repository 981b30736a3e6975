// Policy: every directory a test needs comes from tempDir(), and is removed when the test process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
// node --test runs each file in a process of its own, so this runs once the file's tests are done (a
// process killed by SIGKILL leaves its directories behind).
process.on('exit', () => {
  for (const dir of created) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // Best effort: a cleanup failure (a mount still busy) must not fail the tests that passed.
    }
  }
});

/** A fresh directory under the system temp dir, removed when the process exits. */
export function tempDir(prefix = 'toolkit-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
