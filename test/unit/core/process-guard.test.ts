import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';

const tool = new URL('./fixtures/guarded-tool.ts', import.meta.url).pathname;

/** Secrets that broke the old regex-based redaction: one repeated byte (6 KB), regex metacharacters. */
const CANARIES = ['canary-Zq8.*+?(x)|[y]$^{3}\\', '\u00ff'.repeat(6_000), 'k'.repeat(6_000)];

function run(scenario: string, canary: string) {
  const dir = tempDir('guard-');
  const termination = join(dir, 'termination-log');
  writeFileSync(termination, '');
  const result = spawnSync(process.execPath, [tool, scenario], {
    env: { PATH: process.env.PATH, CANARY: canary, LOG_FORMAT: 'json', TERMINATION_LOG_PATH: termination },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { ...result, termination: readFileSync(termination, 'utf8') };
}

function assertNoCanary(result: { stdout: string; stderr: string; termination: string }, canary: string): void {
  const encoded = [canary, JSON.stringify(canary).slice(1, -1), encodeURIComponent(canary), canary.slice(0, 64)];
  for (const [where, text] of Object.entries({ stdout: result.stdout, stderr: result.stderr, termination: result.termination })) {
    for (const form of encoded) assert.ok(!text.includes(form), `${where} holds the canary: ${text.slice(0, 300)}`);
  }
}

function stderrLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const canary of CANARIES) {
  const label = canary.length > 40 ? `${canary.length} x ${JSON.stringify(canary[0])}` : JSON.stringify(canary);

  test(`a run whose promise never settles exits 1 with a line, not 0 (canary ${label})`, () => {
    const result = run('never settles', canary);
    assert.equal(result.status, 1, result.stderr);
    const lines = stderrLines(result.stderr);
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]?.msg), /ended before it finished.*not done/);
    assert.match(result.termination, /ended before it finished/);
  });

  test(`what a library prints goes through the redactor, as JSON log lines on stderr (canary ${label})`, () => {
    const result = run('library output', canary);
    assert.equal(result.status, 0, result.stderr);
    assertNoCanary(result, canary);
    const lines = stderrLines(result.stderr); // throws if any line is not JSON
    assert.ok(
      lines.some((line) => line.warning === 'Warning'),
      'the warning is a log line',
    );
    assert.match(result.stdout, /console\.log \*\*\*\nstdout \*\*\*\n/);
  });

  for (const scenario of ['throws outside the run', 'rejects outside the run', 'fails with the secret']) {
    test(`${scenario}: exit 1, one masked line, masked termination message (canary ${label})`, () => {
      const result = run(scenario, canary);
      assert.equal(result.status, 1, result.stderr);
      assertNoCanary(result, canary);
      assert.equal(stderrLines(result.stderr).length, 1);
      assert.match(result.termination, /\*\*\*/);
    });
  }
}

test('a process.exit(0) before the run finished is exit 1 with a line', () => {
  const result = run('exits 0 early', CANARIES[0] as string);
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /exited with 0 before the run finished/);
});
