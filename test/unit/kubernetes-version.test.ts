// The Kubernetes release is named where each reader can take it (the Makefile, the cluster script, the
// schema generator, the chart tests' helm calls): they must all name the same one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KUBE_VERSION } from '../chart/helm.ts';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

test('the Makefile, scripts/cluster.sh and the schema generator name the release the chart tests render for', () => {
  assert.match(KUBE_VERSION, /^\d+\.\d+\.\d+$/);
  assert.equal(/^KUBE_VERSION := (\S+)$/m.exec(read('Makefile'))?.[1], KUBE_VERSION, 'Makefile');
  assert.equal(/^KUBE_VERSION=v(\S+)$/m.exec(read('scripts/cluster.sh'))?.[1], KUBE_VERSION, 'scripts/cluster.sh');
  assert.equal(
    /^export const KUBERNETES_VERSION = '([^']+)';$/m.exec(read('scripts/chart-k8s-schemas.mjs'))?.[1],
    KUBE_VERSION,
    'scripts/chart-k8s-schemas.mjs',
  );
});
