// End to end on a real Kubernetes: the example chart installed with `helm install` on the single-node
// cluster of scripts/cluster.sh (kube-apiserver, scheduler, controller-manager, kubelet and containerd,
// Kubernetes 1.35), with the tool images of `make images`, against the shared PostgreSQL, Redis and moto.
// The kubelet runs the init containers, mounts the volumes and records the termination messages: what the
// tests read is the pod status the API server reports, as an operator would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Obj } from '../chart/helm.ts';
import { parseLogs } from '../helpers/run.ts';
import { freePort, testPgUrl } from '../helpers/services.ts';
import { COUNTRIES, createFixtures, type Fixtures } from './fixtures.ts';
import { appPods, clusterUp, execIn, helm, isReady, kubectl, kubectlJson, terminatedWith, waitForPod, type Cluster } from './kube.ts';
import { releases as createReleases, type Releases } from './releases.ts';
import { assertNeverStarted, assertNoLeak, logsOf, statusOf } from './pod-status.ts';
import { podValues, STEPS } from './values.ts';

let cluster: Cluster;
let fixtures: Fixtures;
let releases: Releases;

before(async () => {
  cluster = clusterUp();
  fixtures = await createFixtures();
  releases = createReleases(cluster, fixtures.id);
});

after(async () => {
  releases?.cleanup();
  await fixtures?.cleanup();
});

const install = (suffix: string, values: Obj, labels?: Record<string, string>) => releases.install(suffix, values, labels);

const RESTRICTED = (mode: 'enforce' | 'warn' | 'audit'): Record<string, string> => ({ [`pod-security.kubernetes.io/${mode}`]: 'restricted' });

/** The Pod Security findings in the API server's warnings (`would violate PodSecurity "restricted:latest": a, b`). */
function findings(warnings: string): string[] {
  const found = new Set<string>();
  // helm quotes the warning it logs (\"restricted:latest\"): unescape first.
  for (const match of warnings.replaceAll('\\"', '"').matchAll(/violates? PodSecurity "restricted:[^"]+": ([^"\n]+)/g)) {
    for (const finding of match[1]!.split(/, (?=[a-z])/)) found.add(finding.trim());
  }
  return [...found];
}

const time = (text: string | undefined): number => (text ? Date.parse(text) : Number.NaN);

