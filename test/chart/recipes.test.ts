// docs/chart-recipes.md as a chart: the recipes' values and templates (test/chart/recipes/, a consumer of
// the library) render, pass the strict Kubernetes schemas and the restricted profile, and do what the
// page says; the page shows those very files.
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chartsCopy, find, goTool, KUBE_VERSION, kubeconform, type Obj, parseManifests, pssCheck, repoRoot, run } from './helm.ts';

const fixture = join(repoRoot, 'test', 'chart', 'recipes');
let charts: { dir: string; cleanup: () => void };
let manifests: string;
let objects: Obj[];

before(() => {
  charts = chartsCopy();
  const chart = join(charts.dir, 'recipes');
  cpSync(fixture, chart, { recursive: true });
  const built = run(goTool('helm'), ['dependency', 'build', chart]);
  assert.equal(built.status, 0, built.stderr);
  const rendered = run(goTool('helm'), ['template', 'api', chart, '--namespace', 'apps', '--kube-version', KUBE_VERSION]);
  assert.equal(rendered.status, 0, rendered.stderr);
  manifests = rendered.stdout;
  objects = parseManifests(manifests);
});
after(() => charts.cleanup());

const names = (containers: Obj[] | undefined): string[] => (containers ?? []).map((c) => c.name);

describe('the recipes of docs/chart-recipes.md', () => {
  it('pass kubeconform -strict and the restricted Pod Security profile', () => {
    const schemas = kubeconform(manifests);
    assert.equal(schemas.status, 0, schemas.stdout + schemas.stderr);
    const pss = pssCheck(manifests);
    assert.equal(pss.status, 0, pss.stdout + pss.stderr);
    assert.match(pss.stdout, /3 pod template\(s\) pass/);
  });

  it('only one tool: the Deployment renders its config, mounts only the config volume and its templates', () => {
    const pod = find(objects, 'Deployment').spec.template.spec;
    assert.deepEqual(names(pod.initContainers), ['config']);
    assert.deepEqual(
      pod.volumes.map((v: Obj) => v.name),
      ['init-config', 'init-templates-config'],
    );
    assert.deepEqual(
      pod.containers[0].volumeMounts.map((m: Obj) => m.mountPath),
      ['/config'],
    );
  });

  it('a pre-install migration Job: its ConfigMaps are hooks created before it, its steps wait and copy the secret', () => {
    const job = find(objects, 'Job', '-migrate');
    assert.equal(job.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
    const pod = job.spec.template.spec;
    assert.deepEqual(names(pod.initContainers), ['wait-db', 'secrets']);
    const configMap = find(objects, 'ConfigMap', '-migrate-step-config');
    assert.equal(configMap.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
    assert.ok(
      Number(configMap.metadata.annotations['helm.sh/hook-weight']) < Number(job.metadata.annotations['helm.sh/hook-weight']),
      'the ConfigMap is created before the Job',
    );
    assert.equal(find(objects, 'ConfigMap', '-config-templates').metadata.annotations, undefined, "the Deployment's ConfigMap is no hook");
    const account = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName) as Obj;
    assert.ok(account, 'the Job runs as a service account of its own');
    assert.ok(
      Number(account.metadata.annotations['helm.sh/hook-weight']) < Number(configMap.metadata.annotations['helm.sh/hook-weight']),
      'which exists before the Job (a hook, first)',
    );
    assert.equal(account.metadata.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/api-init');
    assert.ok(pod.volumes.some((v: Obj) => v.name === 'rds-ca'));
  });

  it('a StatefulSet: each pod waits for the cache and fetches the dictionary, with its own claim beside the shared volume', () => {
    const set = find(objects, 'StatefulSet', '-search');
    const pod = set.spec.template.spec;
    assert.deepEqual(names(pod.initContainers), ['wait-cache', 'dictionary']);
    assert.deepEqual(
      pod.volumes.map((v: Obj) => v.name),
      ['init-data'],
    );
    assert.equal(set.spec.volumeClaimTemplates[0].metadata.name, 'index');
  });

  it('the page shows the chart: its values and every template, verbatim', () => {
    const page = readFileSync(join(repoRoot, 'docs', 'chart-recipes.md'), 'utf8');
    for (const file of ['values.yaml', ...readdirSync(join(fixture, 'templates')).map((t) => join('templates', t))]) {
      assert.ok(page.includes(readFileSync(join(fixture, file), 'utf8').trim()), `docs/chart-recipes.md shows test/chart/recipes/${file}`);
    }
  });
});
