// The readiness rules of k8s:// targets on API objects captured from the test cluster (kubectl get -o json,
// managedFields dropped): Jobs, Deployments, pods and EndpointSlices as Kubernetes 1.35 writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CheckFailure } from '../../../tools/wait-for-db/outcome.ts';
import { deploymentReadiness, jobReadiness, podsReadiness, serviceReadiness } from '../../../tools/wait-for-db/checks/kubernetes/readiness.ts';

const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`fixtures/kubernetes/${name}.json`, import.meta.url), 'utf8'));

test('a Job is ready when Complete=True, not while it runs', () => {
  assert.deepEqual(jobReadiness(fixture('job-complete'), 'job "migrate"'), {
    ready: true,
    detail: 'job "migrate" completed (0 active, 1 succeeded, 0 failed)',
  });
  assert.deepEqual(jobReadiness(fixture('job-running'), 'job "slow"'), {
    ready: false,
    detail: 'job "slow" has not completed yet (1 active, 0 succeeded, 0 failed)',
  });
});

test('a failed Job fails fast with its reason', () => {
  assert.throws(
    () => jobReadiness(fixture('job-failed'), 'job "broken"'),
    (error: unknown) =>
      error instanceof CheckFailure &&
      !error.retryable &&
      error.errorClass === 'job-failed' &&
      error.message.startsWith('job "broken" failed (BackoffLimitExceeded: Job has reached the specified backoff limit)'),
  );
  // FailureTarget=True alone (the pods still terminating) is already final.
  const failing = fixture('job-failed');
  failing.status.conditions = failing.status.conditions.filter((c: { type: string }) => c.type === 'FailureTarget');
  assert.throws(() => jobReadiness(failing, 'job "broken"'), /failed \(BackoffLimitExceeded/);
});

test('a suspended Job is not ready', () => {
  const suspended = fixture('job-running');
  suspended.status.conditions = [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }];
  assert.equal(jobReadiness(suspended, 'job "slow"').detail, 'job "slow" is suspended');
});

test('a Deployment is ready when rolled out as kubectl rollout status sees it, and Available', () => {
  assert.deepEqual(deploymentReadiness(fixture('deployment-available'), 'deployment "api"'), {
    ready: true,
    detail: 'deployment "api" rolled out (2 of 2 replicas available)',
  });
  assert.deepEqual(deploymentReadiness(fixture('deployment-rollout'), 'deployment "api"'), {
    ready: false,
    detail: 'deployment "api": 1 of 2 new replicas updated',
  });
  assert.deepEqual(deploymentReadiness(fixture('deployment-unavailable'), 'deployment "unready"'), {
    ready: false,
    detail: 'deployment "unready": 0 of 1 replicas available',
  });
});

test('a Deployment whose latest spec the controller has not seen is not ready, however its status reads', () => {
  const edited = fixture('deployment-available');
  edited.metadata.generation += 1;
  assert.equal(deploymentReadiness(edited, 'deployment "api"').detail, 'deployment "api": the controller has not seen its latest spec yet');
});

test('old replicas still running, Available=False and a passed progress deadline keep a Deployment not ready', () => {
  const leftovers = fixture('deployment-available');
  leftovers.status.replicas = 3;
  assert.equal(deploymentReadiness(leftovers, 'd').detail, 'd: 1 old replicas pending termination');
  const unavailable = fixture('deployment-available');
  unavailable.status.conditions[0].status = 'False';
  assert.equal(deploymentReadiness(unavailable, 'd').detail, 'd: its condition Available is not True');
  const stuck = fixture('deployment-unavailable');
  stuck.status.conditions[1].reason = 'ProgressDeadlineExceeded';
  assert.deepEqual(deploymentReadiness(stuck, 'd'), { ready: false, detail: 'd: 0 of 1 replicas available (its progress deadline is exceeded)' });
});

test('pods are ready when at least one matches and all are Ready', () => {
  assert.deepEqual(podsReadiness(fixture('pods-ready'), 'selector "app=api"'), { ready: true, detail: '2 of 2 pods matching selector "app=api" ready' });
  assert.deepEqual(podsReadiness({ items: [] }, 'selector "app=db"'), { ready: false, detail: 'no pod matches selector "app=db" (yet)' });
  const unready = podsReadiness(fixture('pods-unready'), 'selector "app=unready"');
  assert.equal(unready.ready, false);
  assert.match(unready.detail, /^0 of 1 pods matching selector "app=unready" ready; not ready: unready-[a-z0-9]+-[a-z0-9]+ \(ContainersNotReady\)$/);
  assert.match(podsReadiness(fixture('pods-rollout'), 'selector "app=api"').detail, /^2 of 3 pods matching selector "app=api" ready; not ready: api-/);
});

test('pods being deleted are left out', () => {
  const rollout = fixture('pods-rollout');
  for (const pod of rollout.items)
    if (!pod.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'))
      pod.metadata.deletionTimestamp = '2026-12-05T19:03:00Z';
  assert.equal(podsReadiness(rollout, 's').ready, true);
});

test('a Service is ready with at least one ready endpoint in its EndpointSlices', () => {
  assert.deepEqual(serviceReadiness(fixture('endpointslices-ready'), 'service "api"'), { ready: true, detail: 'service "api" has 2 ready endpoints' });
  assert.deepEqual(serviceReadiness(fixture('endpointslices-unready'), 'service "unready"'), {
    ready: false,
    detail: 'service "unready" has no ready endpoint (1 not ready)',
  });
  assert.deepEqual(serviceReadiness(fixture('endpointslices-empty'), 'service "nothing"'), {
    ready: false,
    detail: 'service "nothing" has no ready endpoint (0 not ready)',
  });
  assert.equal(
    serviceReadiness(fixture('endpointslices-none'), 'service "absent"').detail,
    'service "absent" has no EndpointSlice (yet): does the Service exist, with a selector?',
  );
});
