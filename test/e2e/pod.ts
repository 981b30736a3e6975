// The example chart's pod in podman, for bench/pod-startup.bench.ts only (the e2e tests and the demo run
// on the cluster of scripts/cluster.sh): `helm template` with the e2e values, the Deployment's pod template
// turned into a Pod (restartPolicy Never), its ConfigMaps alongside, then `podman kube play`. Each pod's
// emptyDirs get names of their own (podman names their volumes after the pod's volume names), and init
// containers are kept after they ran (podman's `always` init type) so their times and logs can be read.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { chartsCopy, parseManifests, repoRoot, goTool, KUBE_VERSION, type Obj } from '../chart/helm.ts';

const env = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF || join(repoRoot, 'scripts', 'containers.conf') };

export interface ContainerResult {
  name: string;
  /** podman's state: created (never started), running, exited. */
  state: string;
  exitCode: number;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  logs: string;
}

export interface PodRun {
  name: string;
  /** Exit status and stderr of `podman kube play` (125 when an init container failed). */
  playStatus: number;
  playStderr: string;
  /** When `podman kube play` was started (after rendering; it returns once the init containers ran). */
  playStartedAt: Date;
  /** Init containers in the order of the pod spec. */
  initContainers: string[];
  inspect(container: string): ContainerResult;
  remove(): void;
}

export function podman(args: readonly string[], input?: string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('podman', args, { encoding: 'utf8', env, input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Renders the example chart for release `name` with the e2e values plus `values`, as a Pod and its ConfigMaps. */
function renderPod(name: string, values: Obj, workDir: string): { documents: Obj[]; pod: Obj } {
  const charts = chartsCopy();
  try {
    const valuesFile = join(workDir, 'values.yaml');
    writeFileSync(valuesFile, stringify(values));
    const rendered = execFileSync(
      goTool('helm'),
      ['template', name, join(charts.dir, 'example-app'), '--kube-version', KUBE_VERSION, '--values', join(repoRoot, 'test', 'e2e', 'values', 'e2e.yaml'), '--values', valuesFile],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const objects = parseManifests(rendered);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    if (!deployment) throw new Error('the example chart rendered no Deployment');
    const template = deployment.spec.template;
    const spec: Obj = { ...template.spec, restartPolicy: 'Never' };
    delete spec.serviceAccountName; // podman has no service accounts
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: template.metadata.labels, annotations: { ...template.metadata.annotations, 'io.podman.annotations.init.container.type': 'always' } },
      spec,
    };
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
    return { documents: [...configMaps, pod], pod };
  } finally {
    charts.cleanup();
  }
}

function parseDate(text: string): Date | undefined {
  const date = new Date(text.replace(/ \+0000 UTC$/, 'Z').replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 2000 ? undefined : date;
}

/**
 * Pod-unique names for the shared emptyDir volumes. podman kube play backs an emptyDir with a named volume
 * of the same name, so two pods with the chart's default names (init-secrets, ...) would share them; in
 * Kubernetes an emptyDir belongs to its pod. The names are values of the chart, so nothing else changes.
 */
function uniqueVolumeNames(name: string, values: Obj): { values: Obj; volumes: string[] } {
  const names = { secrets: `${name}-secrets`, data: `${name}-data`, config: `${name}-config` };
  const initToolkit = values.initToolkit ?? {};
  const volumes = { ...(initToolkit.volumes ?? {}) };
  for (const [key, volumeName] of Object.entries(names)) volumes[key] = { ...(volumes[key] ?? {}), name: volumeName };
  return { values: { ...values, initToolkit: { ...initToolkit, volumes } }, volumes: Object.values(names) };
}

/** Renders and plays the pod; the caller removes it (remove()) in a finally or after hook. */
export function playPod(name: string, podValues: Obj): PodRun {
  const workDir = mkdtempSync(join(tmpdir(), `e2e-${name}-`));
  const { values, volumes } = uniqueVolumeNames(name, podValues);
  const { documents, pod } = renderPod(name, values, workDir);
  const file = join(workDir, 'pod.yaml');
  writeFileSync(file, documents.map((d) => stringify(d)).join('---\n'));
  const playStartedAt = new Date();
  const play = podman(['kube', 'play', file]);
  return {
    name,
    playStatus: play.status,
    playStartedAt,
    playStderr: play.stderr,
    initContainers: (pod.spec.initContainers ?? []).map((c: Obj) => c.name),
    inspect(container: string): ContainerResult {
      const id = `${name}-${container}`;
      const info = podman(['inspect', '--type', 'container', '--format', '{{.State.Status}}|{{.State.ExitCode}}|{{.State.StartedAt}}|{{.State.FinishedAt}}', id]);
      if (info.status !== 0) throw new Error(`podman inspect ${id}: ${info.stderr.trim()}`);
      const [state = '', exitCode = '', startedAt = '', finishedAt = ''] = info.stdout.trim().split('|');
      const logs = podman(['logs', id]);
      return {
        name: container,
        state,
        exitCode: Number(exitCode),
        startedAt: parseDate(startedAt),
        finishedAt: parseDate(finishedAt),
        logs: logs.stdout + logs.stderr,
      };
    },
    remove(): void {
      podman(['kube', 'down', file]);
      podman(['pod', 'rm', '--force', '--ignore', name]);
      // kube down leaves the volumes that back emptyDirs and ConfigMaps behind.
      const configMaps = documents.filter((d) => d.kind === 'ConfigMap').map((d) => d.metadata.name);
      podman(['volume', 'rm', '--force', ...volumes, ...configMaps]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
