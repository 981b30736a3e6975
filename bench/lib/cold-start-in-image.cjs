// Runs inside a tool's image (mounted read-only, started by bench/images.bench.ts with the image's node):
// interleaved runs of `node -e 0` and each `node ARGS` given as a JSON list, all by the image's node, so
// the figures are the process's cost in the image without podman's own. Prints the times as JSON.
const { spawnSync } = require('node:child_process');

const runs = Number(process.argv[2]);
const commands = JSON.parse(process.argv[3]);
const all = { 'node -e 0': ['-e', '0'], ...commands };
const times = Object.fromEntries(Object.keys(all).map((name) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(all)) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore', env: { LOG_LEVEL: 'error' } });
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}`);
    times[name].push(performance.now() - started);
  }
}
process.stdout.write(JSON.stringify(times));
