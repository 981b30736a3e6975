// Helpers of the chart tests: a private copy of charts/ per test file (so `helm dependency build`
// of parallel test files never races), helm, kubeconform and the PSS checker from .cache/go/bin.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { tempDir } from '../helpers/temp-dir.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const valuesDir = join(repoRoot, 'test', 'chart', 'values');
/** The Kubernetes release the charts are rendered and validated for (test/unit/kubernetes-version.test.ts
 * holds the other places that name it to the same). */
export const KUBE_VERSION = '1.35.4';
const bin = join(repoRoot, '.cache', 'go', 'bin');

/** A Go tool built by `make test-chart` (scripts/install-go-tools.sh, scripts/chart-pss-check.sh). */
export function goTool(name: string): string {
  const path = join(bin, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make test-chart\` (it builds helm, kubeconform and pss-check)`);
  return path;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], input?: string): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Copies charts/ to a temp dir and builds the example chart's dependency; returns the copy's charts dir. */
export function chartsCopy(): { dir: string; cleanup: () => void } {
  const base = tempDir('chart-test-');
  const dir = join(base, 'charts');
  cpSync(join(repoRoot, 'charts'), dir, { recursive: true, filter: (src) => !src.endsWith('.tgz') });
  execFileSync(goTool('helm'), ['dependency', 'build', join(dir, 'example-app')], { stdio: 'pipe' });
  return { dir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** The example chart in a copy made before a test file's tests and removed after them: its path, once `before` ran. */
export function exampleChartCopy(): () => string {
  let charts: { dir: string; cleanup: () => void } | undefined;
  before(() => {
    charts = chartsCopy();
  });
  after(() => charts?.cleanup());
  return () => join((charts as { dir: string }).dir, 'example-app');
}

/** `helm template` of a chart with values files (names under test/chart/values/) and --set pairs. */
export function template(chartDir: string, valuesFiles: readonly string[] = [], set: readonly string[] = []): Run {
  const args = ['template', 'demo', chartDir, '--namespace', 'apps', '--kube-version', KUBE_VERSION];
  for (const file of valuesFiles) args.push('--values', join(valuesDir, file));
  for (const pair of set) args.push('--set', pair);
  return run(goTool('helm'), args);
}

/** Renders and fails the test with helm's message unless it succeeded. */
export function render(chartDir: string, valuesFiles: readonly string[] = [], set: readonly string[] = []): string {
  const result = template(chartDir, valuesFiles, set);
  if (result.status !== 0) throw new Error(`helm template failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

// Loose shapes of the rendered objects: the tests read them like a user reads `kubectl get -o yaml`.
export type Obj = Record<string, any>;

export function parseManifests(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJSON() as Obj | null)
    .filter((obj): obj is Obj => obj !== null);
}

export function find(objects: readonly Obj[], kind: string, nameSuffix = ''): Obj {
  const found = objects.find((o) => o.kind === kind && String(o.metadata?.name).endsWith(nameSuffix));
  if (!found) throw new Error(`no ${kind} named *${nameSuffix} in the rendered manifests`);
  return found;
}

/** The pod spec of the example's Deployment. */
export function podSpec(objects: readonly Obj[]): Obj {
  return find(objects, 'Deployment').spec.template.spec;
}

export function envOf(container: Obj): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e.value]));
}

export function schemaDir(): string {
  return execFileSync(process.execPath, [join(repoRoot, 'scripts', 'chart-k8s-schemas.mjs')], { encoding: 'utf8' }).trim();
}

/** kubeconform, strict, offline: only the schemas derived from the pinned Kubernetes release. */
export function kubeconform(manifests: string): Run {
  const location = join(schemaDir(), '..', '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}', '{{ .ResourceKind }}{{ .KindSuffix }}.json');
  return run(
    goTool('kubeconform'),
    ['-strict', '-summary', '-output', 'text', '-kubernetes-version', KUBE_VERSION, '-schema-location', location, '-'],
    manifests,
  );
}

/** The upstream Pod Security admission checks, profile restricted. */
export function pssCheck(manifests: string): Run {
  return run(goTool('pss-check'), ['-version', `v${KUBE_VERSION.split('.').slice(0, 2).join('.')}`], manifests);
}