describe('the example chart on the real cluster', () => {
  it('helm install: the five init steps exit 0 in order, then the app runs and is Ready; helm test passes', async (t) => {
    const port = await freePort();
    const started = performance.now();
    // Pod Security through the real admission plugin: the namespace warns and audits at `restricted`.
    const { namespace, release, warnings } = install('ok', podValues(fixtures, { port }), { ...RESTRICTED('warn'), ...RESTRICTED('audit') });
    // hostNetwork (the test bed's way to 127.0.0.1) is outside the profile, and the only finding.
    assert.deepEqual(findings(warnings), ['host namespaces (hostNetwork=true)'], warnings);
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    t.diagnostic(`helm install to pod Ready: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The kubelet ran exactly the chart's init containers, in this order, each to exit 0, one after another.
    const inits = pod.status.initContainerStatuses as Obj[];
    assert.deepEqual(
      inits.map((s) => s.name),
      STEPS,
    );
    for (const status of inits) {
      assert.equal(status.state.terminated?.exitCode, 0, `${status.name}: ${JSON.stringify(status.state)}`);
      assert.equal(status.state.terminated.reason, 'Completed');
      assert.equal(status.restartCount, 0, `${status.name} was restarted`);
    }
    // Timestamps have a resolution of one second: the next one starts no earlier than the previous finished.
    for (let i = 1; i < inits.length; i++) {
      const previous = inits[i - 1]!.state.terminated;
      const current = inits[i]!.state.terminated;
      assert.ok(
        time(previous.finishedAt) <= time(current.startedAt),
        `${inits[i]!.name} started (${current.startedAt}) before ${inits[i - 1]!.name} finished (${previous.finishedAt})`,
      );
    }
    const app = statusOf(pod, 'app');
    assert.ok(app.state.running, `the app is not running: ${JSON.stringify(app.state)}`);
    assert.equal(app.ready, true);
    assert.ok(time(inits.at(-1)!.state.terminated.finishedAt) <= time(app.state.running.startedAt), 'the app started before render-config finished');

    // What the app found, through its own endpoint (hostNetwork: it listens on the node).
    const found = (await (await fetch(`http://127.0.0.1:${port}/found`)).json()) as {
      ready: boolean;
      found: Record<string, { files: Array<{ path: string; mode: string }> }>;
    };
    assert.equal(found.ready, true, JSON.stringify(found));

    // The kubelet's emptyDir with medium: Memory is a tmpfs, read-only in the app; the secret is there.
    const mounts = execIn(cluster, namespace, pod.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/proc/mounts', 'utf8'))");
    assert.match(mounts, /^\S+ \/secrets tmpfs ro,/m, 'the secrets volume is in memory and read-only for the app');
    const db = JSON.parse(execIn(cluster, namespace, pod.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/secrets/db.json'))"));
    assert.deepEqual(db, { username: 'app', password: fixtures.dbPassword });
    const inApp = (script: string): string => execIn(cluster, namespace, pod.metadata.name, 'app', script);
    assert.equal(inApp("process.stdout.write(require('fs').readFileSync('/secrets/api_key'))"), fixtures.apiKey);
    assert.match(inApp("try { require('fs').writeFileSync('/secrets/x', '') } catch (e) { process.stdout.write(e.code) }"), /EROFS/);
    assert.match(mounts, /^\S+ \/data (?!tmpfs)\S+ ro,/m, 'the data volume is on disk, read-only for the app');
    const files = Object.fromEntries(found.found.secrets!.files.map((f) => [f.path, f.mode]));
    // Group-readable (the chart's default for copy-secrets): an app running as another user of the pod's fsGroup reads them.
    assert.equal(files['db.json'], '0440');
    assert.equal(files.api_key, '0440');

    // The CSV from S3, checked and converted to NDJSON by the job in the generated config file.
    assert.match(logsOf(cluster, namespace, pod, 'data'), /"job":"job 1 \(\/etc\/init-toolkit\/data\.yaml jobs\[0\]\)"/);
    const ndjson = inApp("process.stdout.write(require('fs').readFileSync('/data/countries.ndjson'))");
    assert.deepEqual(
      ndjson
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
      COUNTRIES,
    );
    // The config rendered from the template, the secrets and an env var.
    assert.deepEqual(JSON.parse(inApp("process.stdout.write(require('fs').readFileSync('/config/app.json'))")), {
      service: `example-${fixtures.id}`,
      database: { url: `postgres://app:${fixtures.dbPassword}@127.0.0.1:55432/toolkit` },
      apiKey: fixtures.apiKey,
      dataFile: '/data/countries.ndjson',
    });
    // No secret value in any container's log (kubectl logs) or termination message (the pod status).
    assertNoLeak(cluster, namespace, pod, [...STEPS, 'app'], [fixtures.dbPassword, fixtures.apiKey, 'toolkit-pass', 'redis-pass']);

    // The chart's `helm test` hook pod agrees (with hostNetwork it calls the app on 127.0.0.1). No --logs:
    // the hook's delete policy (hook-succeeded) removes the pod before helm could read them.
    const test = helm(cluster, ['test', release, '--namespace', namespace, '--timeout', '2m']);
    assert.equal(test.status, 0, `helm test failed: ${test.stdout}\n${test.stderr}`);
    assert.match(test.stdout, /Phase:\s+Succeeded/);
  });

  it('the second workload: a Job from the CronJob runs only its own step (fetch), then its report container, to completion', async () => {
    const { namespace } = install('cron', podValues(fixtures, { port: await freePort() }));
    const cronJob = kubectl(cluster, ['get', 'cronjob', '--namespace', namespace, '-o', 'name']).stdout.trim();
    assert.match(cronJob, /^cronjob\.batch\/.+-export$/);
    const created = kubectl(cluster, ['create', 'job', 'export-now', '--from', cronJob, '--namespace', namespace]);
    assert.equal(created.status, 0, created.stderr);
    const deadline = Date.now() + 120_000;
    let job: Obj = {};
    while (Date.now() < deadline && !(job.status?.succeeded >= 1 || job.status?.failed >= 1)) {
      await new Promise((done) => setTimeout(done, 500));
      job = kubectlJson(cluster, ['get', 'job', 'export-now', '--namespace', namespace]);
    }
    assert.equal(job.status?.succeeded, 1, `the Job did not succeed: ${JSON.stringify(job.status)}`);
    const [pod] = kubectlJson(cluster, ['get', 'pods', '--namespace', namespace, '--selector', 'job-name=export-now']).items as Obj[];
    assert.deepEqual(
      (pod!.status.initContainerStatuses as Obj[]).map((c) => [c.name, c.state.terminated?.exitCode]),
      [['data', 0]],
    );
    const report = parseLogs(logsOf(cluster, namespace, pod!, 'report')).find((line) => line.msg === 'report') as {
      found: Record<string, { files: Array<{ path: string }> }>;
    };
    assert.deepEqual(Object.keys(report.found), ['data'], 'the CronJob pod mounts only the volume its step fills');
    assert.deepEqual(
      report.found.data!.files.map((f) => f.path),
      ['countries.ndjson', 'countries.ndjson.manifest.json'],
    );
  });

  it('a database password from a Kubernetes Secret (valueFrom.secretKeyRef), not in the URL: the wait step is ready, the password never shown', async () => {
    const values = podValues(fixtures, { port: await freePort() });
    const pg = new URL(testPgUrl());
    values.initToolkit.steps['wait-db'] = {
      settings: { targets: [`db=postgres://${pg.username}@${pg.host}${pg.pathname}`], 'password-env': ['db=DB_PASSWORD'], timeout: '30s' },
      env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'app-db', key: 'password' } } }],
    };
    const { namespace } = install('pgsecret', values);
    const created = kubectl(cluster, [
      'create',
      'secret',
      'generic',
      'app-db',
      '--namespace',
      namespace,
      `--from-literal=password=${decodeURIComponent(pg.password)}`,
    ]);
    assert.equal(created.status, 0, created.stderr);
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    assert.equal(statusOf(pod, 'wait-db').state.terminated?.exitCode, 0);
    assert.match(logsOf(cluster, namespace, pod, 'wait-db'), /"target":"db=postgres:\/\/toolkit@127\.0\.0\.1:55432\/toolkit"/);
    assertNoLeak(cluster, namespace, pod, ['wait-db'], [decodeURIComponent(pg.password)]);
  });

  it('an app running as another user reads the secrets through the pod fsGroup (0440, the chart default); with 0400 it cannot', async () => {
    const read = "try { process.stdout.write(String(require('fs').readFileSync('/secrets/api_key').length)) } catch (e) { process.stdout.write(e.code) }";
    const asUser = async (suffix: string, mode: string | undefined): Promise<{ id: string; read: string }> => {
      const values = podValues(fixtures, { port: await freePort() });
      values.app.securityContext = { runAsUser: 1000 };
      if (mode) values.initToolkit.steps.secrets.settings.mode = mode;
      const { namespace } = install(suffix, values);
      const pod = await waitForPod(
        cluster,
        namespace,
        'the app running',
        (p) => Boolean((p.status?.containerStatuses ?? []).find((c: Obj) => c.name === 'app')?.state?.running),
        120_000,
      );
      const id = execIn(cluster, namespace, pod.metadata.name, 'app', "process.stdout.write(`${process.getuid()} ${process.getgroups().join(',')}`)");
      return { id, read: execIn(cluster, namespace, pod.metadata.name, 'app', read) };
    };
    const group = await asUser('fsgroup', undefined);
    assert.match(group.id, /^1000 .*\b65532\b/, 'uid 1000 with the fsGroup as a supplementary group');
    assert.equal(group.read, String(fixtures.apiKey.length));
    assert.equal((await asUser('owneronly', '0400')).read, 'EACCES');
  });

  it('a custom order: the kubelet runs the init containers in the order the values give', async () => {
    const values = podValues(fixtures, { port: await freePort() });
    const steps = values.initToolkit.steps;
    steps.data.order = 1;
    steps['wait-db'].order = 50;
    steps['wait-cache'].order = 60;
    steps.secrets.dependsOn = ['wait-db'];
    steps.config.dependsOn = ['secrets'];
    const { namespace } = install('order', values);
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    // config's order (40) is below wait-cache's (60), but config waits for secrets, which waits for wait-db.
    const inits = pod.status.initContainerStatuses as Obj[];
    assert.deepEqual(
      inits.map((s) => s.name),
      ['data', 'wait-db', 'secrets', 'config', 'wait-cache'],
    );
    for (let i = 1; i < inits.length; i++) {
      assert.equal(inits[i - 1]!.state.terminated?.exitCode, 0);
      assert.ok(
        time(inits[i - 1]!.state.terminated.finishedAt) <= time(inits[i]!.state.terminated.startedAt),
        `${inits[i]!.name} started before ${inits[i - 1]!.name} finished`,
      );
    }
  });

  it('helm test fails, naming the file, when the app lacks an expected file', async () => {
    const values = podValues(fixtures, { port: await freePort() });
    values.app.expect.config = ['app.json', 'not-rendered.yaml'];
    const { namespace, release } = install('hook', values);
    // The app runs but never reports ready: it waits for the file no init container writes.
    const pod = await waitForPod(cluster, namespace, 'the app running', (p) => Boolean((p.status?.containerStatuses ?? [])[0]?.state?.running));
    assert.ok(!isReady(pod));
    const test = helm(cluster, ['test', release, '--namespace', namespace, '--timeout', '2m', '--logs']);
    assert.notEqual(test.status, 0, `helm test passed: ${test.stdout}`);
    assert.match(`${test.stdout}\n${test.stderr}`, /the app lacks config:not-rendered\.yaml/);
  });

  it('a database that never comes: the wait-db step (wait-for-db) exits 124 naming the target in the pod status, nothing after it starts', async () => {
    const port = await freePort(); // nothing listens there
    const target = `postgres://toolkit:toolkit-pass@127.0.0.1:${port}/toolkit`;
    const { namespace } = install('nodb', podValues(fixtures, { port: await freePort(), targets: [target], waitTimeout: '3s' }));
    let terminated: Obj | undefined;
    const pod = await waitForPod(cluster, namespace, 'wait-db terminated with exit 124', (p) => Boolean((terminated = terminatedWith(p, 'wait-db', 124))));
    assert.equal(terminated!.reason, 'Error');
    assert.match(String(terminated!.message), new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(!String(terminated!.message).includes('toolkit-pass'), 'the password is redacted');
    assertNeverStarted(pod, ['secrets', 'data', 'config', 'app']);
    assert.equal(pod.status.phase, 'Pending');
  });

  it('a missing secret: the secrets step (copy-secrets) exits 3 naming it, the app never starts; the pod backs off and succeeds once the secret exists', async (t) => {
    const missing = `${fixtures.id}/created-later`;
    const { namespace } = install(
      'nosecret',
      podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, `${missing}?as=api_key`] }),
    );
    // The Deployment's pod (restartPolicy Always) restarts a failed init container with a back-off; the
    // failure is in state.terminated until the kubelet's next sync shows CrashLoopBackOff, then in lastState.
    let terminated: Obj | undefined;
    const pod = await waitForPod(cluster, namespace, 'secrets terminated with exit 3', (p) => Boolean((terminated = terminatedWith(p, 'secrets', 3))));
    assert.equal(terminated!.reason, 'Error');
    assert.ok(String(terminated!.message).includes(missing), `the termination message names ${missing}: ${terminated!.message}`);
    assert.equal(statusOf(pod, 'wait-db').state.terminated?.exitCode, 0);
    assertNeverStarted(pod, ['data', 'config', 'app']);
    assert.equal(pod.status.phase, 'Pending');
    assert.ok(!isReady(pod));
    assertNoLeak(cluster, namespace, pod, ['secrets'], [fixtures.dbPassword]);

    // Once the secret exists, the next restart of copy-secrets succeeds and the same pod becomes Ready.
    const value = `late-${fixtures.id}`;
    await fixtures.putSecret(missing, value);
    const started = performance.now();
    const ready = await waitForPod(cluster, namespace, 'the app pod Ready after the secret was created', isReady);
    t.diagnostic(`secret created to pod Ready: ${((performance.now() - started) / 1000).toFixed(1)} s (the kubelet's back-off)`);
    assert.equal(ready.metadata.uid, pod.metadata.uid, 'the same pod, not a new one');
    const copySecrets = statusOf(ready, 'secrets');
    assert.equal(copySecrets.state.terminated?.exitCode, 0);
    assert.ok(copySecrets.restartCount >= 1, 'copy-secrets was restarted by the back-off');
    assert.equal(execIn(cluster, namespace, ready.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/secrets/api_key'))"), value);
  });

  it('a full medium: Memory volume: the secrets step exits 2 saying the volume is full', async () => {
    const big = `${fixtures.id}/big`;
    await fixtures.putSecret(big, 'x'.repeat(48 * 1024));
    const values = podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, `${big}?as=api_key`] });
    // The kubelet sizes the tmpfs by sizeLimit: two pages.
    values.initToolkit.volumes = { secrets: { sizeLimit: '8Ki' } };
    const { namespace } = install('full', values);
    let terminated: Obj | undefined;
    const pod = await waitForPod(cluster, namespace, 'secrets terminated with exit 2', (p) => Boolean((terminated = terminatedWith(p, 'secrets', 2))));
    assert.match(String(terminated!.message), /the output volume is full \(ENOSPC\)/);
    const mounts = kubectl(cluster, [
      'get',
      'pod',
      '--namespace',
      namespace,
      pod.metadata.name,
      '-o',
      'jsonpath={.spec.volumes[?(@.name=="init-secrets")].emptyDir}',
    ]);
    assert.match(mounts.stdout, /"medium":"Memory"/);
    assertNeverStarted(pod, ['data', 'config', 'app']);
  });

  it('restricted enforced: a pod without network (render-config, fetch from file://) runs; a non-compliant rendering is rejected', async () => {
    // No database, no AWS: render-config from its ConfigMap, fetch-and-convert-data its own config file.
    const offline = (): Obj => {
      const values = podValues(fixtures, { port: 8080 });
      values.hostNetwork = false;
      values.tests = { enabled: false };
      values.app.expect = { secrets: [], data: ['jobs.json'], config: ['app.json'] };
      const steps = values.initToolkit.steps;
      steps['wait-db'] = null;
      steps['wait-cache'] = null;
      steps.secrets = null;
      steps.data = { ...steps.data, config: { jobs: [{ source: 'file:///etc/init-toolkit/data.yaml', name: 'jobs.json', convert: ['yaml:json'] }] }, env: [] };
      steps.config.dependsOn = ['data'];
      steps.config.templates = { files: { 'app.json': '{ "service": "{{ APP_NAME }}" }\n' } };
      return values;
    };
    const ok = install('enforced', offline(), { ...RESTRICTED('enforce'), ...RESTRICTED('warn') });
    assert.deepEqual(findings(ok.warnings), [], ok.warnings);
    // The app listens on its pod's loopback only (APP_HOST): it runs, the kubelet's probe cannot reach it.
    const pod = await waitForPod(cluster, ok.namespace, 'the app running', (p) => Boolean((p.status?.containerStatuses ?? [])[0]?.state?.running));
    for (const status of pod.status.initContainerStatuses as Obj[])
      assert.equal(status.state.terminated?.exitCode, 0, `${status.name}: ${JSON.stringify(status.state)}`);
    assert.deepEqual(
      (pod.status.initContainerStatuses as Obj[]).map((s) => s.name),
      ['data', 'config'],
    );
    const jobs = JSON.parse(execIn(cluster, ok.namespace, pod.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/data/jobs.json'))"));
    assert.equal(jobs.jobs[0].name, 'jobs.json');
    assert.deepEqual(
      JSON.parse(execIn(cluster, ok.namespace, pod.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/config/app.json'))")),
      { service: `example-${fixtures.id}` },
    );

    // The same pod with a securityContext override: the API server refuses the ReplicaSet's pod.
    const values = offline();
    values.initToolkit.securityContext = { allowPrivilegeEscalation: true, runAsNonRoot: false, runAsUser: 0 };
    const bad = install('rejected', values, RESTRICTED('enforce'));
    let refusal = '';
    const deadline = Date.now() + 60_000;
    while (!refusal && Date.now() < deadline) {
      const events = kubectlJson(cluster, ['get', 'events', '--namespace', bad.namespace, '--field-selector', 'reason=FailedCreate']);
      refusal = (events.items as Obj[]).map((e) => String(e.message)).join('\n');
      if (!refusal) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.match(refusal, /is forbidden: violates PodSecurity "restricted:latest": .*allowPrivilegeEscalation != false/);
    assert.match(refusal, /runAsNonRoot != true|runAsUser=0/);
    assert.equal(appPods(cluster, bad.namespace).length, 0, 'no pod was admitted');
  });

  it('helm upgrade with a changed template rolls the pod: a new pod with the new content', async () => {
    const values = podValues(fixtures, { port: await freePort() });
    const installed = install('upgrade', values);
    const { namespace } = installed;
    const before = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    const files = values.initToolkit.steps.config.templates.files;
    files['app.json'] = files['app.json'].replace('"service"', '"revision": 2,\n  "service"');
    // On the node's network the new pod's app cannot bind the old one's port while the rollout keeps the
    // old pod until the new one is Ready: the new revision listens on another port.
    values.app.port = await freePort();
    const upgraded = releases.upgrade(installed, 'upgrade-2', values);
    assert.equal(upgraded.status, 0, upgraded.stderr);
    // The Deployment's rollout: a new pod Ready, the old one gone.
    const after = await waitForPod(cluster, namespace, 'one new pod Ready', (p) => p.metadata.uid !== before.metadata.uid && isReady(p), 180_000, true);
    const config = JSON.parse(execIn(cluster, namespace, after.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/config/app.json'))"));
    assert.equal(config.revision, 2);
    assert.notEqual(after.metadata.annotations['checksum/init-toolkit'], before.metadata.annotations['checksum/init-toolkit']);
  });
});
