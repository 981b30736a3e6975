import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../tools/core/errors.ts';
import { parseCli } from '../../../tools/core/options.ts';
import { apiRequest } from '../../../tools/wait-for-db/checks/kubernetes.ts';
import { selectorProblem } from '../../../tools/wait-for-db/checks/kubernetes/target.ts';
import { spec } from '../../../tools/wait-for-db/spec.ts';
import { parseTarget } from '../../../tools/wait-for-db/target.ts';

test('k8s:// targets parse into kind, name, selector and namespace', () => {
  const parsed = [
    'k8s://job/db-migrate',
    'k8s://deployment/api.v2?namespace=backend',
    'k8s://service/db',
    'k8s://pods?selector=app%3Ddb,tier!%3Dcache&namespace=data',
    'migrate=k8s://job/migrate',
  ].map((text) => {
    const target = parseTarget(text);
    return [target.kind, target.kubernetes, target.display];
  });
  assert.deepEqual(parsed, [
    ['kubernetes', { kind: 'job', name: 'db-migrate', selector: undefined, namespace: undefined }, 'k8s://job/db-migrate'],
    ['kubernetes', { kind: 'deployment', name: 'api.v2', selector: undefined, namespace: 'backend' }, 'k8s://deployment/api.v2?namespace=backend'],
    ['kubernetes', { kind: 'service', name: 'db', selector: undefined, namespace: undefined }, 'k8s://service/db'],
    [
      'kubernetes',
      { kind: 'pods', name: undefined, selector: 'app=db,tier!=cache', namespace: 'data' },
      'k8s://pods?selector=app%3Ddb,tier!%3Dcache&namespace=data',
    ],
    ['kubernetes', { kind: 'job', name: 'migrate', selector: undefined, namespace: undefined }, 'migrate=k8s://job/migrate'],
  ]);
});

test('each misuse of a k8s:// target is a usage error that says the fix', () => {
  const cases: Array<[string, RegExp]> = [
    ['k8s://jobs/migrate', /write k8s:\/\/job\/NAME instead of "jobs"/],
    ['k8s://svc/db', /write k8s:\/\/service\/NAME instead of "svc"/],
    ['k8s://pod/db-0', /k8s:\/\/pods\?selector=/],
    ['k8s://statefulset/db', /unknown resource kind "statefulset"; write k8s:\/\/job\/NAME/],
    ['k8s://job', /the job has no name: write k8s:\/\/job\/NAME/],
    ['k8s://deployment/', /the deployment has no name/],
    ['k8s://job/Migrate', /"Migrate" is not a job name/],
    ['k8s://job/a/b', /"a\/b" is not a job name/],
    ['k8s://service/1db', /"1db" is not a service name/],
    ['k8s://pods', /k8s:\/\/pods needs \?selector=/],
    ['k8s://pods/db', /chosen by a label selector, not a name/],
    ['k8s://pods?selector=app%3D%3D%3Ddb', /is not a requirement/],
    ['k8s://pods?selector=', /it is empty/],
    ['k8s://pods?selector=app%3Dd%20b', /is not a requirement/],
    ['k8s://pods?selector=-app%3Ddb', /"-app" is not a label key/],
    ['k8s://pods?selector=app%3D' + 'x'.repeat(64), /is not a label value/],
    ['k8s://job/migrate?selector=app%3Ddb', /unsupported parameter "selector"; a k8s:\/\/job target takes namespace/],
    ['k8s://job/migrate?timeout=5s', /unsupported parameter "timeout"/],
    ['k8s://job/migrate?namespace=a&namespace=b', /"namespace" is given twice/],
    ['k8s://job/migrate?namespace=Prod', /namespace "Prod" is not a namespace name/],
    ['k8s://admin:pw-canary@job/migrate', /has no user, password or port/],
    ['k8s://job:443/migrate', /has no user, password or port/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(
      () => parseTarget(text),
      (error: unknown) => error instanceof UsageError && expected.test(error.message) && !error.message.includes('pw-canary'),
      text,
    );
  }
});

test('label selectors: the grammar of the API server', () => {
  for (const valid of ['app=db', 'app==db', 'app!=db', 'app', '!app', 'app.kubernetes.io/name=db', 'tier in (cache, db)', 'tier notin (x),app=db', 'app=']) {
    assert.equal(selectorProblem(valid), undefined, valid);
  }
  for (const invalid of ['app=db=x', '!app=db', 'tier in ()', 'tier in (a b)', 'Bad_Prefix/app=x', 'app=db,', '=db']) {
    assert.ok(selectorProblem(invalid), invalid);
  }
});

test('WAIT_FOR_DB_TARGETS splits before k8s:// and never inside a selector list', async () => {
  const parsed = await parseCli(spec, [], { WAIT_FOR_DB_TARGETS: 'k8s://job/migrate, k8s://pods?selector=app%3Ddb,tier%20in%20(a,b) tcp://db:5432' });
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  assert.deepEqual(parsed.args, ['k8s://job/migrate', 'k8s://pods?selector=app%3Ddb,tier%20in%20(a,b)', 'tcp://db:5432']);
});

test('each kind is one GET of the resource RBAC names (the chart grants exactly these)', () => {
  const request = (text: string) => {
    const target = parseTarget(text).kubernetes!;
    const { path, verb, resource, namespace } = apiRequest(target, target.namespace ?? 'app');
    return { path, verb, resource, namespace };
  };
  assert.deepEqual(request('k8s://job/migrate'), { path: '/apis/batch/v1/namespaces/app/jobs/migrate', verb: 'get', resource: 'jobs.batch', namespace: 'app' });
  assert.deepEqual(request('k8s://deployment/api?namespace=web'), {
    path: '/apis/apps/v1/namespaces/web/deployments/api',
    verb: 'get',
    resource: 'deployments.apps',
    namespace: 'web',
  });
  assert.deepEqual(request('k8s://service/db'), {
    path: '/apis/discovery.k8s.io/v1/namespaces/app/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Ddb',
    verb: 'list',
    resource: 'endpointslices.discovery.k8s.io',
    namespace: 'app',
  });
  assert.deepEqual(request('k8s://pods?selector=app%3Ddb'), {
    path: '/api/v1/namespaces/app/pods?labelSelector=app%3Ddb',
    verb: 'list',
    resource: 'pods',
    namespace: 'app',
  });
});
