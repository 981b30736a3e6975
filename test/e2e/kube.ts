// The e2e tests' view of the real single-node cluster that scripts/cluster.sh runs on loopback: start it
// (or reuse the running one), then kubectl and helm against it, and polling of pod status the way an
// operator reads it (`kubectl get pod -o json`). Nothing here emulates the kubelet.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { goTool, repoRoot, type Obj, type Run } from '../chart/helm.ts';

const script = join(repoRoot, 'scripts', 'cluster.sh');

export interface Cluster {
  /** The admin kubeconfig (client certificate in system:masters). */
  kubeconfig: string;
  /** The kubectl built with the cluster (same version as the API server). */
  kubectlPath: string;
  /** containerd's socket (`ctr --address`), for the runtime's own view. */
  containerdAddress: string;
  env: NodeJS.ProcessEnv;
}

/**
 * `scripts/cluster.sh up`: builds and starts the cluster the first time (minutes), reuses a running one
 * (a second or two) and imports the current images of `make images` either way. Its progress goes to
 * stderr. Then reads `scripts/cluster.sh env`.
 */
export function clusterUp(): Cluster {
  const up = spawnSync(script, ['up'], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (up.error) throw up.error;
  if (up.status !== 0) throw new Error(`scripts/cluster.sh up failed (exit ${up.status}); its output is above`);
  const printed = spawnSync(script, ['env'], { encoding: 'utf8' });
  const vars = Object.fromEntries(
    printed.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  if (!vars.KUBECONFIG || !vars.KUBECTL) throw new Error(`scripts/cluster.sh env printed no KUBECONFIG/KUBECTL: ${printed.stdout}`);
  return {
    kubeconfig: vars.KUBECONFIG,
    kubectlPath: vars.KUBECTL,
    containerdAddress: vars.CONTAINERD_ADDRESS ?? '',
    env: { ...process.env, KUBECONFIG: vars.KUBECONFIG },
  };
}

function runIn(cluster: Cluster, command: string, args: readonly string[], input?: string): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', env: cluster.env, input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function kubectl(cluster: Cluster, args: readonly string[], input?: string): Run {
  return runIn(cluster, cluster.kubectlPath, args, input);
}

/** kubectl ... -o json, parsed; throws with kubectl's message when it fails. */
export function kubectlJson(cluster: Cluster, args: readonly string[]): Obj {
  const result = kubectl(cluster, [...args, '-o', 'json']);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as Obj;
}

export function helm(cluster: Cluster, args: readonly string[]): Run {
  return runIn(cluster, goTool('helm'), args);
}

/** The pods of a namespace that are neither helm hooks nor of a Job (the Deployment's pod). */
export function appPods(cluster: Cluster, namespace: string): Obj[] {
  const list = kubectlJson(cluster, ['get', 'pods', '--namespace', namespace]);
  return (list.items as Obj[]).filter((pod) => !pod.metadata.annotations?.['helm.sh/hook'] && !pod.metadata.labels?.['batch.kubernetes.io/job-name']);
}

/**
 * Polls the namespace's one app pod every 250 ms until `done(pod)` holds; throws after `timeoutMs` with
 * the pod's last status (what `kubectl describe` would show) so a failure explains itself. During a
 * `rollout` two pods may exist: it waits until one is left.
 */
export async function waitForPod(
  cluster: Cluster,
  namespace: string,
  what: string,
  done: (pod: Obj) => boolean,
  timeoutMs = 180_000,
  rollout = false,
): Promise<Obj> {
  const deadline = Date.now() + timeoutMs;
  let last: Obj | undefined;
  while (Date.now() < deadline) {
    const pods = appPods(cluster, namespace).filter((pod) => !(rollout && pod.metadata.deletionTimestamp));
    if (rollout && pods.length > 1) {
      await sleep(250);
      continue;
    }
    if (pods.length > 1) throw new Error(`expected one app pod in ${namespace}, found ${pods.map((p) => p.metadata.name).join(', ')}`);
    last = pods[0];
    if (last && done(last)) return last;
    await sleep(250);
  }
  const events = kubectl(cluster, ['get', 'events', '--namespace', namespace, '--sort-by', '.lastTimestamp']).stdout;
  throw new Error(`${what}: not within ${timeoutMs / 1000}s in ${namespace}; last status: ${JSON.stringify(last?.status, null, 2)}\nevents:\n${events}`);
}

export function isReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

/** The terminated state of an init container with `exitCode`, in state or (after a back-off restart) lastState. */
export function terminatedWith(pod: Obj, name: string, exitCode: number): Obj | undefined {
  const status = (pod.status?.initContainerStatuses ?? []).find((s: Obj) => s.name === name);
  if (status?.state?.terminated?.exitCode === exitCode) return status.state.terminated;
  if (status?.lastState?.terminated?.exitCode === exitCode) return status.lastState.terminated;
  return undefined;
}

/** kubectl exec into a container (the images have no shell: run node -e). */
export function execIn(cluster: Cluster, namespace: string, pod: string, container: string, script: string): string {
  const result = kubectl(cluster, ['exec', '--namespace', namespace, pod, '-c', container, '--', 'node', '-e', script]);
  if (result.status !== 0) throw new Error(`kubectl exec ${pod} -c ${container}: ${result.stderr.trim()}`);
  return result.stdout;
}
