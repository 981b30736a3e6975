// End to end: the example chart's pod in podman, with the real tool images, against the shared
// PostgreSQL, Redis and moto. The happy path (all four tools, then the app), and the two failures that
// must keep the app from starting: a database that never comes, a required secret that does not exist.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/services.ts';
import { COUNTRIES, createFixtures, type Fixtures } from './fixtures.ts';
import { loadImages, TOOLS } from './images.ts';
import { podman, playPod, type PodRun } from './pod.ts';
import { podValues } from './values.ts';

let fixtures: Fixtures;
before(async () => {
  loadImages(TOOLS);
  fixtures = await createFixtures();
});
after(async () => fixtures?.cleanup());

/** Runs node in the app container (the image has no shell) and returns its stdout. */
function inApp(run: PodRun, script: string): string {
  const result = podman(['exec', `${run.name}-app`, 'node', '-e', script]);
  assert.equal(result.status, 0, `podman exec in the app: ${result.stderr}`);
  return result.stdout;
}

async function waitForReady(port: number): Promise<unknown> {
  const deadline = Date.now() + 20_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/found`);
      const body = await res.json();
      if ((body as { ready?: boolean }).ready) return body;
      last = JSON.stringify(body);
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the app never reported ready on port ${port}: ${last}`);
}

function assertNoLeak(run: PodRun, containers: readonly string[], values: readonly string[]): void {
  for (const name of containers) {
    const result = run.inspect(name);
    for (const value of values) {
      assert.ok(!result.logs.includes(value), `${name}'s logs contain a secret value`);
      assert.ok(!result.terminationMessage.includes(value), `${name}'s termination message contains a secret value`);
    }
  }
}

