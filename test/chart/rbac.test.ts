// The RBAC of wait-for-db's k8s:// targets: a Role and RoleBinding per namespace the targets name,
// granting the pod's service account exactly the requests the tool makes, and the token mounted;
// nothing of it for workloads without such targets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exampleChartCopy, find, parseManifests, podSpec, render, template, type Obj } from './helm.ts';

const exampleChart = exampleChartCopy();

const ofKind = (objects: readonly Obj[], kind: string): Obj[] => objects.filter((o) => o.kind === kind);
const byPlace = (objects: readonly Obj[]): Record<string, Obj> => Object.fromEntries(objects.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
const cronPod = (objects: readonly Obj[]): Obj => find(objects, 'CronJob').spec.jobTemplate.spec.template.spec;

describe('RBAC of k8s:// targets', () => {
  it('renders a Role per namespace with get of the named Jobs and Deployments and list of pods and EndpointSlices, nothing more', () => {
    const objects = parseManifests(render(exampleChart(), ['k8s-targets.yaml']));
    const roles = byPlace(ofKind(objects, 'Role'));
    assert.deepEqual(Object.keys(roles).sort(), [
      'apps/demo-example-app-wait-for-db',
      'batch/demo-example-app-export-wait-for-db',
      'data/demo-example-app-wait-for-db',
    ]);
    assert.deepEqual(roles['apps/demo-example-app-wait-for-db']!.rules, [
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'], resourceNames: ['db-migrate', 'db-schema', 'db-seed'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], resourceNames: ['api'] },
    ]);
    // The selector's comma did not cut the target: its namespace is still read.
    assert.deepEqual(roles['data/demo-example-app-wait-for-db']!.rules, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
    ]);
    assert.deepEqual(roles['batch/demo-example-app-export-wait-for-db']!.rules, [
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'], resourceNames: ['export-prepare'] },
    ]);
  });

  it('binds each Role to the pod service account in the release namespace', () => {
    const objects = parseManifests(render(exampleChart(), ['k8s-targets.yaml']));
    const bindings = ofKind(objects, 'RoleBinding');
    assert.equal(bindings.length, 3);
    const serviceAccount = find(objects, 'ServiceAccount').metadata.name;
    for (const binding of bindings) {
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: binding.metadata.name });
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: serviceAccount, namespace: 'apps' }]);
    }
  });

  it('mounts the service account token in the pods whose steps have k8s:// targets, only there', () => {
    const objects = parseManifests(render(exampleChart(), ['k8s-targets.yaml']));
    assert.equal(podSpec(objects).automountServiceAccountToken, true);
    assert.equal(cronPod(objects).automountServiceAccountToken, true);
    const onlyDeployment = parseManifests(render(exampleChart(), ['k8s-targets.yaml'], ['initToolkit.workloads.export.steps.wait-export=null']));
    assert.equal(podSpec(onlyDeployment).automountServiceAccountToken, true);
    assert.equal(cronPod(onlyDeployment).automountServiceAccountToken, undefined);
    assert.deepEqual(
      ofKind(onlyDeployment, 'Role')
        .map((r) => r.metadata.namespace)
        .sort(),
      ['apps', 'data'],
    );
  });

  it('without k8s:// targets: no Role, no RoleBinding, the token left as the service account says', () => {
    const objects = parseManifests(render(exampleChart()));
    assert.deepEqual([...ofKind(objects, 'Role'), ...ofKind(objects, 'RoleBinding')], []);
    assert.equal(podSpec(objects).automountServiceAccountToken, undefined);
    assert.equal(cronPod(objects).automountServiceAccountToken, undefined);
  });

  it('rbac.create=false: no Role or RoleBinding (granted elsewhere), the token still mounted', () => {
    const objects = parseManifests(render(exampleChart(), ['k8s-targets.yaml'], ['initToolkit.rbac.create=false']));
    assert.deepEqual([...ofKind(objects, 'Role'), ...ofKind(objects, 'RoleBinding')], []);
    assert.equal(podSpec(objects).automountServiceAccountToken, true);
  });

  it('targets in a step `args` win over its settings, as in the tool', () => {
    const objects = parseManifests(render(exampleChart(), ['k8s-targets.yaml'], ['initToolkit.steps.wait-api.args={--timeout=2m,k8s://deployment/web}']));
    const apps = ofKind(objects, 'Role').find((r) => r.metadata.namespace === 'apps')!;
    assert.deepEqual(apps.rules[1].resourceNames, ['web']);
    assert.deepEqual(apps.rules[0].resourceNames, ['db-migrate', 'db-schema']);
  });

  it('an unknown kind fails the render with the forms to write', () => {
    const result = template(exampleChart(), ['k8s-targets.yaml'], ['initToolkit.steps.wait-api.settings.targets=k8s://jobs/db-seed']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /init-toolkit: steps\.wait-api: "k8s:\/\/jobs\/db-seed": the kinds of k8s:\/\/ targets are job, deployment, service and pods/);
  });

  it('the values schema refuses a typo under rbac', () => {
    const result = template(exampleChart(), [], ['initToolkit.rbac.craete=false']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /craete/);
  });
});
