// Every rendered manifest against the strict schemas of the pinned Kubernetes release (offline),
// every rendered pod against the Pod Security Standards "restricted" profile, `helm lint --strict`
// of both charts, and typos that the values schemas must reject.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { chartsCopy, goTool, KUBE_VERSION, kubeconform, pssCheck, render, run } from './helm.ts';

let charts: { dir: string; cleanup: () => void };
before(() => {
  charts = chartsCopy();
});
after(() => charts.cleanup());

// The e2e values add hostNetwork (podman needs it to reach the test services), which the restricted
// profile forbids by design, so they are validated against the schemas but not against PSS.
const valueSets: string[][] = [
  [],
  ['full.yaml'],
  ['reordered.yaml'],
  ['existing-templates.yaml'],
  ['minimal.yaml'],
  ['no-steps.yaml'],
  ['pull-secrets.yaml'],
  ['k8s-targets.yaml'],
  ['combined.yaml'],
];

describe('Kubernetes schemas (strict, offline)', () => {
  for (const values of valueSets) {
    it(`validates every manifest rendered with ${values.join(', ') || 'the defaults'}`, () => {
      const result = kubeconform(render(join(charts.dir, 'example-app'), values));
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /Invalid: 0, Errors: 0, Skipped: 0/);
    });
  }

  it('rejects an unknown field (the check can fail)', () => {
    const manifests = render(join(charts.dir, 'example-app')).replace(
      'terminationMessagePolicy: FallbackToLogsOnError',
      'terminationMessagePolicy: FallbackToLogsOnError\n          terminationMesagePath: /x',
    );
    const result = kubeconform(manifests);
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /additional properties 'terminationMesagePath' not allowed/);
  });

  it('rejects a wrong type', () => {
    const result = kubeconform('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  n: 1\n');
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /ConfigMap x is invalid: .*got number, want string/);
  });
});

describe('Pod Security Standards: restricted', () => {
  for (const values of valueSets) {
    it(`passes with ${values.join(', ') || 'the defaults'}`, () => {
      const result = pssCheck(render(join(charts.dir, 'example-app'), values));
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /[1-3] pod template\(s\) pass/);
    });
  }

  const violations: Array<[string, string[], RegExp]> = [
    ['root user', ['initToolkit.securityContext.runAsUser=0'], /runAsUser=0/],
    ['privilege escalation', ['initToolkit.securityContext.allowPrivilegeEscalation=true'], /allowPrivilegeEscalation != false/],
    ['host network', ['hostNetwork=true'], /host namespaces/],
  ];
  for (const [what, set, message] of violations) {
    it(`fails on ${what} (the check can fail)`, () => {
      const result = pssCheck(render(join(charts.dir, 'example-app'), [], set));
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.match(result.stdout, message);
    });
  }
});

describe('helm lint --strict and the values schemas', () => {
  it('lints both charts clean', () => {
    for (const chart of ['init-toolkit', 'example-app']) {
      const result = run(goTool('helm'), ['lint', '--strict', '--kube-version', KUBE_VERSION, join(charts.dir, chart)]);
      assert.equal(result.status, 0, `${chart}: ${result.stdout}${result.stderr}`);
      assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/, chart);
    }
  });

  const typos: Array<[string, RegExp]> = [
    ['replicaCont=2', /additional properties 'replicaCont' not allowed/],
    ['app.imag.tag=x', /additional properties 'imag' not allowed/],
    ['initToolkit.steps.wait-db.tool=wait-for-bd', /steps\/wait-db\/tool/],
    ['initToolkit.steps.wait-db.timeout=5s', /additional properties 'timeout' not allowed/],
    ['initToolkit.steps.Wait_DB.tool=wait-for-db', /Wait_DB/],
    ['initToolkit.steps.secrets.mounts.secret.flag=out', /additional properties 'secret' not allowed/],
    ['initToolkit.steps.wait-db.templates.files.a=b', /steps\/wait-db/],
    ['initToolkit.steps.secrets.pullPolicy=Sometimes', /pullPolicy/],
    ['initToolkit.volumes.secrets.sizeLimit=lots', /sizeLimit/],
    ['initToolkit.steps.secrets.image.digest=sha256:abc', /digest/],
    ['initToolkit.serviceAccount.roleArn=my-role', /roleArn/],
    ['initToolkit.imagePullSecrets[0].nme=x', /imagePullSecrets/],
  ];
  for (const [set, message] of typos) {
    it(`rejects --set ${set}`, () => {
      const result = run(goTool('helm'), ['lint', '--strict', '--kube-version', KUBE_VERSION, join(charts.dir, 'example-app'), '--set', set]);
      assert.notEqual(result.status, 0, set);
      assert.match(result.stdout + result.stderr, message);
    });
  }
});