describe('the example pod in podman', () => {
  it('runs the init containers in order, each does its job, and the app finds secrets, data and config', async (t) => {
    const port = await freePort();
    const run = playPod(`${fixtures.id}-ok`, podValues(fixtures, { port }));
    t.after(() => run.remove());
    assert.equal(run.playStatus, 0, `podman kube play failed: ${run.playStderr}\n${run.manifest}`);
    assert.deepEqual(run.initContainers, ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config']);

    // In order: each init container exited 0 before the next one started, and the app after them all.
    const results = [...run.initContainers, 'app'].map((name) => run.inspect(name));
    for (const result of results.slice(0, -1)) assert.equal(result.exitCode, 0, `${result.name} exited ${result.exitCode}: ${result.logs}`);
    for (let i = 1; i < results.length; i++) {
      const previous = results[i - 1]!;
      const current = results[i]!;
      assert.ok(previous.finishedAt && current.startedAt && previous.finishedAt <= current.startedAt, `${current.name} started before ${previous.name} finished`);
    }

    const found = (await waitForReady(port)) as { found: Record<string, { files: Array<{ path: string; mode: string }> }> };
    const secrets = Object.fromEntries(found.found.secrets!.files.map((f) => [f.path, f.mode]));
    assert.equal(secrets['db.json'], '0400');
    assert.equal(secrets.api_key, '0400');

    // The secrets copied from Secrets Manager, readable by the app, on a read-only tmpfs.
    const db = JSON.parse(inApp(run, "process.stdout.write(require('fs').readFileSync('/secrets/db.json'))"));
    assert.deepEqual(db, { username: 'app', password: fixtures.dbPassword });
    assert.equal(inApp(run, "process.stdout.write(require('fs').readFileSync('/secrets/api_key'))"), fixtures.apiKey);
    assert.match(inApp(run, "try { require('fs').writeFileSync('/secrets/x', '') } catch (e) { process.stdout.write(e.code) }"), /EROFS/);
    const mounts = inApp(run, "process.stdout.write(require('fs').readFileSync('/proc/mounts', 'utf8'))");
    assert.match(mounts, /^\S+ \/secrets tmpfs ro,/m, 'the secrets volume is in memory');
    assert.match(mounts, /^\S+ \/data (?!tmpfs)\S+ ro,/m, 'the data volume is on disk, read-only for the app');

    // The CSV from S3, checked and converted to NDJSON by the job in the generated config file.
    const fetchData = run.inspect('fetch-and-convert-data');
    assert.match(fetchData.logs, /"job":"job 1 \(\/etc\/init-toolkit\/fetch-and-convert-data\.yaml jobs\[0\]\)"/);
    const ndjson = inApp(run, "process.stdout.write(require('fs').readFileSync('/data/countries.ndjson'))");
    assert.deepEqual(ndjson.trim().split('\n').map((line) => JSON.parse(line)), COUNTRIES);

    // The config rendered from the template, the secrets and an env var.
    const config = JSON.parse(inApp(run, "process.stdout.write(require('fs').readFileSync('/config/app.json'))"));
    assert.deepEqual(config, {
      service: `example-${fixtures.id}`,
      database: { url: `postgres://app:${fixtures.dbPassword}@127.0.0.1:55432/toolkit` },
      apiKey: fixtures.apiKey,
      dataFile: '/data/countries.ndjson',
    });

    assertNoLeak(run, [...run.initContainers, 'app'], [fixtures.dbPassword, fixtures.apiKey, 'toolkit-pass', 'redis-pass']);

    // The chart's `helm test` hook pod agrees.
    const hook = run.runTestHook(port);
    assert.equal(hook.exitCode, 0, hook.logs);
    assert.match(hook.logs, /ok: the app found every expected file \(4\)/);
  });

  it('runs the tools in the order the values give', async (t) => {
    const port = await freePort();
    const values = podValues(fixtures, { port });
    values.initToolkit.tools['fetch-and-convert-data'].order = 1;
    values.initToolkit.tools['wait-for-db'].order = 50;
    values.initToolkit.tools['copy-secrets'].dependsOn = ['wait-for-db'];
    values.initToolkit.tools['render-config'].dependsOn = ['copy-secrets'];
    const run = playPod(`${fixtures.id}-order`, values);
    t.after(() => run.remove());
    assert.equal(run.playStatus, 0, run.playStderr);
    // wait-for-db's order (50) is above render-config's (40), but render-config waits for copy-secrets.
    assert.deepEqual(run.initContainers, ['fetch-and-convert-data', 'wait-for-db', 'copy-secrets', 'render-config']);
    const results = run.initContainers.map((name) => run.inspect(name));
    for (let i = 1; i < results.length; i++) {
      assert.equal(results[i - 1]!.exitCode, 0, results[i - 1]!.logs);
      assert.ok(results[i - 1]!.finishedAt! <= results[i]!.startedAt!, `${results[i]!.name} started before ${results[i - 1]!.name} finished`);
    }
    await waitForReady(port);
  });

  it('fails the helm test hook when an expected file is missing', async (t) => {
    const port = await freePort();
    const values = podValues(fixtures, { port });
    values.app.expect.config = ['app.json', 'not-rendered.yaml'];
    const run = playPod(`${fixtures.id}-hook`, values);
    t.after(() => run.remove());
    assert.equal(run.playStatus, 0, run.playStderr);
    const hook = run.runTestHook(port);
    assert.equal(hook.exitCode, 1, hook.logs);
    assert.match(hook.logs, /the app lacks config:not-rendered\.yaml/);
  });

  it('stops at wait-for-db when the database never comes: exit 124, the target named, the app never started', async (t) => {
    const port = await freePort(); // nothing listens there
    const target = `postgres://toolkit:toolkit-pass@127.0.0.1:${port}/toolkit`;
    const run = playPod(`${fixtures.id}-nodb`, podValues(fixtures, { port: await freePort(), targets: [target], waitTimeout: '3s' }));
    t.after(() => run.remove());
    assert.notEqual(run.playStatus, 0, 'podman kube play must fail when an init container fails');
    assert.match(run.playStderr, /init container .* exited with code 124/);

    const waitForDb = run.inspect('wait-for-db');
    assert.equal(waitForDb.exitCode, 124, waitForDb.logs);
    assert.match(waitForDb.terminationMessage, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(!waitForDb.terminationMessage.includes('toolkit-pass'), 'the password is redacted');
    for (const name of ['copy-secrets', 'fetch-and-convert-data', 'render-config', 'app']) {
      assert.equal(run.inspect(name).state, 'created', `${name} must never start`);
    }
  });

  it('stops at copy-secrets when a required secret is missing: exit 3, the secret named, the app never started', async (t) => {
    const missing = `${fixtures.id}/does-not-exist`;
    const run = playPod(`${fixtures.id}-nosecret`, podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, missing] }));
    t.after(() => run.remove());
    assert.notEqual(run.playStatus, 0);
    assert.equal(run.inspect('wait-for-db').exitCode, 0);

    const copySecrets = run.inspect('copy-secrets');
    assert.equal(copySecrets.exitCode, 3, copySecrets.logs);
    assert.ok(copySecrets.terminationMessage.includes(missing), `termination message names ${missing}: ${copySecrets.terminationMessage}`);
    for (const name of ['fetch-and-convert-data', 'render-config', 'app']) {
      assert.equal(run.inspect(name).state, 'created', `${name} must never start`);
    }
    assertNoLeak(run, ['copy-secrets'], [fixtures.dbPassword]);
  });
});
