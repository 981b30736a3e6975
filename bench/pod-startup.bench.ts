// Pod start-up overhead of the init steps on the real kubelet (the cluster of scripts/cluster.sh): the
// example chart's pod with its five init steps, as five init containers and in one (`combined`, run-steps),
// versus the same pod with none, from `kubectl create` of
// the Pod to the start of the app's process, and where the time goes per init container, on
// containerd's clock (bench/lib/containerd-events.ts): the kubelet's gap before creating the container
// (its pod sync and sequencing), create -> start (the runtime), start -> exit (Node's start-up, the
// tool's work as it reports it, exit).
// The kubelet notices an init container's exit only at its next relist (once a second), and a pod created
// right after the previous one's app started is created at the same point of that second every time: the
// measure would be quantised to whole relists. So each round starts its pods a further 1/ROUNDS of the
// relist period later (BENCH_POD_PHASES=0: no offset), and the figures hold over all the phases a pod of a
// real cluster meets; the mean is printed beside the median.
// Run: make bench (or, with the services up and the cluster running: node bench/pod-startup.bench.ts).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { chartsCopy, goTool, KUBE_VERSION, parseManifests, repoRoot, run, type Obj } from '../test/chart/helm.ts';
import { createFixtures } from '../test/e2e/fixtures.ts';
import { clusterUp, kubectl, type Cluster } from '../test/e2e/kube.ts';
import { podValues, STEPS } from '../test/e2e/values.ts';
import { parseLogs } from '../test/helpers/run.ts';
import { freePort } from '../test/helpers/services.ts';
import { median } from './lib/cold-start.ts';
import { watchContainerd, type ContainerTimes, type EventLog } from './lib/containerd-events.ts';

const ROUNDS = Number(process.env.BENCH_POD_ROUNDS || 5);
/** The kubelet's relist period (its default, which scripts/cluster.sh keeps). */
const RELIST_MS = 1000;
const PHASES = process.env.BENCH_POD_PHASES !== '0';

interface Sample {
  /** kubectl create -> the app's process started. */
  toAppMs: number;
  /** kubectl create -> the sandbox (pause) started: API, scheduling, the kubelet's first sync, the network. */
  sandboxMs: number;
  /** Per init container: gap before its create, create -> start, start -> exit, the work it reports. */
  steps: Record<string, { gapMs: number; startMs: number; runMs: number; workMs: number }>;
  /** Last init container's exit (or the sandbox) -> the app's process started. */
  appGapMs: number;
}

/** The Deployment's pod template of `helm template` with these values, and the objects it needs. */
function renderPod(chartDir: string, namespace: string, values: Obj): { pod: Obj; others: Obj[] } {
  const file = join(tmpdir(), `pod-startup-${namespace}-${Date.now()}.yaml`);
  writeFileSync(file, stringify(values));
  const result = run(goTool('helm'), [
    'template',
    'bench',
    chartDir,
    '--namespace',
    namespace,
    '--kube-version',
    KUBE_VERSION,
    '--values',
    join(repoRoot, 'test/e2e/values/e2e.yaml'),
    '--values',
    file,
  ]);
  if (result.status !== 0) throw new Error(`helm template: ${result.stderr}`);
  const objects = parseManifests(result.stdout);
  const deployment = objects.find((o) => o.kind === 'Deployment') as Obj;
  const others = objects.filter((o) => ['ConfigMap', 'ServiceAccount'].includes(o.kind));
  return {
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: deployment.spec.template.metadata.labels }, spec: deployment.spec.template.spec },
    others,
  };
}

