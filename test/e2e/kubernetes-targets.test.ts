// wait-for-db's k8s:// targets inside a pod of the example chart on the real cluster: the init container
// reads the API with the pod's ServiceAccount (in-cluster config: the mounted token and CA, the pod's
// namespace) and the Role the chart renders, and waits until the migration Job completes; without the
// Role it fails at once with exit 3, naming the permission and the chart option.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Obj } from '../chart/helm.ts';
import { job, list } from '../helpers/kube-objects.ts';
import { eventually } from '../helpers/eventually.ts';
import { freePort } from '../helpers/services.ts';
import { clusterUp, isReady, kubectl, kubectlJson, terminatedWith, waitForPod, type Cluster } from './kube.ts';
import { releases as createReleases, type Releases } from './releases.ts';

let cluster: Cluster;
let releases: Releases;

before(() => {
  cluster = clusterUp();
  releases = createReleases(cluster, `e2e-k8s-${randomBytes(3).toString('hex')}`);
});

after(() => releases?.cleanup());

/** The example chart with one init step: wait for the Job `db-migrate` of the release's namespace. */
async function values(rbac: boolean): Promise<Obj> {
  return {
    app: { port: await freePort(), expect: {} },
    cronJob: { enabled: false },
    initToolkit: {
      rbac: { create: rbac },
      steps: {
        'wait-db': {
          settings: { targets: ['migration=k8s://job/db-migrate'], 'password-env': null, timeout: '120s' },
          // The test bed has no kube-proxy: the `kubernetes` Service's address (what the kubelet puts in
          // KUBERNETES_SERVICE_HOST) leads nowhere; a hostNetwork pod reaches the API server on loopback.
          env: [
            { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
            { name: 'KUBERNETES_SERVICE_PORT', value: new URL(/server: (\S+)/.exec(kubectl(cluster, ['config', 'view', '--minify']).stdout)![1]!).port },
          ],
        },
        'wait-cache': null,
        secrets: null,
        data: null,
        config: null,
      },
    },
  };
}

const initStatus = (pod: Obj): Obj | undefined => (pod.status?.initContainerStatuses ?? []).find((s: Obj) => s.name === 'wait-db');

function logs(namespace: string, pod: Obj): string {
  const result = kubectl(cluster, ['logs', '--namespace', namespace, pod.metadata.name, '-c', 'wait-db']);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('k8s:// targets in a pod of the example chart', { concurrency: true }, () => {
  it('the init container waits, with the in-cluster config, until the migration Job completes; then the app starts', async () => {
    const { namespace } = releases.install('job', await values(true));
    const role = kubectlJson(cluster, ['get', 'role', '--namespace', namespace]).items as Obj[];
    assert.deepEqual(
      role.map((r) => r.rules),
      [[{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'], resourceNames: ['db-migrate'] }]],
    );
    const waiting = await waitForPod(cluster, namespace, 'wait-db running', (pod) => Boolean(initStatus(pod)?.state?.running), 120_000);
    assert.equal(waiting.spec.automountServiceAccountToken, true);
    // It runs, and keeps waiting while the Job does not exist (a 404 is "not yet").
    const notFound = new RegExp(`job \\\\"db-migrate\\\\" in namespace \\\\"${namespace}\\\\" not found \\(yet\\)`);
    await eventually(
      'the "not found (yet)" line of wait-db',
      () => logs(namespace, waiting),
      (text) => notFound.test(text),
      60_000,
    );
    const created = kubectl(cluster, ['apply', '--namespace', namespace, '-f', '-'], list([job('db-migrate', 3)]));
    assert.equal(created.status, 0, created.stderr);

    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady, 120_000);
    const done = initStatus(pod)!.state.terminated;
    assert.equal(done?.exitCode, 0, JSON.stringify(initStatus(pod)));
    assert.equal(initStatus(pod)!.restartCount, 0);
    const jobDone = kubectlJson(cluster, ['get', 'job', 'db-migrate', '--namespace', namespace]);
    const completedAt = Date.parse(jobDone.status.completionTime);
    assert.ok(
      Date.parse(done.finishedAt) >= completedAt - 1000,
      `wait-db finished (${done.finishedAt}) before the Job completed (${jobDone.status.completionTime})`,
    );
    const lines = logs(namespace, pod);
    assert.match(lines, /"msg":"ready".*completed \(0 active, 1 succeeded, 0 failed\)/);
    // The token (a JWT: base64 of {"alg":...) shows in no log line.
    assert.doesNotMatch(lines, /eyJ[A-Za-z0-9_-]{10,}/);
  });

  it('without the Role (rbac.create=false): exit 3, naming the verb, resource, namespace and the chart option', async () => {
    const { namespace } = releases.install('norbac', await values(false));
    assert.deepEqual(kubectlJson(cluster, ['get', 'role', '--namespace', namespace]).items, []);
    const pod = await waitForPod(cluster, namespace, 'wait-db exit 3', (p) => Boolean(terminatedWith(p, 'wait-db', 3)), 120_000);
    const message = String(terminatedWith(pod, 'wait-db', 3)!.message);
    assert.match(
      message,
      new RegExp(
        `system:serviceaccount:${namespace}:example-example-app may not get jobs\\.batch in namespace "${namespace}" \\(HTTP 403\\); waiting cannot fix this: give the ServiceAccount a Role with "get" on jobs\\.batch .*initToolkit\\.rbac\\.create`,
      ),
    );
  });
});
