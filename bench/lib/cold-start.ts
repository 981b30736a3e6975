// Cold start of commands versus bare `node -e 0` on the same Node: interleaved runs (so machine noise
// hits every command alike), medians, ratios. Shared by the per-tool benchmarks.
import { spawnSync } from 'node:child_process';

export const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;

/** Runs each `node ARGS` command `runs` times, interleaved, and prints the medians and ratios. */
export function printColdStart(commands: Record<string, string[]>, runs = 30, env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  const all: Record<string, string[]> = { 'node -e 0': ['-e', '0'], ...commands };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(all).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(all)) {
      const started = performance.now();
      const result = spawnSync(process.execPath, args, { stdio: 'ignore', env });
      if (result.status !== 0) throw new Error(`${name} exited ${result.status}`);
      times[name]?.push(performance.now() - started);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]));
  const base = medians['node -e 0'] as number;
  // The minimum beside the median: on a shared, loaded machine it is the steadier estimate.
  const baseMin = Math.min(...(times['node -e 0'] as number[]));
  const width = Math.max(...Object.keys(all).map((k) => k.length)) + 2;
  console.log(`\ncold start (${runs} interleaved runs, Node ${process.version})`);
  console.log(`${'command'.padEnd(width)} ${'median'.padStart(9)}  vs node -e 0  ${'min'.padStart(9)}  vs node -e 0`);
  for (const [name, list] of Object.entries(times)) {
    const value = medians[name] as number;
    const least = Math.min(...list);
    console.log(
      `${name.padEnd(width)} ${value.toFixed(1).padStart(7)}ms  ${(value / base).toFixed(2).padStart(11)}x  ${least.toFixed(1).padStart(7)}ms  ${(least / baseMin).toFixed(2).padStart(11)}x`,
    );
  }
  return medians;
}
