// The container runtime's own clock for pod start-up: containerd's event stream (`ctr events`) gives
// every container's create, start and exit with nanosecond timestamps, where the Kubernetes API only
// has seconds. Containers are told apart by the kubelet's labels (pod, container name).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface ContainerTimes {
  pod: string;
  /** The container name, or "(sandbox)" for the pod's pause container. */
  name: string;
  created?: number;
  started?: number;
  exited?: number;
}

export interface EventLog {
  /** The containers of a pod seen so far, in the order they were created. */
  containersOf(pod: string): ContainerTimes[];
  stop(): void;
}

/** `2026-12-05 15:34:34.778631362 +0000 UTC` as milliseconds since the epoch, with the fraction kept. */
function parseTime(date: string, clock: string): number {
  const [whole, fraction = '0'] = clock.split('.');
  return Date.parse(`${date}T${whole}Z`) + Number(`0.${fraction}`) * 1000;
}

/** Starts `ctr events` against the cluster's containerd (namespace k8s.io) and collects container events. */
export function watchContainerd(address: string): EventLog {
  const byId = new Map<string, ContainerTimes>();
  const child: ChildProcess = spawn('ctr', ['--address', address, '--namespace', 'k8s.io', 'events'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  const labelsOf = (id: string): Record<string, string> => {
    const info = spawnSync('ctr', ['--address', address, '--namespace', 'k8s.io', 'containers', 'info', id], { encoding: 'utf8' });
    return info.status === 0 ? ((JSON.parse(info.stdout) as { Labels?: Record<string, string> }).Labels ?? {}) : {};
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^(\S+) (\S+) \+0000 UTC k8s\.io (\/containers\/create|\/tasks\/start|\/tasks\/exit) (\{.*\})$/.exec(line);
      if (!match) continue;
      const [, date, clock, topic, payload] = match as unknown as [string, string, string, string, string];
      const at = parseTime(date, clock);
      const event = JSON.parse(payload) as { id?: string; container_id?: string };
      const id = (topic === '/containers/create' ? event.id : event.container_id) ?? '';
      if (topic === '/containers/create') {
        const labels = labelsOf(id);
        const sandbox = labels['io.cri-containerd.kind'] === 'sandbox';
        byId.set(id, {
          pod: labels['io.kubernetes.pod.name'] ?? '?',
          name: sandbox ? '(sandbox)' : (labels['io.kubernetes.container.name'] ?? '?'),
          created: at,
        });
      } else {
        const times = byId.get(id);
        if (times && topic === '/tasks/start') times.started = at;
        if (times && topic === '/tasks/exit' && times.exited === undefined) times.exited = at;
      }
    }
  });
  return {
    containersOf: (pod) => [...byId.values()].filter((c) => c.pod === pod).sort((a, b) => (a.created ?? 0) - (b.created ?? 0)),
    stop: () => void child.kill(),
  };
}