/** Creates the pod under a new name and app port, waits for the app's process, and reads the timeline. */
async function sample(cluster: Cluster, events: EventLog, namespace: string, name: string, template: Obj): Promise<Sample> {
  const port = await freePort();
  const spec = structuredClone(template.spec);
  const app = spec.containers[0];
  app.env = app.env.map((e: Obj) => (e.name === 'APP_PORT' ? { ...e, value: String(port) } : e));
  app.readinessProbe.httpGet.port = port;
  const pod = { ...template, metadata: { ...template.metadata, name, namespace }, spec };
  const created = Date.now();
  const result = kubectl(cluster, ['create', '-f', '-'], JSON.stringify(pod));
  if (result.status !== 0) throw new Error(`kubectl create ${name}: ${result.stderr}`);
  const deadline = created + 120_000;
  let containers: ContainerTimes[] = [];
  while (!(containers = events.containersOf(name)).some((c) => c.name === 'app' && c.started !== undefined)) {
    if (Date.now() > deadline) throw new Error(`${name}: the app did not start within 120 s (${JSON.stringify(containers)})`);
    await sleep(50);
  }
  const at = (c: ContainerTimes | undefined, key: 'created' | 'started' | 'exited'): number => {
    const value = c?.[key];
    if (value === undefined) throw new Error(`${name}: no ${key} time for ${c?.name ?? 'a container'}`);
    return value;
  };
  const sandbox = containers.find((c) => c.name === '(sandbox)');
  const steps: Sample['steps'] = {};
  let previous = at(sandbox, 'started');
  for (const step of containers.filter((c) => c.name !== '(sandbox)' && c.name !== 'app')) {
    const logs = kubectl(cluster, ['logs', '--namespace', namespace, name, '-c', step.name]).stdout;
    const summary = parseLogs(logs).at(-1) ?? {};
    steps[step.name] = {
      gapMs: at(step, 'created') - previous,
      startMs: at(step, 'started') - at(step, 'created'),
      runMs: at(step, 'exited') - at(step, 'started'),
      workMs: Number(summary.durationMs ?? summary.elapsedMs ?? 0),
    };
    previous = at(step, 'exited');
  }
  const appTimes = containers.find((c) => c.name === 'app');
  kubectl(cluster, ['delete', 'pod', name, '--namespace', namespace, '--wait=false']);
  return { toAppMs: at(appTimes, 'started') - created, sandboxMs: at(sandbox, 'started') - created, steps, appGapMs: at(appTimes, 'started') - previous };
}

interface Variant {
  label: string;
  samples: Sample[];
}

function report(variants: Variant[], without: Sample[]): void {
  const m = (values: number[]): number => Math.round(median(values));
  const b = m(without.map((s) => s.toAppMs));
  const row = (label: string, value: number, note = ''): void => console.log(`${label.padEnd(62)} ${`${value} ms`.padStart(9)}  ${note}`);
  const phases = PHASES ? `, started at ${ROUNDS} points spread over the kubelet's ${RELIST_MS} ms relist period` : '';
  console.log(`pod start-up on the kubelet (containerd events), kubectl create -> app process started, median of ${ROUNDS} alternating runs${phases}`);
  row('pod without init steps', b, `(sandbox started after ${m(without.map((s) => s.sandboxMs))} ms)`);
  const overheads: number[] = [];
  for (const { label, samples } of variants) {
    const a = m(samples.map((s) => s.toAppMs));
    const overhead = a - b;
    overheads.push(overhead);
    const pct = (x: number): string => `${Math.round((100 * x) / overhead)}%`;
    console.log('');
    row(label, a, `(sandbox started after ${m(samples.map((s) => s.sandboxMs))} ms)`);
    row('overhead over the pod without init steps', overhead, '100%');
    const mean = (values: number[]): number => Math.round(values.reduce((t, v) => t + v, 0) / values.length);
    row('  the same, mean over the rounds', mean(samples.map((s) => s.toAppMs)) - mean(without.map((s) => s.toAppMs)));
    const sum = (pick: (s: Sample['steps'][string]) => number): number => m(samples.map((s) => Object.values(s.steps).reduce((t, step) => t + pick(step), 0)));
    const gaps = sum((s) => s.gapMs) + m(samples.map((s) => s.appGapMs)) - m(without.map((s) => s.appGapMs));
    row('  the kubelet between containers (pod sync, sequencing)', gaps, pct(gaps));
    row(
      '  the runtime, create -> start',
      sum((s) => s.startMs),
      pct(sum((s) => s.startMs)),
    );
    row(
      '  the processes, start -> exit',
      sum((s) => s.runMs),
      pct(sum((s) => s.runMs)),
    );
    row(
      "    of which the tools' own work (reported durationMs)",
      sum((s) => s.workMs),
      pct(sum((s) => s.workMs)),
    );
    console.log('  per init container (median): gap before create / create -> start / start -> exit / reported work');
    for (const container of Object.keys(samples[0]?.steps ?? {})) {
      const part = (key: keyof Sample['steps'][string]): number => m(samples.map((s) => s.steps[container]?.[key] ?? Number.NaN));
      console.log(`    ${container.padEnd(12)} ${part('gapMs')} / ${part('startMs')} / ${part('runMs')} / ${part('workMs')} ms`);
    }
    console.log(
      `    app          ${m(samples.map((s) => s.appGapMs))} ms from the last exit to its start (without init steps: ${m(without.map((s) => s.appGapMs))} ms from the sandbox)`,
    );
  }
  if (overheads.length === 2)
    console.log(
      `\n${variants[1]?.label}: ${Math.round((100 * (overheads[1] as number)) / (overheads[0] as number))}% of the overhead of ${variants[0]?.label}`,
    );
  console.log(`\nraw: ${JSON.stringify({ without, ...Object.fromEntries(variants.map((v) => [v.label, v.samples])) })}`);
}

