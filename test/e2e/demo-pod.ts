// The demo's pod step (run by scripts/demo-pod.sh; not a test file): the example chart's pod in podman against the local
// services, narrated: what each init container did (its log lines, exit code, time), then what the main
// container found. Then the same pod with a secret that does not exist, to show that the app never
// starts on half-prepared state. Everything it creates (secrets, bucket, pods) is removed at the end.
import { parseLogs } from '../helpers/run.ts';
import { freePort } from '../helpers/services.ts';
import { createFixtures } from './fixtures.ts';
import { loadImages, TOOLS } from './images.ts';
import { podman, playPod, type PodRun } from './pod.ts';
import { podValues } from './values.ts';

const bold = process.stdout.isTTY ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
const say = (text = ''): void => void process.stdout.write(`${text}\n`);

/** A log line as "msg  key=value ...", without the fields every line has. */
function describeLine(line: Record<string, unknown>): string {
  const { time: _time, level: _level, tool: _tool, msg, ...fields } = line;
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [String(msg), ...rest].join('  ');
}

function narrateInitContainers(run: PodRun): void {
  run.initContainers.forEach((name, i) => {
    const result = run.inspect(name);
    const seconds = result.startedAt && result.finishedAt ? `${((result.finishedAt.getTime() - result.startedAt.getTime()) / 1000).toFixed(2)}s` : '-';
    const status = result.state === 'created' ? 'never started' : `exit ${result.exitCode}, ${seconds}`;
    say(`  ${bold(`${i + 1}. ${name}`)}  (${status})`);
    for (const line of parseLogs(result.logs)) say(`       ${describeLine(line)}`);
    if (result.terminationMessage) say(`       termination message: ${result.terminationMessage.trim()}`);
  });
}

function readInApp(run: PodRun, path: string): string {
  const result = podman(['exec', `${run.name}-app`, 'node', '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(path)}, 'utf8'))`]);
  return result.status === 0 ? result.stdout : `(cannot read: ${result.stderr.trim()})`;
}

async function narrateApp(run: PodRun, port: number): Promise<void> {
  const app = run.inspect('app');
  say(`  ${bold('app')}  (${app.state})`);
  let report: { found: Record<string, { dir: string; files?: Array<{ path: string; bytes: number; mode: string }> }>; ready: boolean } | undefined;
  for (let i = 0; i < 50 && !report?.ready; i++) {
    report = await fetch(`http://127.0.0.1:${port}/found`).then((r) => r.json() as Promise<typeof report>).catch(() => undefined);
    if (!report?.ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!report) throw new Error('the app did not answer on /found');
  for (const [volume, { dir, files = [] }] of Object.entries(report.found)) {
    say(`       ${dir} (${volume}, read-only): ${files.map((f) => `${f.path} ${f.bytes} B ${f.mode}`).join(', ') || 'empty'}`);
  }
  say(`       /data/countries.ndjson, first line: ${readInApp(run, '/data/countries.ndjson').split('\n')[0]}`);
  const config = JSON.parse(readInApp(run, '/config/app.json')) as { database: { url: string }; apiKey: string };
  say(`       /config/app.json: database.url uses the password from /secrets/db.json (${config.database.url.replace(/:[^:@/]+@/, ':***@')}), apiKey ${config.apiKey.length} characters`);
  say(`       GET /healthz: ready=${report.ready}`);
}

async function main(): Promise<void> {
  loadImages(TOOLS);
  const fixtures = await createFixtures();
  const runs: PodRun[] = [];
  try {
    say(`  secrets ${fixtures.dbSecret}, ${fixtures.apiKeySecret} in Secrets Manager and s3://${fixtures.bucket}/${fixtures.csvKey} (moto)`);
    const port = await freePort();
    say('  $ helm template demo charts/example-app --values <demo values> | podman kube play -');
    const ok = playPod(`${fixtures.id}-demo`, podValues(fixtures, { port }));
    runs.push(ok);
    say(`  podman kube play returned ${ok.playStatus} after ${(ok.playMs / 1000).toFixed(1)}s\n`);
    narrateInitContainers(ok);
    if (ok.playStatus !== 0) throw new Error(`the pod failed: ${ok.playStderr.trim()}`);
    await narrateApp(ok, port);

    say(`\n  ${bold('The same pod, asking for a secret that does not exist:')}`);
    const missing = `${fixtures.id}/not-there`;
    const failed = playPod(`${fixtures.id}-demo-fail`, podValues(fixtures, { port: await freePort(), secrets: [`${fixtures.dbSecret}?as=db.json`, missing] }));
    runs.push(failed);
    say(`  podman kube play returned ${failed.playStatus}: ${failed.playStderr.trim().split('\n').pop()}\n`);
    narrateInitContainers(failed);
    say(`  ${bold('app')}  (${failed.inspect('app').state}: it never started, so it never saw a partial set of secrets)`);
  } finally {
    for (const run of runs) run.remove();
    await fixtures.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo-pod: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
