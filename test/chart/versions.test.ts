// One release number everywhere: package.json (the tools' --version and the image tags), the library
// chart's version and appVersion (the default image tag), the example's appVersion, its dependency and
// its Chart.lock. And the library's kubeVersion holds for consumers, which Helm itself does not check.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { chartsCopy, goTool, KUBE_VERSION, repoRoot, run } from './helm.ts';

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;

describe('release numbers', () => {
  it('package.json, both charts, the dependency and the lock file agree', () => {
    const library = parse(read('charts/init-toolkit/Chart.yaml'));
    const example = parse(read('charts/example-app/Chart.yaml'));
    const lock = parse(read('charts/example-app/Chart.lock'));
    assert.equal(library.version, version, 'charts/init-toolkit version');
    assert.equal(library.appVersion, version, 'charts/init-toolkit appVersion (the default image tag)');
    assert.equal(example.appVersion, version, 'charts/example-app appVersion');
    assert.equal(example.dependencies.find((d: { name: string }) => d.name === 'init-toolkit').version, version, 'the example depends on this release');
    assert.equal(lock.dependencies.find((d: { name: string }) => d.name === 'init-toolkit').version, version, 'Chart.lock (helm dependency update)');
    const recipes = parse(read('test/chart/recipes/Chart.yaml'));
    assert.equal(recipes.dependencies.find((d: { name: string }) => d.name === 'init-toolkit').version, version, 'test/chart/recipes (docs/chart-recipes.md)');
  });

  it('the tools report it as their --version', () => {
    for (const tool of ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config']) {
      const result = run(process.execPath, [join(repoRoot, 'dist', `${tool}.js`), '--version']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`\\b${version.replace(/\./g, '\\.')}\\b`), tool);
    }
  });
});

describe("the library's kubeVersion", () => {
  it('fails the render of a consumer for an older Kubernetes, naming both versions', () => {
    const copy = chartsCopy();
    try {
      // A consumer that states no kubeVersion of its own: only the library's check stands.
      const chartYaml = join(copy.dir, 'example-app', 'Chart.yaml');
      writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^kubeVersion: .*\n/m, ''));
      const old = run(goTool('helm'), ['template', 'demo', join(copy.dir, 'example-app'), '--kube-version', '1.27.0']);
      assert.notEqual(old.status, 0);
      assert.match(old.stderr, /init-toolkit \S+ needs Kubernetes >=1\.29\.0-0; this render is for v1\.27\.0/);
      const current = run(goTool('helm'), ['template', 'demo', join(copy.dir, 'example-app'), '--kube-version', KUBE_VERSION]);
      assert.equal(current.status, 0, current.stderr);
    } finally {
      copy.cleanup();
    }
  });
});
