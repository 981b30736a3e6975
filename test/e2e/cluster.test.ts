// End to end on a real Kubernetes: the example chart installed with `helm install` on the single-node
// cluster of scripts/cluster.sh (kube-apiserver, scheduler, controller-manager, kubelet and containerd,
// Kubernetes 1.35), with the tool images of `make images`, against the shared PostgreSQL, Redis and moto.
// The kubelet runs the init containers, mounts the volumes and records the termination messages: what the
// tests read is the pod status the API server reports, as an operator would.
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { chartsCopy, repoRoot, type Obj } from '../chart/helm.ts';
import { freePort } from '../helpers/services.ts';
import { createFixtures, type Fixtures } from './fixtures.ts';
import { appPods, clusterUp, execIn, helm, isReady, kubectl, waitForPod, type Cluster } from './kube.ts';
import { podValues } from './values.ts';

const INIT_CONTAINERS = ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config'];

let cluster: Cluster;
let fixtures: Fixtures;
let charts: { dir: string; cleanup: () => void };
let workDir: string;
const namespaces: string[] = [];

before(async () => {
  cluster = clusterUp();
  charts = chartsCopy();
  workDir = mkdtempSync(join(tmpdir(), 'e2e-cluster-'));
  fixtures = await createFixtures();
});

after(async () => {
  // --wait=false: the namespaces go in the background; the cluster stays up for the next run.
  for (const namespace of namespaces) kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  charts?.cleanup();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await fixtures?.cleanup();
});

/**
 * `helm install` of the example chart with the e2e values and `values`, into a fresh namespace. The app
 * shares the node's network (hostNetwork): APP_HOST keeps it listening on 127.0.0.1 only.
 */
function install(suffix: string, values: Obj): { namespace: string; release: string } {
  values.app.env = [...(values.app.env ?? []), { name: 'APP_HOST', value: '127.0.0.1' }];
  const namespace = `${fixtures.id}-${suffix}`;
  const release = 'example';
  namespaces.push(namespace);
  const valuesFile = join(workDir, `${suffix}.yaml`);
  writeFileSync(valuesFile, stringify(values));
  const result = helm(cluster, [
    'install', release, join(charts.dir, 'example-app'), '--namespace', namespace, '--create-namespace',
    '--values', join(repoRoot, 'test', 'e2e', 'values', 'e2e.yaml'), '--values', valuesFile,
  ]);
  assert.equal(result.status, 0, `helm install failed: ${result.stderr}`);
  return { namespace, release };
}

const time = (text: string | undefined): number => (text ? Date.parse(text) : Number.NaN);

function statusOf(pod: Obj, name: string): Obj {
  const status = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((s: Obj) => s.name === name);
  assert.ok(status, `no status for container ${name}: ${JSON.stringify(pod.status)}`);
  return status;
}

