// SIGKILL in the middle of publishing: afterwards the target holds the complete old set or the complete
// new set, never a mix, and the next run cleans up what the killed one left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, manifestOf } from './fixtures.ts';

const FILES = 200;

function sourceDir(label: string): string {
  const dir = tempDir(`cs-kill-${label}-`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `f${String(i).padStart(3, '0')}`), `${label}:${i}:`.padEnd(4096, label));
  return dir;
}

/** Which set the target holds ('A' or 'B'); fails on a mix or a manifest that does not match the files. */
function wholeSet(out: string): string {
  const files = readPublished(out);
  const labels = new Set<string>();
  for (const [name, bytes] of files) if (name !== 'manifest.json') labels.add(bytes.toString().split(':')[0] as string);
  assert.equal(files.size, FILES + 1, 'every file of the set is there');
  assert.equal(labels.size, 1, `one set, not a mix: ${[...labels].join(',')}`);
  for (const entry of manifestOf(out).files) {
    assert.equal(
      createHash('sha256')
        .update(files.get(entry.name as string) ?? '')
        .digest('hex'),
      entry.sha256,
      `manifest matches ${String(entry.name)}`,
    );
  }
  return [...labels][0] as string;
}

/**
 * Calls `act` once a new staging directory `..<stamp>` appears in `out` (the run is then writing the new
 * set), polling every 2 ms, plus `afterMs`.
 */
function whenStaging(out: string, child: ChildProcess, afterMs: number, act: (child: ChildProcess) => void): void {
  const current = readlinkSync(join(out, '..data'));
  const timer = setInterval(() => {
    if (child.exitCode !== null || child.signalCode !== null) return clearInterval(timer);
    if (readdirSync(out).some((n) => n.startsWith('..') && n !== '..data' && n !== current)) {
      clearInterval(timer);
      setTimeout(() => act(child), afterMs);
    }
  }, 2);
}

test('SIGKILL at any moment leaves the old set or the new set, nothing mixed', async () => {
  const sources = { A: sourceDir('A'), B: sourceDir('B') };
  const out = tempDir();
  const first = await copySecrets(['--out', out, '--from-dir', sources.A]);
  assert.equal(first.code, 0, first.stderr);
  let current = wholeSet(out);
  let killedMidway = 0;
  let killedAfterSwap = 0;
  // Kills from the moment the new set starts being written to well after a whole run: they land in
  // writing, fsync, the swap, the clean-up, or after the exit.
  const whole = first.durationMs;
  for (const afterMs of [0, 5, 10, 20, 40, 80, whole * 0.3, whole * 0.5, whole * 0.7, whole * 0.85, whole, whole * 1.2]) {
    const next = current === 'A' ? 'B' : 'A';
    const run = await copySecrets(['--out', out, '--from-dir', sources[next]], {
      onSpawn: (child) => whenStaging(out, child, afterMs, (c) => c.kill('SIGKILL')),
    });
    const now = wholeSet(out);
    if (run.signal === 'SIGKILL') {
      killedMidway++;
      if (now === next) killedAfterSwap++;
      assert.ok(now === current || now === next);
    } else {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(now, next);
    }
    current = now;
  }
  console.log(`killed mid-run: ${killedMidway} of 12 (${killedAfterSwap} after the swap)`);
  assert.ok(killedMidway >= 3, `the kill must land while the tool runs (${killedMidway} of 12 did)`);
  // The next complete run removes the staging directories the killed runs left behind.
  const last = current === 'A' ? 'B' : 'A';
  assert.equal((await copySecrets(['--out', out, '--from-dir', sources[last]])).code, 0);
  assert.equal(wholeSet(out), last);
  assert.equal(readdirSync(out).filter((n) => n.startsWith('..')).length, 2, '..data and the one current version');
});

test('SIGTERM mid-publish: exit 143, the old set stays, no staging directory is left behind', async () => {
  const sources = { A: sourceDir('A'), B: sourceDir('B') };
  const out = tempDir();
  const first = await copySecrets(['--out', out, '--from-dir', sources.A]);
  assert.equal(first.code, 0, first.stderr);
  const run = await copySecrets(['--out', out, '--from-dir', sources.B], {
    onSpawn: (child) => whenStaging(out, child, 0, (c) => c.kill('SIGTERM')),
  });
  assert.equal(run.code, 143, run.stderr);
  assert.equal(wholeSet(out), 'A');
  assert.equal(readdirSync(out).filter((n) => n.startsWith('..')).length, 2, '..data and the current version only');
});
