// A kill at every step of publishing a set. strace stops the tool with SIGKILL (or SIGTERM) at the N-th
// call of each file-system syscall that publishing makes, for every N until a run no longer reaches it;
// after each kill the output directory must hold the old set or the new set, never a mix, no visible name
// may point at something the current set lacks, and the next run must publish the new set and leave no
// trace of the killed one. Three tools publish through the same core code: copy-secrets (--from-dir),
// render-config (a directory of templates), fetch-and-convert-data (a tar extracted).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { bundlePath } from '../../helpers/run.ts';

const SYSCALLS = ['mkdir', 'symlink', 'rename', 'unlink', 'rmdir', 'fsync'];
/** Far more calls than one publish makes: a loop that never stops hitting would be a bug of this test. */
const MAX_CALLS = 60;

type Files = Record<string, string>;

interface Publisher {
  tool: string;
  /** Prepares the input for `files` and returns the tool's arguments writing into `out`. */
  args: (files: Files, out: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** The visible set a run of `files` publishes (names and contents), read back for comparison. */
  expected: (files: Files) => Files;
  /** Where in `out` the set layout (..data and the visible links) lives. */
  setDir: (out: string) => string;
}

function writeTree(dir: string, files: Files): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

/** A ustar archive of plain files, built here so the test needs no tar program. */
function tarOf(files: Files): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
    body.write(content);
    blocks.push(header, body);
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

const work = tempDir('publish-kill-');

const publishers: Publisher[] = [
  {
    tool: 'copy-secrets',
    args: (files, out) => {
      writeTree(join(work, 'cs-src'), files);
      return ['--out', out, '--from-dir', join(work, 'cs-src')];
    },
    expected: (files) => files,
    setDir: (out) => out,
  },
  {
    tool: 'render-config',
    args: (files, out) => {
      writeTree(join(work, 'rc-src'), Object.fromEntries(Object.entries(files).map(([name, content]) => [name, `${content} \${SUFFIX}`])));
      return ['--templates', join(work, 'rc-src'), '--out', out, '--vars', 'SUFFIX'];
    },
    env: { SUFFIX: 'rendered' },
    expected: (files) => Object.fromEntries(Object.entries(files).map(([name, content]) => [name, `${content} rendered`])),
    setDir: (out) => out,
  },
  {
    tool: 'fetch-and-convert-data',
    args: (files, out) => {
      writeFileSync(join(work, 'set.tar'), tarOf(files));
      return ['--out', out, '--name', 'tree', '--convert', 'untar', `file://${join(work, 'set.tar')}`];
    },
    expected: (files) => files,
    setDir: (out) => join(out, 'tree'),
  },
];

const OLD: Files = { 'kept.conf': 'kept-old', 'changed.conf': 'changed-old', 'removed.conf': 'removed-old' };
const NEW: Files = { 'kept.conf': 'kept-old', 'changed.conf': 'changed-new', 'added.conf': 'added-new' };

function run(publisher: Publisher, files: Files, out: string, inject?: { syscall: string; call: number; signal: 'KILL' | 'TERM' }) {
  const args = [bundlePath(publisher.tool), ...publisher.args(files, out)];
  // strace counts `when=N` per thread: with one libuv pool thread every asynchronous file call of the
  // publish is on that thread, so N walks through all of them (with four, some steps were never hit).
  const env = { PATH: process.env.PATH, LOG_FORMAT: 'json', UV_THREADPOOL_SIZE: '1', ...publisher.env };
  const result = inject
    ? spawnSync(
        'strace',
        [
          '-f',
          '-qq',
          '-o',
          '/dev/null',
          '-e',
          `trace=${inject.syscall}`,
          '-e',
          `inject=${inject.syscall}:signal=${inject.signal}:when=${inject.call}`,
          process.execPath,
          ...args,
        ],
        { env, encoding: 'utf8', timeout: 30_000 },
      )
    : spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 30_000 });
  return result;
}

/** The set `..data` holds, file name -> content (manifest.json and other tool files excluded). */
function dataSet(setDir: string, names: string[]): Files | undefined {
  const data = join(setDir, '..data');
  if (!existsSync(data)) return undefined;
  const set: Files = {};
  for (const name of readdirSync(data)) if (names.includes(name)) set[name] = readFileSync(join(data, name), 'utf8');
  return set;
}