describe('the example chart on the real cluster', () => {
  it('helm install: the four init containers exit 0 in order, then the app runs and is Ready; helm test passes', async (t) => {
    const port = await freePort();
    const started = performance.now();
    const { namespace, release } = install('ok', podValues(fixtures, { port }));
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    t.diagnostic(`helm install to pod Ready: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The kubelet ran exactly the chart's init containers, in this order, each to exit 0, one after another.
    const inits = pod.status.initContainerStatuses as Obj[];
    assert.deepEqual(inits.map((s) => s.name), INIT_CONTAINERS);
    for (const status of inits) {
      assert.equal(status.state.terminated?.exitCode, 0, `${status.name}: ${JSON.stringify(status.state)}`);
      assert.equal(status.state.terminated.reason, 'Completed');
      assert.equal(status.restartCount, 0, `${status.name} was restarted`);
    }
    // Timestamps have a resolution of one second: the next one starts no earlier than the previous finished.
    for (let i = 1; i < inits.length; i++) {
      const previous = inits[i - 1]!.state.terminated;
      const current = inits[i]!.state.terminated;
      assert.ok(time(previous.finishedAt) <= time(current.startedAt), `${inits[i]!.name} started (${current.startedAt}) before ${inits[i - 1]!.name} finished (${previous.finishedAt})`);
    }
    const app = statusOf(pod, 'app');
    assert.ok(app.state.running, `the app is not running: ${JSON.stringify(app.state)}`);
    assert.equal(app.ready, true);
    assert.ok(time(inits.at(-1)!.state.terminated.finishedAt) <= time(app.state.running.startedAt), 'the app started before render-config finished');

    // What the app found, through its own endpoint (hostNetwork: it listens on the node).
    const found = (await (await fetch(`http://127.0.0.1:${port}/found`)).json()) as { ready: boolean };
    assert.equal(found.ready, true, JSON.stringify(found));

    // The kubelet's emptyDir with medium: Memory is a tmpfs, read-only in the app; the secret is there.
    const mounts = execIn(cluster, namespace, pod.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/proc/mounts', 'utf8'))");
    assert.match(mounts, /^\S+ \/secrets tmpfs ro,/m, 'the secrets volume is in memory and read-only for the app');
    const db = JSON.parse(execIn(cluster, namespace, pod.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/secrets/db.json'))"));
    assert.deepEqual(db, { username: 'app', password: fixtures.dbPassword });

    // The chart's `helm test` hook pod agrees (with hostNetwork it calls the app on 127.0.0.1). No --logs:
    // the hook's delete policy (hook-succeeded) removes the pod before helm could read them.
    const test = helm(cluster, ['test', release, '--namespace', namespace, '--timeout', '2m']);
    assert.equal(test.status, 0, `helm test failed: ${test.stdout}\n${test.stderr}`);
    assert.match(test.stdout, /Phase:\s+Succeeded/);
  });

  it('a missing secret: copy-secrets exits 3 with the secret named in the pod status, and the app never starts', async (t) => {
    const missing = `${fixtures.id}/does-not-exist`;
    const { namespace } = install('nosecret', podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, missing] }));
    // The Deployment's pod restarts a failed init container (restartPolicy Always) with a back-off; the
    // failure is in state.terminated until the kubelet's next sync shows CrashLoopBackOff, then in lastState.
    let seenIn = '';
    const pod = await waitForPod(cluster, namespace, 'copy-secrets terminated with exit 3', (p) => {
      const status = (p.status?.initContainerStatuses ?? []).find((s: Obj) => s.name === 'copy-secrets');
      if (status?.state?.terminated?.exitCode === 3) seenIn = 'state';
      else if (status?.lastState?.terminated?.exitCode === 3) seenIn = 'lastState';
      return seenIn !== '';
    });
    t.diagnostic(`copy-secrets' exit 3 seen in initContainerStatuses[].${seenIn}.terminated`);
    const copySecrets = statusOf(pod, 'copy-secrets');
    const terminated = seenIn === 'state' ? copySecrets.state.terminated : copySecrets.lastState.terminated;
    assert.equal(terminated.reason, 'Error');
    assert.ok(String(terminated.message).includes(missing), `the termination message names ${missing}: ${terminated.message}`);
    assert.ok(!String(terminated.message).includes(fixtures.dbPassword), 'no secret value in the termination message');

    assert.equal(statusOf(pod, 'wait-for-db').state.terminated?.exitCode, 0);
    for (const name of ['fetch-and-convert-data', 'render-config', 'app']) {
      const status = statusOf(pod, name);
      assert.ok(status.state.waiting, `${name} must never start: ${JSON.stringify(status.state)}`);
      assert.equal(status.restartCount, 0);
      assert.equal(status.lastState?.terminated, undefined, `${name} ran before`);
    }
    assert.equal(pod.status.phase, 'Pending');
    assert.ok(!isReady(pod));
    // The same, a moment later: the back-off restarts copy-secrets, never what comes after it.
    const later = appPods(cluster, namespace)[0]!;
    assert.ok(statusOf(later, 'app').state.waiting, 'the app never starts');
  });
});
