// Small Kubernetes objects for the k8s:// tests of wait-for-db: Jobs that succeed or fail after a delay,
// Deployments whose pods become Ready or never do, Services in front of them. Their containers run
// `node -e` in a toolkit image (every one carries Node.js), imported into the cluster, never pulled.

const IMAGE = 'docker.io/init-toolkit/render-config:0.2.0';

/** Restricted (Pod Security Standards) and small: what every namespace of the cluster accepts. */
function container(name: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: IMAGE,
    imagePullPolicy: 'Never',
    command: ['node', '-e', script],
    resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...extra,
  };
}

/** A Job whose one pod exits with `exitCode` after `seconds` (no retry: backoffLimit 0). */
export function job(name: string, seconds: number, exitCode = 0): Record<string, unknown> {
  const script = `setTimeout(() => process.exit(${exitCode}), ${seconds * 1000})`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [container('job', script)] } } },
  };
}

/** A Deployment of pods labelled app=NAME that idle; with `ready: false` their readiness probe always fails. */
export function deployment(name: string, replicas: number, ready = true): Record<string, unknown> {
  const probe = ready ? {} : { readinessProbe: { exec: { command: ['node', '-e', 'process.exit(1)'] }, periodSeconds: 2 } };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [container('idle', 'setInterval(() => {}, 60000)', probe)] },
      },
    },
  };
}

/** A Service selecting the pods labelled app=SELECTS. */
export function service(name: string, selects: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: selects }, ports: [{ port: 8080 }] } };
}

export function list(items: Array<Record<string, unknown>>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
