// Pod start-up overhead of the init containers: the time from `podman kube play` to the start of the
// main container, for the example chart's pod with its four init containers versus the same pod with
// none, in one run on this machine; and how the overhead splits between the tools (their containers'
// lifetimes, and the work the tools report doing) and the container runtime (everything else: creating,
// starting and reaping containers, mounting, sequencing).
// Run: make bench (or, with the services up and images built: node bench/pod-startup.bench.ts).
import { createFixtures } from '../test/e2e/fixtures.ts';
import { loadImages, TOOLS } from '../test/e2e/images.ts';
import { playPod } from '../test/e2e/pod.ts';
import { podValues } from '../test/e2e/values.ts';
import { parseLogs } from '../test/helpers/run.ts';
import { freePort } from '../test/helpers/services.ts';
import { median } from './lib/cold-start.ts';

const ROUNDS = Number(process.env.BENCH_POD_ROUNDS || 5);

interface Sample {
  /** Wall time from just before `podman kube play` to the main container's start. */
  toMainMs: number;
  /** Sum over init containers of started -> finished (node start-up + the tool's work + exit). */
  containersMs: number;
  /** Sum of the durationMs / elapsedMs the tools report in their summary lines (the work itself). */
  workMs: number;
  /** Per init container: [lifetime ms, reported work ms]. */
  perTool: Record<string, [number, number]>;
}

async function sample(id: string, withInit: boolean, fixtures: Awaited<ReturnType<typeof createFixtures>>): Promise<Sample> {
  const values = podValues(fixtures, { port: await freePort() });
  if (!withInit) for (const tool of TOOLS) values.initToolkit.tools[tool].enabled = false;
  const run = playPod(id, values);
  try {
    if (run.playStatus !== 0) throw new Error(`pod ${id} failed: ${run.playStderr}`);
    const app = run.inspect('app');
    if (!app.startedAt) throw new Error(`pod ${id}: the app did not start`);
    let containersMs = 0;
    let workMs = 0;
    const perTool: Record<string, [number, number]> = {};
    for (const name of run.initContainers) {
      const result = run.inspect(name);
      const lifetime = result.finishedAt!.getTime() - result.startedAt!.getTime();
      const summary = parseLogs(result.logs).at(-1) ?? {};
      const work = Number(summary.durationMs ?? summary.elapsedMs ?? 0);
      perTool[name] = [lifetime, work];
      containersMs += lifetime;
      workMs += work;
    }
    return { toMainMs: app.startedAt.getTime() - run.playStartedAt.getTime(), containersMs, workMs, perTool };
  } finally {
    run.remove();
  }
}

async function main(): Promise<void> {
  loadImages(TOOLS);
  const fixtures = await createFixtures();
  const withInit: Sample[] = [];
  const without: Sample[] = [];
  try {
    // Alternate, so drift of the machine's load affects both sides alike; one warm-up pair first.
    await sample(`${fixtures.id}-warm-a`, true, fixtures);
    await sample(`${fixtures.id}-warm-b`, false, fixtures);
    for (let i = 0; i < ROUNDS; i++) {
      withInit.push(await sample(`${fixtures.id}-with-${i}`, true, fixtures));
      without.push(await sample(`${fixtures.id}-without-${i}`, false, fixtures));
    }
  } finally {
    await fixtures.cleanup();
  }
  const a = median(withInit.map((s) => s.toMainMs));
  const b = median(without.map((s) => s.toMainMs));
  const overhead = a - b;
  const containers = median(withInit.map((s) => s.containersMs));
  const work = median(withInit.map((s) => s.workMs));
  const pct = (x: number): string => `${((100 * x) / overhead).toFixed(0)}%`;
  const row = (label: string, value: string, note = ''): void => console.log(`${label.padEnd(58)} ${value.padStart(9)}  ${note}`);
  console.log(`pod start-up, podman kube play -> main container started, median of ${ROUNDS} alternating runs`);
  row('pod without init containers', `${b} ms`);
  row('pod with the four init containers', `${a} ms`);
  row('overhead of the init containers', `${overhead} ms`, '100%');
  row('  inside the tools\' containers (start -> exit, 4 containers)', `${containers} ms`, pct(containers));
  row('    of which the tools\' own work (reported durationMs)', `${work} ms`, `${pct(work)}  (the rest: node start-up, module loading, exit)`);
  row('  container runtime (create, start, sequence, reap)', `${overhead - containers} ms`, pct(overhead - containers));
  for (const tool of TOOLS) {
    const lifetimes = withInit.map((s) => s.perTool[tool]![0]);
    const works = withInit.map((s) => s.perTool[tool]![1]);
    row(`  ${tool}: container start -> exit / reported work`, `${median(lifetimes)} ms`, `/ ${median(works)} ms`);
  }
  console.log(`raw with: ${JSON.stringify(withInit)}`);
  console.log(`raw without: ${JSON.stringify(without)}`);
}

main().catch((error: unknown) => {
  console.error(`pod-startup bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
