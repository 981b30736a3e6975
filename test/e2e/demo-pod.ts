// The demo's pod step (run by scripts/demo-pod.sh; not a test file): `helm install` of the example chart on
// the single-node cluster of scripts/cluster.sh, against the local services, narrated: the pod's STATUS as
// `kubectl get pod` shows it (Init:0/4 ... Running), what each init container did (its log lines, exit
// code, time, from the pod status and `kubectl logs`), then what the main container found. Then the same
// chart with a secret that does not exist, to show that the app never starts on half-prepared state.
// Everything it creates (secrets, bucket, namespaces) is removed at the end; the cluster stays up.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { chartsCopy, repoRoot, type Obj } from '../chart/helm.ts';
import { parseLogs } from '../helpers/run.ts';
import { freePort } from '../helpers/services.ts';
import { createFixtures, type Fixtures } from './fixtures.ts';
import { appPods, clusterUp, execIn, helm, isReady, kubectl, type Cluster } from './kube.ts';
import { podValues } from './values.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const bold = process.stdout.isTTY ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
const say = (text = ''): void => void process.stdout.write(`${text}\n`);

/** A log line as "msg  key=value ...", without the fields every line has. */
function describeLine(line: Record<string, unknown>): string {
  const { time: _time, level: _level, tool: _tool, msg, ...fields } = line;
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [String(msg), ...rest].join('  ');
}

/** `helm install` of the example chart into a new namespace, the command shown as a user would type it. */
function install(cluster: Cluster, chartDir: string, workDir: string, namespace: string, values: Obj): void {
  values.app.env = [{ name: 'APP_HOST', value: '127.0.0.1' }];
  const valuesFile = join(workDir, `${namespace}.yaml`);
  writeFileSync(valuesFile, stringify(values));
  say(`  $ helm install example charts/example-app --namespace ${namespace} --create-namespace --values <demo values>`);
  const result = helm(cluster, [
    'install',
    'example',
    chartDir,
    '--namespace',
    namespace,
    '--create-namespace',
    '--values',
    join(repoRoot, 'test', 'e2e', 'values', 'e2e.yaml'),
    '--values',
    valuesFile,
  ]);
  if (result.status !== 0) throw new Error(`helm install failed: ${result.stderr.trim()}`);
}

/**
 * Prints the pod's STATUS column of `kubectl get pod` each time it changes, with the seconds since the
 * install, until `done` holds for the pod (read as JSON). Returns that pod.
 */
async function narrateStatus(cluster: Cluster, namespace: string, done: (pod: Obj) => boolean, timeoutMs = 120_000): Promise<Obj> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let shown = '';
  while (Date.now() < deadline) {
    const row = kubectl(cluster, ['get', 'pods', '--namespace', namespace, '--no-headers']).stdout.trim().split('\n')[0] ?? '';
    const [name, readyColumn, status] = row.split(/\s+/);
    if (status && `${status} ${readyColumn}` !== shown) {
      shown = `${status} ${readyColumn}`;
      say(`    ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s  pod/${name}  ${bold(status)}  ready ${readyColumn}`);
    }
    const pod = appPods(cluster, namespace)[0];
    if (pod && done(pod)) return pod;
    await sleep(200);
  }
  throw new Error(`the pod in ${namespace} did not get there within ${timeoutMs / 1000}s (last: ${shown})`);
}

function narrateInitContainers(cluster: Cluster, namespace: string, pod: Obj): void {
  say();
  (pod.status.initContainerStatuses as Obj[]).forEach((status, i) => {
    const terminated = status.state.terminated ?? status.lastState?.terminated;
    const seconds = terminated ? `${((Date.parse(terminated.finishedAt) - Date.parse(terminated.startedAt)) / 1000).toFixed(0)}s` : '';
    const state = terminated
      ? `exit ${terminated.exitCode}, ${seconds}${status.restartCount ? `, restarted ${status.restartCount}x by the back-off` : ''}`
      : 'never started';
    say(`  ${bold(`${i + 1}. ${status.name}`)}  (${state})`);
    if (!terminated) return;
    const logs = kubectl(cluster, ['logs', '--namespace', namespace, pod.metadata.name, '-c', status.name]).stdout;
    for (const line of parseLogs(logs)) say(`       ${describeLine(line)}`);
    if (terminated.message) say(`       termination message (kubectl describe pod shows it): ${String(terminated.message).trim()}`);
  });
}

