// k8s:// targets against the real single-node cluster of scripts/cluster.sh, from outside it (a
// kubeconfig, as a developer or a CI job runs wait-for-db): Jobs that complete or fail, a Job created late,
// Deployments, Services with and without ready endpoints, pods by selector; a ServiceAccount token without
// RBAC (403) and a bad token (401). Each test makes its own objects in the run's namespace.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterUp, kubectl, type Cluster } from '../../e2e/kube.ts';
import { deployment, job, list, service } from '../../helpers/kube-objects.ts';
import { failureLine, startTool } from '../../helpers/run.ts';
import { assertNeverShown, waitForDb } from './fixtures.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

let cluster: Cluster;
let dir: string;
const namespace = `wfdb-${randomBytes(4).toString('hex')}`;

function apply(...objects: Array<Record<string, unknown>>): void {
  const result = kubectl(cluster, ['apply', '--namespace', namespace, '-f', '-'], list(objects));
  assert.equal(result.status, 0, result.stderr);
}

function must(args: string[]): string {
  const result = kubectl(cluster, args);
  assert.equal(result.status, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** wait-for-db with the admin kubeconfig (client certificate files), outside the cluster. */
const wait = (timeout: string, targets: string[], env: Record<string, string> = {}) =>
  waitForDb(dir, timeout, ['--interval', '200ms', '--max-interval', '500ms', ...targets], {
    KUBECONFIG: cluster.kubeconfig,
    KUBERNETES_SERVICE_HOST: '',
    ...env,
  });

/** A kubeconfig of a bearer token and the cluster's CA inline (certificate-authority-data). */
function tokenKubeconfig(name: string, token: string, contextNamespace?: string): string {
  const admin = readFileSync(cluster.kubeconfig, 'utf8');
  const server = /server: (\S+)/.exec(admin)![1]!;
  const caPath = /certificate-authority: (\S+)/.exec(admin)![1]!;
  const path = join(dir, `${name}.kubeconfig`);
  const context = contextNamespace ? `{cluster: c, user: u, namespace: ${contextNamespace}}` : '{cluster: c, user: u}';
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- {name: c, cluster: {server: "${server}", certificate-authority-data: ${readFileSync(caPath).toString('base64')}}}`,
      `users: [{name: u, user: {token: "${token}"}}]`,
      `contexts: [{name: t, context: ${context}}]`,
      'current-context: t',
      '',
    ].join('\n'),
  );
  return path;
}

before(() => {
  cluster = clusterUp();
  dir = tempDir('wfdb-k8s-');
  must(['create', 'namespace', namespace]);
});

after(() => {
  if (cluster) kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false']);
});

describe('wait-for-db k8s:// targets on the real cluster', { concurrency: true }, () => {
  it('a Job that completes after 4 s: not ready while it runs, exit 0 once Complete', async () => {
    apply(job('migrate', 4));
    const run = await wait('90s', [`k8s://job/migrate?namespace=${namespace}`]);
    assert.equal(run.code, 0, run.stderr);
    const states = run.logs.filter((l) => l.msg === 'not ready' || l.msg === 'ready');
    // The first look may come before the Job controller counted the pod: "(0 active" then.
    assert.match(String(states[0]?.error), /has not completed yet \(\d+ active|not found \(yet\)/);
    assert.match(String(states.at(-1)?.detail), /^job "migrate" in namespace "wfdb-[0-9a-f]+" completed \(0 active, 1 succeeded, 0 failed\)$/);
    assert.equal(must(['get', 'job', 'migrate', '-n', namespace, '-o', 'jsonpath={.status.succeeded}']), '1');
  });

  it('a Job that fails: exit 3 with its reason, long before the deadline', async () => {
    apply(job('broken', 1, 1));
    const run = await wait('90s', [`k8s://job/broken?namespace=${namespace}`]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      failureLine(run).msg,
      /job "broken" in namespace "wfdb-[0-9a-f]+" failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\); waiting cannot fix this/,
    );
    assert.match(run.termination, /BackoffLimitExceeded/);
    assert.ok(run.durationMs < 60_000);
  });

  it('a Job created after the wait began (a Helm hook): 404 is logged as not found yet, then exit 0', async () => {
    const running = startTool(
      'wait-for-db',
      ['--timeout', '90s', '--interval', '200ms', '--max-interval', '500ms', `late=k8s://job/late?namespace=${namespace}`],
      {
        env: { KUBECONFIG: cluster.kubeconfig, KUBERNETES_SERVICE_HOST: '' },
      },
    );
    // Created only once the tool has seen it missing, however slow the machine is.
    await running.stderrMatches(/not found \(yet\)/);
    apply(job('late', 1));
    const run = await running.result;
    assert.equal(run.code, 0, run.stderr);
    const first = run.logs.find((l) => l.msg === 'not ready');
    assert.match(String(first?.error), /^job "late" in namespace "wfdb-[0-9a-f]+" not found \(yet\): jobs.batch "late" not found$/);
  });

  it('a Deployment: exit 0 once rolled out and Available; one that never gets a ready pod times out (124) saying why', async () => {
    apply(deployment('api', 2), deployment('stuck', 1, false));
    // The short waits start once the long one is done: by then the controllers have acted on every object
    // applied here, so what the short wait reports no longer depends on how loaded the machine is.
    const ready = await wait('90s', [`k8s://deployment/api?namespace=${namespace}`]);
    const stuck = await wait('8s', [`k8s://deployment/stuck?namespace=${namespace}`]);
    assert.equal(ready.code, 0, ready.stderr);
    assert.match(String(ready.logs.find((l) => l.msg === 'ready')?.detail), /rolled out \(2 of 2 replicas available\)/);
    assert.equal(stuck.code, 124, stuck.stderr);
    assert.match(failureLine(stuck).msg, /deployment "stuck" in namespace "wfdb-[0-9a-f]+": 0 of 1 replicas available/);
  });

  it('a Service: exit 0 with a ready endpoint; without one (pods not ready, or none selected) 124', async () => {
    apply(deployment('web', 1), service('web', 'web'), deployment('cold', 1, false), service('cold', 'cold'), service('empty', 'nobody'));
    const web = await wait('90s', [`k8s://service/web?namespace=${namespace}`]);
    const [cold, empty] = await Promise.all([
      wait('10s', [`k8s://service/cold?namespace=${namespace}`]),
      wait('6s', [`k8s://service/empty?namespace=${namespace}`]),
    ]);
    assert.equal(web.code, 0, web.stderr);
    assert.match(String(web.logs.find((l) => l.msg === 'ready')?.detail), /^service "web" in namespace "wfdb-[0-9a-f]+" has 1 ready endpoint$/);
    assert.equal(cold.code, 124, cold.stderr);
    assert.match(failureLine(cold).msg, /service "cold" in namespace "wfdb-[0-9a-f]+" has no ready endpoint \(1 not ready\)/);
    assert.equal(empty.code, 124, empty.stderr);
    assert.match(failureLine(empty).msg, /service "empty" .* has no ready endpoint \(0 not ready\)/);
  });

  it('pods by selector: exit 0 when all matching pods are Ready; no match, or one not Ready, is not ready', async () => {
    apply(deployment('db', 2), deployment('half', 1, false));
    const db = await wait('90s', [`k8s://pods?selector=app%3Ddb&namespace=${namespace}`]);
    const [none, half] = await Promise.all([
      wait('4s', [`k8s://pods?selector=app%3Dnobody&namespace=${namespace}`]),
      wait('10s', [`k8s://pods?selector=app%20in%20(db,half)&namespace=${namespace}`]),
    ]);
    assert.equal(db.code, 0, db.stderr);
    assert.match(String(db.logs.find((l) => l.msg === 'ready')?.detail), /^2 of 2 pods matching selector "app=db" in namespace "wfdb-[0-9a-f]+" ready$/);
    assert.equal(none.code, 124, none.stderr);
    assert.match(failureLine(none).msg, /no pod matches selector "app=nobody"/);
    assert.equal(half.code, 124, half.stderr);
    assert.match(failureLine(half).msg, /2 of 3 pods matching selector "app in \(db,half\)" .* ready; not ready: half-/);
  });

  it('the namespace of the kubeconfig context is the default; a ServiceAccount token without RBAC: exit 3 naming what it lacks, the token never shown', async () => {
    must(['create', 'serviceaccount', 'no-rbac', '-n', namespace]);
    const token = must(['create', 'token', 'no-rbac', '-n', namespace]);
    const kubeconfig = tokenKubeconfig('no-rbac', token, namespace);
    const run = await wait('30s', ['k8s://job/migrate', 'k8s://service/web'], { KUBECONFIG: kubeconfig });
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      failureLine(run).msg,
      new RegExp(
        `system:serviceaccount:${namespace}:no-rbac may not (get jobs\\.batch|list endpointslices\\.discovery\\.k8s\\.io) in namespace "${namespace}" \\(HTTP 403\\); waiting cannot fix this: use a kubeconfig user that has it`,
      ),
    );
    assertNeverShown(run, token);
  });

  it('a token the API server refuses: exit 3 (HTTP 401) at the first attempt, the token never shown', async () => {
    const token = `not-a-token-${randomBytes(16).toString('hex')}`;
    const run = await wait('30s', ['k8s://job/migrate'], { KUBECONFIG: tokenKubeconfig('bad-token', token) });
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      failureLine(run).msg,
      /the API server refused the credentials \(HTTP 401\); waiting cannot fix this: check the token or client certificate of kubeconfig context "t" \(user "u"\)/,
    );
    assert.equal(run.logs.filter((l) => l.msg === 'not ready').length, 1);
    assertNeverShown(run, token);
  });

  it('no kubeconfig and not in a pod: exit 2 with the fix', async () => {
    const run = await wait('5s', ['k8s://job/migrate'], { KUBECONFIG: join(dir, 'absent.kubeconfig') });
    assert.equal(run.code, 2, run.stderr);
    assert.match(failureLine(run).msg, /no kubeconfig at .*absent\.kubeconfig; set KUBECONFIG/);
  });
});