function sameSet(a: Files, b: Files): boolean {
  const sorted = (files: Files) => JSON.stringify(Object.entries(files).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}

function visibleNames(setDir: string): string[] {
  if (!existsSync(setDir)) return [];
  return readdirSync(setDir).filter(
    (name) => !name.startsWith('..') && !name.startsWith('.tmp-') && name !== 'manifest.json' && !name.endsWith('.manifest.json'),
  );
}

/** After a kill: old or new set whole in ..data, visible names only through ..data, none pointing at a file
 *  the current set lacks except old names a later run removes. */
function assertConsistent(publisher: Publisher, out: string, label: string): void {
  const setDir = publisher.setDir(out);
  const oldSet = publisher.expected(OLD);
  const newSet = publisher.expected(NEW);
  const allNames = [...new Set([...Object.keys(oldSet), ...Object.keys(newSet)])];
  const current = dataSet(setDir, allNames);
  assert.ok(current !== undefined, `${label}: ..data is missing after a first run had published`);
  const isOld = sameSet(current, oldSet);
  const isNew = sameSet(current, newSet);
  assert.ok(isOld || isNew, `${label}: ..data holds a mix: ${JSON.stringify(current)}`);
  for (const name of visibleNames(setDir)) {
    const path = join(setDir, name);
    assert.ok(lstatSync(path).isSymbolicLink(), `${label}: ${name} is not a link through ..data`);
    assert.equal(readlinkSync(path), `..data/${name}`, `${label}: ${name}`);
    const inCurrent = name in current;
    // After the swap, a name the new set dropped may still show until its removal step (AtomicWriter's
    // order); a name of the new set never shows before the swap.
    assert.ok(inCurrent || (isNew && name in oldSet), `${label}: visible "${name}" points at nothing in the current set`);
  }
  if (isOld) for (const name of Object.keys(oldSet)) assert.ok(visibleNames(setDir).includes(name), `${label}: old "${name}" vanished before the swap`);
}

function assertClean(publisher: Publisher, out: string, label: string): void {
  const setDir = publisher.setDir(out);
  const newSet = publisher.expected(NEW);
  assert.deepEqual(visibleNames(setDir).sort(), Object.keys(newSet).sort(), `${label}: visible names after the next run`);
  for (const [name, content] of Object.entries(newSet)) assert.equal(readFileSync(join(setDir, name), 'utf8'), content, `${label}: ${name}`);
  const current = readlinkSync(join(setDir, '..data'));
  const leftovers = readdirSync(setDir).filter((name) => (name.startsWith('..') && name !== '..data' && name !== current) || name.startsWith('.tmp-'));
  assert.deepEqual(leftovers, [], `${label}: leftovers of the killed run`);
  for (const dir of [out, setDir]) {
    const temps = readdirSync(dir).filter((name) => name.startsWith('.tmp-') || name.startsWith('..tmp-'));
    assert.deepEqual(temps, [], `${label}: temporary names in ${dir}`);
  }
}

for (const publisher of publishers) {
  describe(`${publisher.tool}: killed at every publishing syscall`, () => {
    const pristine = join(work, `${publisher.tool}-pristine`);
    const first = run(publisher, OLD, pristine);
    for (const signal of ['KILL', 'TERM'] as const) {
      for (const syscall of SYSCALLS) {
        test(`SIG${signal} at each ${syscall}: old or new set, never a mix; the next run publishes the new set cleanly`, () => {
          assert.equal(first.status, 0, first.stderr);
          let reachedEnd = false;
          for (let call = 1; call <= MAX_CALLS && !reachedEnd; call++) {
            const out = join(work, `${publisher.tool}-${signal}-${syscall}-${call}`);
            cpSync(pristine, out, { recursive: true, verbatimSymlinks: true });
            const killed = run(publisher, NEW, out, { syscall, call, signal });
            const label = `${publisher.tool} SIG${signal} at ${syscall} #${call}`;
            if (killed.status === 0) reachedEnd = true;
            else if (signal === 'TERM') assert.equal(killed.status, 143, `${label}: ${killed.stderr}`);
            else assert.equal(killed.signal, 'SIGKILL', `${label}: exit ${killed.status} ${killed.stderr}`);
            assertConsistent(publisher, out, label);
            const next = run(publisher, NEW, out);
            assert.equal(next.status, 0, `${label}, next run: ${next.stderr}`);
            assertClean(publisher, out, label);
            rmSync(out, { recursive: true, force: true });
          }
          assert.ok(reachedEnd, `${publisher.tool}: still hitting ${syscall} after ${MAX_CALLS} calls`);
        });
      }
    }
  });
}