async function narrateApp(cluster: Cluster, namespace: string, pod: Obj, port: number): Promise<void> {
  say(`  ${bold('app')}  (running, Ready)`);
  const report = (await (await fetch(`http://127.0.0.1:${port}/found`)).json()) as {
    found: Record<string, { dir: string; files?: Array<{ path: string; bytes: number; mode: string }> }>;
    ready: boolean;
  };
  for (const [volume, { dir, files = [] }] of Object.entries(report.found)) {
    say(`       ${dir} (${volume}, read-only): ${files.map((f) => `${f.path} ${f.bytes} B ${f.mode}`).join(', ') || 'empty'}`);
  }
  const read = (path: string): string =>
    execIn(cluster, namespace, pod.metadata.name, 'app', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(path)}, 'utf8'))`);
  say(`       /data/countries.ndjson, first line: ${read('/data/countries.ndjson').split('\n')[0]}`);
  const config = JSON.parse(read('/config/app.json')) as { database: { url: string }; apiKey: string };
  say(
    `       /config/app.json: database.url uses the password from /secrets/db.json (${config.database.url.replace(/:[^:@/]+@/, ':***@')}), apiKey ${config.apiKey.length} characters`,
  );
  say(`       GET /found: ready=${report.ready}`);
}

async function main(): Promise<void> {
  say('  $ scripts/cluster.sh up');
  const cluster = clusterUp();
  const charts = chartsCopy();
  const workDir = tempDir('demo-pod-');
  let fixtures: Fixtures | undefined;
  const namespaces: string[] = [];
  try {
    fixtures = await createFixtures();
    say(`\n  secrets ${fixtures.dbSecret}, ${fixtures.apiKeySecret} in Secrets Manager and s3://${fixtures.bucket}/${fixtures.csvKey} (moto)`);
    const port = await freePort();
    const ok = `demo-${fixtures.id}`;
    namespaces.push(ok);
    install(cluster, join(charts.dir, 'example-app'), workDir, ok, podValues(fixtures, { port }));
    say(`  $ kubectl get pod --namespace ${ok} --watch`);
    const pod = await narrateStatus(cluster, ok, isReady);
    narrateInitContainers(cluster, ok, pod);
    await narrateApp(cluster, ok, pod, port);

    say(`\n  ${bold('The same chart, asking for a secret that does not exist:')}`);
    const missing = `${fixtures.id}/not-there`;
    const failed = `demo-${fixtures.id}-fail`;
    namespaces.push(failed);
    install(
      cluster,
      join(charts.dir, 'example-app'),
      workDir,
      failed,
      podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, missing] }),
    );
    say(`  $ kubectl get pod --namespace ${failed} --watch`);
    const stuck = await narrateStatus(cluster, failed, (p) => {
      const secrets = (p.status?.initContainerStatuses ?? []).find((s: Obj) => s.name === 'secrets');
      return secrets?.state?.waiting?.reason === 'CrashLoopBackOff';
    });
    narrateInitContainers(cluster, failed, stuck);
    say(
      `  ${bold('app')}  (never started, so it never saw a partial set of secrets; the kubelet retries the secrets step with a back-off until the secret exists)`,
    );
  } finally {
    for (const namespace of namespaces) kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false']);
    rmSync(workDir, { recursive: true, force: true });
    charts.cleanup();
    await fixtures?.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo-pod: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
