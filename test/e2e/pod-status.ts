// What the tests read of a pod's status as an operator would: a container's status, its logs, that no
// secret value is in any log or termination message, that a container never started.
import assert from 'node:assert/strict';
import { type Obj } from '../chart/helm.ts';
import { kubectl, type Cluster } from './kube.ts';

export function statusOf(pod: Obj, name: string): Obj {
  const status = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((s: Obj) => s.name === name);
  assert.ok(status, `no status for container ${name}: ${JSON.stringify(pod.status)}`);
  return status;
}

/** `kubectl logs` of one container of the pod (the previous run's with `previous`). */
export function logsOf(cluster: Cluster, namespace: string, pod: Obj, container: string, previous = false): string {
  const result = kubectl(cluster, ['logs', '--namespace', namespace, pod.metadata.name, '-c', container, ...(previous ? ['--previous'] : [])]);
  assert.equal(result.status, 0, `kubectl logs ${container}: ${result.stderr}`);
  return result.stdout;
}

export function assertNoLeak(cluster: Cluster, namespace: string, pod: Obj, containers: readonly string[], values: readonly string[]): void {
  for (const name of containers) {
    const status = statusOf(pod, name);
    const message = String(status.state.terminated?.message ?? '') + String(status.lastState?.terminated?.message ?? '');
    const logs = status.state.waiting && !status.lastState?.terminated ? '' : logsOf(cluster, namespace, pod, name);
    for (const value of values) {
      assert.ok(!logs.includes(value), `${name}'s logs contain a secret value`);
      assert.ok(!message.includes(value), `${name}'s termination message contains a secret value`);
    }
  }
}

export function assertNeverStarted(pod: Obj, names: readonly string[]): void {
  for (const name of names) {
    const status = statusOf(pod, name);
    assert.ok(status.state.waiting, `${name} must never start: ${JSON.stringify(status.state)}`);
    assert.equal(status.restartCount, 0);
    assert.equal(status.lastState?.terminated, undefined, `${name} ran before`);
  }
}
