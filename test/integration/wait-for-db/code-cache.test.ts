// The V8 code cache beside a bundle (scripts/code-cache.cjs, read by scripts/lazy-runtime.cjs) against the
// test PostgreSQL: taken when it is this build's and this node's; a damaged, stale, foreign or missing one
// is never trusted and only costs the compile, with the same result.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { bundlePath, repoRoot } from '../../helpers/run.ts';
import { testPgUrl } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const report = join(repoRoot, 'test', 'helpers', 'lazy-compile-report.cjs');
/** The cache file format, from the loader that reads it. */
const { cacheFile } = createRequire(import.meta.url)('../../../scripts/lazy-runtime.cjs') as { cacheFile: (data: Buffer) => Buffer };

/** A copy of dist/wait-for-db.js and its cache in a directory of its own: the file to change and run. */
function copy(): { bundle: string; cache: string; pgCache: string } {
  const dir = tempDir('code-cache-');
  const bundle = join(dir, 'wait-for-db.js');
  copyFileSync(bundlePath('wait-for-db'), bundle);
  cpSync(`${bundlePath('wait-for-db')}.cache`, `${bundle}.cache`, { recursive: true });
  const pg = readdirSync(`${bundle}.cache`).find((name) => name.startsWith('pg.'));
  assert.ok(pg, 'npm run build made no cache of pg for wait-for-db');
  return { bundle, cache: `${bundle}.cache`, pgCache: join(`${bundle}.cache`, pg) };
}

/** wait-for-db against the test PostgreSQL with the report preloaded: its exit code and what V8 said of each cache. */
function run(bundle: string): { code: number | null; verdicts: string[]; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', report, bundle, '--timeout', '20s', testPgUrl()], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  const verdicts = result.stderr.split('\n').filter((line) => line.startsWith('lazy-compile '));
  return { code: result.status, verdicts, stderr: result.stderr };
}

test("the build's cache is taken: pg is not compiled again, and the run succeeds", () => {
  const { bundle } = copy();
  const result = run(bundle);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.verdicts, ['lazy-compile pg cache=accepted']);
});

test('a damaged cache (its CRC-32 does not hold) is never given to V8; the run compiles and succeeds', () => {
  const { bundle, pgCache } = copy();
  const data = readFileSync(pgCache);
  const middle = data.length >> 1;
  data.writeUInt8((data.readUInt8(middle) ^ 0xff) & 0xff, middle);
  writeFileSync(pgCache, data);
  const result = run(bundle);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.verdicts, ['lazy-compile pg cache=none']);
});

test('a cache of other code under the right name (valid CRC-32) is rejected by V8; the run compiles and succeeds', () => {
  const { bundle, cache, pgCache } = copy();
  const other = readdirSync(cache).find((name) => name.startsWith('ioredis.'));
  assert.ok(other);
  writeFileSync(pgCache, cacheFile(readFileSync(join(cache, other)).subarray(4)));
  const result = run(bundle);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.verdicts, ['lazy-compile pg cache=rejected']);
});

test('a cache of an earlier build (another section hash) or of another Node.js is not read; nor is a missing one', () => {
  const { bundle, cache, pgCache } = copy();
  const [, hash, node] = /^pg\.(\w+)\.(.*)$/.exec(basename(pgCache)) ?? [];
  assert.equal(node, `${process.version}-${process.arch}`);
  renameSync(pgCache, join(cache, `pg.0123456789abcdef.${node}`));
  const stale = run(bundle);
  assert.equal(stale.code, 0, stale.stderr);
  assert.deepEqual(stale.verdicts, ['lazy-compile pg cache=none']);
  renameSync(join(cache, `pg.0123456789abcdef.${node}`), join(cache, `pg.${hash}.v24.0.0-${process.arch}`));
  const otherNode = run(bundle);
  assert.equal(otherNode.code, 0, otherNode.stderr);
  assert.deepEqual(otherNode.verdicts, ['lazy-compile pg cache=none']);
  rmSync(cache, { recursive: true });
  const none = run(bundle);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(none.verdicts, ['lazy-compile pg cache=none']);
});

test('a cache made by a node with other V8 flags is rejected, not trusted', () => {
  const { bundle, cache } = copy();
  // The cache of the same code, made under another flag set (as another node or NODE_OPTIONS would).
  const made = spawnSync(process.execPath, ['--predictable', '--max-lazy', join(repoRoot, 'scripts', 'code-cache.cjs'), bundle], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  assert.ok(readdirSync(cache).some((name) => name.startsWith('pg.')));
  const result = run(bundle);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.verdicts, ['lazy-compile pg cache=rejected']);
});
