// Runs of wait-for-db for the credential tests: each with a termination log of its own, and the check
// that a password shows nowhere a run writes (stderr, stdout, the termination message).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundle, type RunResult } from '../../helpers/run.ts';

export type WaitRun = RunResult & { termination: string };

/** Runs wait-for-db (`--timeout` first, so args may override it) with a termination log in `dir`. */
export async function waitForDb(dir: string, timeout: string, args: string[], env: Record<string, string> = {}): Promise<WaitRun> {
  const termination = join(dir, `termination-${randomBytes(4).toString('hex')}`);
  writeFileSync(termination, '');
  const result = await runBundle('wait-for-db', ['--timeout', timeout, ...args], { env: { TERMINATION_LOG_PATH: termination, ...env } });
  return { ...result, termination: readFileSync(termination, 'utf8') };
}

/** The secret, URL-encoded, JSON-escaped, and any derived forms given, appear in no output of the run. */
export function assertNeverShown(run: WaitRun, secret: string, ...derived: string[]): void {
  for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), ...derived]) {
    for (const [where, text] of [
      ['stderr', run.stderr],
      ['stdout', run.stdout],
      ['termination message', run.termination],
    ] as const) {
      assert.ok(!text.includes(form), `the password (${form === secret ? 'as is' : 'encoded'}) is in the ${where}`);
    }
  }
}