async function main(): Promise<void> {
  const cluster = clusterUp();
  const events = watchContainerd(cluster.containerdAddress);
  const charts = chartsCopy();
  const fixtures = await createFixtures();
  const namespace = `bench-${fixtures.id}`;
  try {
    const values = podValues(fixtures, { port: 8080 });
    values.cronJob = { enabled: false };
    const full = renderPod(join(charts.dir, 'example-app'), namespace, values);
    const bare = renderPod(join(charts.dir, 'example-app'), namespace, {
      ...values,
      app: { ...values.app, expect: {} },
      initToolkit: { ...values.initToolkit, steps: Object.fromEntries(STEPS.map((s) => [s, null])) },
    });
    if (bare.pod.spec.initContainers) throw new Error('the pod without steps still has init containers');
    const combined = renderPod(join(charts.dir, 'example-app'), namespace, { ...values, initToolkit: { ...values.initToolkit, combined: { enabled: true } } });
    if (combined.pod.spec.initContainers?.length !== 1) throw new Error('the combined pod does not have one init container');
    const created = kubectl(cluster, ['create', 'namespace', namespace]);
    if (created.status !== 0) throw new Error(created.stderr);
    const applied = kubectl(cluster, ['apply', '--namespace', namespace, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: full.others }));
    if (applied.status !== 0) throw new Error(applied.stderr);
    // Alternate, so drift of the machine's load affects all sides alike; one warm-up round first.
    const pods = { separate: full.pod, combined: combined.pod, without: bare.pod };
    for (const [label, pod] of Object.entries(pods)) await sample(cluster, events, namespace, `warm-${label}`, pod);
    const samples: Record<string, Sample[]> = { separate: [], combined: [], without: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const [label, pod] of Object.entries(pods)) {
        if (PHASES) await sleep(((i + 0.5) / ROUNDS) * RELIST_MS);
        samples[label]?.push(await sample(cluster, events, namespace, `${label}-${i}`, pod));
      }
    }
    report(
      [
        { label: `pod with the ${STEPS.length} steps as ${STEPS.length} init containers`, samples: samples.separate as Sample[] },
        { label: `pod with the ${STEPS.length} steps in one init container (combined)`, samples: samples.combined as Sample[] },
      ],
      samples.without as Sample[],
    );
  } finally {
    events.stop();
    kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false']);
    charts.cleanup();
    await fixtures.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(`pod-startup bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
