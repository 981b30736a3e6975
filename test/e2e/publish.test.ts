// Publishing the charts as OCI artifacts, as a consumer gets them: `scripts/chart-package.sh` (what
// `make chart-package` runs) packages both charts, `helm push` puts them into a local OCI registry
// (`crane registry serve`, in memory), and from there `helm install oci://...` runs the example on the
// cluster, and a consumer chart depending on `oci://.../charts` for the library builds and renders.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { goTool, KUBE_VERSION, parseManifests, podSpec, repoRoot, run } from '../chart/helm.ts';
import { freePort } from '../helpers/services.ts';
import { createFixtures, type Fixtures } from './fixtures.ts';
import { clusterUp, helm, isReady, waitForPod, type Cluster } from './kube.ts';
import { releases as createReleases, type Releases } from './releases.ts';
import { podValues, STEPS } from './values.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
let cluster: Cluster;
let fixtures: Fixtures;
let releases: Releases;
let registry: ChildProcess;
let registryUrl: string;
let workDir: string;

before(async () => {
  cluster = clusterUp();
  fixtures = await createFixtures();
  releases = createReleases(cluster, `${fixtures.id}-oci`);
  workDir = tempDir('e2e-publish-');
  const port = await freePort();
  registry = spawn(goTool('crane'), ['registry', 'serve', '--address', `127.0.0.1:${port}`], { stdio: 'ignore' });
  registryUrl = `127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (
    !(await fetch(`http://${registryUrl}/v2/`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`crane registry serve did not answer on ${registryUrl}`);
    await sleep(100);
  }
});

after(async () => {
  releases?.cleanup();
  registry?.kill();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await fixtures?.cleanup();
});

describe('the charts as OCI artifacts', () => {
  it('packaged and pushed; helm install oci://.../example-app runs the example on the cluster', async () => {
    const packaged = run(join(repoRoot, 'scripts', 'chart-package.sh'), [join(workDir, 'charts')]);
    assert.equal(packaged.status, 0, packaged.stderr);
    assert.deepEqual(readdirSync(join(workDir, 'charts')).sort(), [`example-app-${version}.tgz`, `init-toolkit-${version}.tgz`]);
    for (const chart of ['init-toolkit', 'example-app']) {
      const pushed = helm(cluster, ['push', join(workDir, 'charts', `${chart}-${version}.tgz`), `oci://${registryUrl}/charts`, '--plain-http']);
      assert.equal(pushed.status, 0, pushed.stderr);
      assert.match(pushed.stderr + pushed.stdout, new RegExp(`Pushed: ${registryUrl}/charts/${chart}:${version.replace(/\./g, '\\.')}`));
    }
    const { namespace } = releases.install(
      'oci',
      podValues(fixtures, { port: await freePort() }),
      {},
      { ref: `oci://${registryUrl}/charts/example-app`, args: ['--version', version, '--plain-http'] },
    );
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    assert.deepEqual(
      (pod.status.initContainerStatuses as Array<{ name: string }>).map((s) => s.name),
      STEPS,
    );
  });

  it('a consumer chart takes the library from oci://.../charts: helm dependency update, then it renders', () => {
    const consumer = join(workDir, 'consumer');
    cpSync(join(repoRoot, 'charts', 'example-app'), consumer, {
      recursive: true,
      filter: (src) => !src.includes('/charts/example-app/charts') && !src.endsWith('Chart.lock'),
    });
    const chartYaml = join(consumer, 'Chart.yaml');
    writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace('repository: file://../init-toolkit', `repository: oci://${registryUrl}/charts`));
    const updated = run(goTool('helm'), ['dependency', 'update', consumer]);
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout + updated.stderr, new RegExp(`Pulled: ${registryUrl}/charts/init-toolkit:${version.replace(/\./g, '\\.')}`));
    assert.match(readFileSync(join(consumer, 'Chart.lock'), 'utf8'), new RegExp(`repository: oci://${registryUrl}/charts`));
    const rendered = run(goTool('helm'), ['template', 'demo', consumer, '--kube-version', KUBE_VERSION]);
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.deepEqual(
      podSpec(parseManifests(rendered.stdout)).initContainers.map((c: { name: string }) => c.name),
      STEPS,
    );
  });
});
