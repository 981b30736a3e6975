// The example chart with `combined` on the real cluster: the kubelet runs ONE init container (run-steps)
// that does the five steps' work, the app starts on what they wrote, and a failing step is named in the
// pod status with its tool's exit code; after the kubelet's back-off the whole container runs again over
// the volumes the first run filled, and the pod becomes Ready.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Obj } from '../chart/helm.ts';
import { parseLogs } from '../helpers/run.ts';
import { freePort } from '../helpers/services.ts';
import { COUNTRIES } from './fixtures.ts';
import { execIn, isReady, terminatedWith, waitForPod } from './kube.ts';
import { assertNeverStarted, assertNoLeak, logsOf, statusOf } from './pod-status.ts';
import { clusterSuite } from './releases.ts';
import { podValues, STEPS } from './values.ts';

const suite = clusterSuite();

/** The example's values with every workload's steps in one init container. */
function combined(values: Obj): Obj {
  return { ...values, initToolkit: { ...values.initToolkit, combined: { enabled: true } } };
}

describe('combined: the five steps in one init container on the real cluster', () => {
  it('one init container runs the five steps in order and exits 0; the app finds their files and is Ready', async () => {
    const { cluster, fixtures, releases } = suite;
    const port = await freePort();
    const { namespace } = releases.install('combined', combined(podValues(fixtures, { port })));
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);
    const inits = pod.status.initContainerStatuses as Obj[];
    assert.deepEqual(
      inits.map((s) => s.name),
      ['init-toolkit'],
    );
    assert.equal(inits[0]!.state.terminated?.exitCode, 0, JSON.stringify(inits[0]!.state));
    assert.equal(inits[0]!.restartCount, 0);

    const logs = parseLogs(logsOf(cluster, namespace, pod, 'init-toolkit'));
    const summary = logs.at(-1) as { msg: string; steps: { step: string }[] };
    assert.equal(summary.msg, 'all 5 steps done');
    assert.deepEqual(
      summary.steps.map((s) => s.step),
      STEPS,
    );
    assert.ok(
      logs.some((l) => l.step === 'data' && /\/etc\/init-toolkit\/data\/data\.yaml jobs\[0\]/.test(String(l.job))),
      'the data step read its own config file',
    );

    const found = (await (await fetch(`http://127.0.0.1:${port}/found`)).json()) as { ready: boolean };
    assert.equal(found.ready, true, JSON.stringify(found));
    const inApp = (script: string): string => execIn(cluster, namespace, pod.metadata.name, 'app', script);
    assert.deepEqual(
      inApp("process.stdout.write(require('fs').readFileSync('/data/countries.ndjson'))")
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
      COUNTRIES,
    );
    assert.deepEqual(JSON.parse(inApp("process.stdout.write(require('fs').readFileSync('/config/app.json'))")), {
      service: `example-${fixtures.id}`,
      database: { url: `postgres://app:${fixtures.dbPassword}@127.0.0.1:55432/toolkit` },
      apiKey: fixtures.apiKey,
      dataFile: '/data/countries.ndjson',
    });
    assertNoLeak(cluster, namespace, pod, ['init-toolkit', 'app'], [fixtures.dbPassword, fixtures.apiKey, 'toolkit-pass', 'redis-pass']);
  });

  it('a missing secret: the pod status names the step and its tool with exit 3; once the secret exists the rerun over the filled volumes succeeds', async () => {
    const { cluster, fixtures, releases } = suite;
    const missing = `${fixtures.id}/combined-later`;
    const { namespace } = releases.install(
      'combined-nosecret',
      combined(podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, `${missing}?as=api_key`] })),
    );
    let terminated: Obj | undefined;
    const pod = await waitForPod(cluster, namespace, 'init-toolkit terminated with exit 3', (p) =>
      Boolean((terminated = terminatedWith(p, 'init-toolkit', 3))),
    );
    assert.match(String(terminated!.message), new RegExp(`^step secrets \\(copy-secrets\\): .*${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assertNeverStarted(pod, ['app']);
    assertNoLeak(cluster, namespace, pod, ['init-toolkit'], [fixtures.dbPassword]);

    await fixtures.putSecret(missing, `late-${fixtures.id}`);
    const ready = await waitForPod(cluster, namespace, 'the app pod Ready after the secret was created', isReady);
    assert.equal(ready.metadata.uid, pod.metadata.uid, 'the same pod');
    const init = statusOf(ready, 'init-toolkit');
    assert.equal(init.state.terminated?.exitCode, 0);
    assert.ok(init.restartCount >= 1, 'the container ran again');
    assert.equal(
      execIn(cluster, namespace, ready.metadata.name, 'app', "process.stdout.write(require('fs').readFileSync('/secrets/api_key'))"),
      `late-${fixtures.id}`,
    );
  });
});
