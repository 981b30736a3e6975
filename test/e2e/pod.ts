// Runs the example chart's pod in podman the way a kubelet would: `helm template` with the e2e values,
// the Deployment's pod template turned into a Pod (what its ReplicaSet would create, restartPolicy
// Never so a failed init container ends the pod), its ConfigMaps alongside, then `podman kube play`.
// Three kubelet duties that podman 4.3 does not do are emulated, in the harness only: each container gets
// a writable /dev/termination-log (a host file the test reads, like the kubelet's per-container file);
// an emptyDir with `medium: Memory` is a tmpfs of its sizeLimit (podman would use disk); each pod's
// emptyDirs are its own (podman names their volumes after the pod's volume names, see uniqueVolumeNames).
// And init containers are kept after they ran (podman's `always` init type) so their logs can be read.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  /** What the container wrote to /dev/termination-log (empty when nothing). */
  terminationMessage: string;
}

export interface PodRun {
  name: string;
  /** Exit status and stderr of `podman kube play` (125 when an init container failed). */
  playStatus: number;
  playStderr: string;
  /** When `podman kube play` was started (after rendering), and how long it took (it returns once the init containers ran). */
  playStartedAt: Date;
  playMs: number;
  /** The pod manifest that was played, for messages. */
  manifest: string;
  /** Init containers in the order of the pod spec, then the main container. */
  initContainers: string[];
  /**
   * Runs the chart's `helm test` hook pod against the app, as `helm test` would. podman has no cluster
   * DNS, so the hook pod shares the host network and calls the app on 127.0.0.1:port instead of the
   * Service name. Returns the hook container's exit code and logs.
   */
  runTestHook(port: number): { exitCode: number; logs: string };
  inspect(container: string): ContainerResult;
  remove(): void;
}

export function podman(args: readonly string[], input?: string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('podman', args, { encoding: 'utf8', env, input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Renders the example chart for release `name` with the e2e values plus `values`, as a Pod and its ConfigMaps. */
export function renderPod(name: string, values: Obj, workDir: string): { documents: Obj[]; pod: Obj; testHook: Obj | undefined } {
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
    const testHook = objects.find((o) => o.kind === 'Pod' && o.metadata?.annotations?.['helm.sh/hook'] === 'test');
    return { documents: [...configMaps, pod], pod, testHook };
  } finally {
    charts.cleanup();
  }
}

/** Gives every container a host file mounted at /dev/termination-log, writable by the pod's user. */
function addTerminationLogs(pod: Obj, workDir: string): void {
  const containers: Obj[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  for (const container of containers) {
    const file = join(workDir, `termination-log-${container.name}`);
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    const volume = `termination-log-${container.name}`;
    pod.spec.volumes.push({ name: volume, hostPath: { path: file, type: 'File' } });
    container.volumeMounts = [...(container.volumeMounts ?? []), { name: volume, mountPath: '/dev/termination-log' }];
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

const BINARY_UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/**
 * podman 4.3 backs every emptyDir with a disk volume, ignoring `medium: Memory`. The kubelet mounts a tmpfs
 * of the volume's sizeLimit on the node for the pod's lifetime and bind-mounts it into the containers; the
 * harness does the same (a tmpfs under the pod's work dir, given to podman as a hostPath; needs root, as
 * rootful podman does). Returns the mount points, for remove().
 */
function mountMemoryVolumes(pod: Obj, workDir: string): string[] {
  const mounted: string[] = [];
  for (const volume of pod.spec.volumes as Obj[]) {
    if (volume.emptyDir?.medium !== 'Memory') continue;
    const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(volume.emptyDir.sizeLimit ?? '64Mi'));
    if (!match) throw new Error(`e2e harness: cannot read sizeLimit ${volume.emptyDir.sizeLimit} of volume ${volume.name}`);
    const bytes = Number(match[1]) * BINARY_UNITS[match[2] ?? '']!;
    const dir = join(workDir, 'volumes', volume.name);
    mkdirSync(dir, { recursive: true });
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0777,nosuid,nodev`, 'tmpfs', dir], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`e2e harness: mount -t tmpfs for emptyDir ${volume.name} failed (root needed): ${result.stderr.trim()}`);
    mounted.push(dir);
    delete volume.emptyDir;
    volume.hostPath = { path: dir, type: 'Directory' };
  }
  return mounted;
}

/** Renders and plays the pod; the caller removes it (remove()) in a finally or after hook. */
export function playPod(name: string, podValues: Obj): PodRun {
  const workDir = mkdtempSync(join(tmpdir(), `e2e-${name}-`));
  const { values, volumes } = uniqueVolumeNames(name, podValues);
  const { documents, pod, testHook } = renderPod(name, values, workDir);
  addTerminationLogs(pod, workDir);
  const memoryMounts = mountMemoryVolumes(pod, workDir);
  const manifest = documents.map((d) => stringify(d)).join('---\n');
  const file = join(workDir, 'pod.yaml');
  writeFileSync(file, manifest);
  const playStartedAt = new Date();
  const started = performance.now();
  const play = podman(['kube', 'play', file]);
  const playMs = performance.now() - started;
  return {
    name,
    playStatus: play.status,
    playStartedAt,
    playStderr: play.stderr,
    playMs,
    manifest,
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
        terminationMessage: readFileSync(join(workDir, `termination-log-${container}`), 'utf8'),
      };
    },
    runTestHook(port: number): { exitCode: number; logs: string } {
      if (!testHook) throw new Error('the chart rendered no helm test hook pod (tests.enabled and service.enabled must be true)');
      const hook = structuredClone(testHook);
      hook.metadata.name = `${name}-test`;
      hook.spec.hostNetwork = true;
      for (const variable of hook.spec.containers[0].env) {
        if (variable.name === 'APP_URL') variable.value = `http://127.0.0.1:${port}/found`;
      }
      const hookFile = join(workDir, 'test-hook.yaml');
      // The hook's ConfigMaps travel with it: podman resolves configMap volumes within the played file.
      const volumes = new Set((hook.spec.volumes ?? []).map((v: Obj) => v.configMap?.name));
      const configMaps = documents.filter((d) => d.kind === 'ConfigMap' && volumes.has(d.metadata.name));
      writeFileSync(hookFile, [...configMaps, hook].map((d) => stringify(d)).join('---\n'));
      const play = podman(['kube', 'play', hookFile]);
      if (play.status !== 0) throw new Error(`podman kube play of the test hook: ${play.stderr.trim()}`);
      const container = `${hook.metadata.name}-${hook.spec.containers[0].name}`;
      podman(['wait', container]);
      const exit = podman(['inspect', '--type', 'container', '--format', '{{.State.ExitCode}}', container]);
      // conmon may still be writing the last lines when `podman wait` returns: read until they are there.
      let logs = '';
      for (let i = 0; i < 20 && logs === ''; i++) {
        if (i > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        const read = podman(['logs', container]);
        logs = read.stdout + read.stderr;
      }
      podman(['kube', 'down', hookFile]);
      return { exitCode: Number(exit.stdout.trim()), logs };
    },
    remove(): void {
      podman(['kube', 'down', file]);
      podman(['pod', 'rm', '--force', '--ignore', name]);
      // kube down leaves the volumes that back emptyDirs and ConfigMaps behind.
      const configMaps = documents.filter((d) => d.kind === 'ConfigMap').map((d) => d.metadata.name);
      podman(['volume', 'rm', '--force', ...volumes, ...configMaps]);
      for (const dir of memoryMounts) spawnSync('umount', [dir]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
