// Releases of the example chart on the test cluster: `helm install` and `helm upgrade` from a copy of the
// charts (its dependency built) into a fresh namespace each, with the e2e base values plus the test's, and
// the cleanup of all of them at the end.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { stringify } from 'yaml';
import { chartsCopy, repoRoot, type Obj, type Run } from '../chart/helm.ts';
import { createFixtures, type Fixtures } from './fixtures.ts';
import { clusterUp, helm, kubectl, type Cluster } from './kube.ts';
import { tempDir } from '../helpers/temp-dir.ts';

export interface Installed {
  namespace: string;
  release: string;
  /** helm's stderr: the API server's warnings (Pod Security). */
  warnings: string;
}

/** Where helm install takes the chart from: a reference (`oci://...`) with its flags; default: the local copy. */
export interface ChartSource {
  ref: string;
  args: string[];
}

export interface Releases {
  /**
   * `helm install` into the namespace `<prefix>-<suffix>` (created first, with the Pod Security `labels`
   * when given). The app shares the node's network (hostNetwork): APP_HOST keeps it on 127.0.0.1.
   */
  install(suffix: string, values: Obj, labels?: Record<string, string>, from?: ChartSource): Installed;
  /** `helm upgrade` of an installed release with new values. */
  upgrade(installed: Installed, suffix: string, values: Obj): Run;
  /** Deletes the namespaces in the background (the cluster stays up) and the chart copy. */
  cleanup(): void;
}

export function releases(cluster: Cluster, prefix: string): Releases {
  const charts = chartsCopy();
  const workDir = tempDir('e2e-values-');
  const namespaces: string[] = [];
  const valuesArgs = (name: string, values: Obj): string[] => {
    const valuesFile = join(workDir, `${name}.yaml`);
    writeFileSync(valuesFile, stringify(values));
    return ['--values', join(repoRoot, 'test', 'e2e', 'values', 'e2e.yaml'), '--values', valuesFile];
  };
  const chart = join(charts.dir, 'example-app');
  return {
    install(suffix, values, labels = {}, from = { ref: chart, args: [] }) {
      values.app.env = [...(values.app.env ?? []), { name: 'APP_HOST', value: '127.0.0.1' }];
      const namespace = `${prefix}-${suffix}`;
      const release = 'example';
      namespaces.push(namespace);
      const created = kubectl(cluster, ['create', 'namespace', namespace]);
      assert.equal(created.status, 0, created.stderr);
      if (Object.keys(labels).length > 0) {
        const labelled = kubectl(cluster, ['label', 'namespace', namespace, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
        assert.equal(labelled.status, 0, labelled.stderr);
      }
      const result = helm(cluster, ['install', release, from.ref, ...from.args, '--namespace', namespace, ...valuesArgs(suffix, values)]);
      assert.equal(result.status, 0, `helm install failed: ${result.stderr}`);
      return { namespace, release, warnings: result.stderr };
    },
    upgrade({ namespace, release }, suffix, values) {
      return helm(cluster, ['upgrade', release, chart, '--namespace', namespace, ...valuesArgs(suffix, values)]);
    },
    cleanup() {
      for (const namespace of namespaces) kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
      charts.cleanup();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export interface Suite {
  cluster: Cluster;
  fixtures: Fixtures;
  releases: Releases;
}

/** A test file's cluster, fixtures of its own and releases, set up before its tests and removed after. */
export function clusterSuite(): Suite {
  const suite = {} as Suite;
  before(async () => {
    suite.cluster = clusterUp();
    suite.fixtures = await createFixtures();
    suite.releases = releases(suite.cluster, suite.fixtures.id);
  });
  after(async () => {
    suite.releases?.cleanup();
    await suite.fixtures?.cleanup();
  });
  return suite;
}
