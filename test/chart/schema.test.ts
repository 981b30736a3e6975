// The typed settings of the chart's steps come from the tools' own option declarations
// (scripts/chart-schema.mjs): the committed schema is current, it names exactly the flags of each tool's
// --help and docs table, and helm refuses what the pod would have refused, at lint time.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chartsCopy, envOf, goTool, KUBE_VERSION, type Obj, parseManifests, podSpec, repoRoot, run } from './helm.ts';

const script = join(repoRoot, 'scripts', 'chart-schema.mjs');
const { NOT_SETTINGS, TOOLS } = (await import(script)) as { NOT_SETTINGS: string[]; TOOLS: string[] };
const settings = (JSON.parse(readFileSync(join(repoRoot, 'charts', 'init-toolkit', 'values.schema.json'), 'utf8')) as Obj).$defs.settings as Record<
  string,
  Obj
>;

let charts: { dir: string; cleanup: () => void };
before(() => {
  charts = chartsCopy();
});
after(() => charts.cleanup());

/** What a tool's --help lists: its flags and its arguments' env var (if it takes any), as settings keys. */
function help(tool: string): { flags: string[]; positional: string | undefined } {
  const result = run(process.execPath, [join(repoRoot, 'dist', `${tool}.js`), '--help']);
  assert.equal(result.status, 0, result.stderr);
  const flags = [...result.stdout.matchAll(/^ {2}--([a-z][a-z0-9-]*)/gm)].map((m) => m[1] as string);
  const prefix = `${tool.replace(/-/g, '_').toUpperCase()}_`;
  const positional = new RegExp(`^Arguments:\\n.*\\n\\s+env ${prefix}([A-Z_]+)$`, 'm').exec(result.stdout)?.[1]?.toLowerCase().replace(/_/g, '-');
  return { flags: flags.filter((f) => !NOT_SETTINGS.includes(f) && f !== 'help' && f !== 'version').sort(), positional };
}

/** The flags of docs/<tool>.md's table (`| \`--flag ...\` |` rows). */
function docFlags(tool: string): string[] {
  const docs = readFileSync(join(repoRoot, 'docs', `${tool}.md`), 'utf8');
  return [...new Set([...docs.matchAll(/^\| `--([a-z][a-z0-9-]*)/gm)].map((m) => m[1] as string))]
    .filter((f) => !NOT_SETTINGS.includes(f) && f !== 'help' && f !== 'version')
    .sort();
}

function lint(values: string): { status: number; output: string } {
  const file = join(charts.dir, 'lint-values.yaml');
  writeFileSync(file, values);
  const result = run(goTool('helm'), ['lint', '--strict', '--kube-version', KUBE_VERSION, join(charts.dir, 'example-app'), '--values', file]);
  return { status: result.status, output: result.stdout + result.stderr };
}

describe("the steps' settings schema, from the tools' specs", () => {
  it('is current (scripts/chart-schema.mjs --check)', () => {
    const result = run(process.execPath, [script, '--check']);
    assert.equal(result.status, 0, result.stderr);
  });

  for (const tool of TOOLS) {
    it(`${tool}: names exactly the flags of --help and of docs/${tool}.md`, () => {
      const schema = Object.keys(settings[tool]!.properties).sort();
      const { flags, positional } = help(tool);
      assert.deepEqual(schema, [...flags, ...(positional ? [positional] : [])].sort());
      assert.deepEqual(docFlags(tool), flags, `docs/${tool}.md's flags table`);
    });
  }

  const refused: Array<[string, string, RegExp]> = [
    ['a misspelt flag', 'initToolkit:\n  steps:\n    wait-db:\n      settings:\n        timout: 5s\n', /additional properties 'timout' not allowed/],
    ['an unquoted file mode (YAML octal: the number 288)', 'initToolkit:\n  steps:\n    secrets:\n      settings:\n        mode: 0440\n', /settings\/mode/],
    ['a setuid file mode (the tools take at most 0777)', 'initToolkit:\n  steps:\n    secrets:\n      settings:\n        mode: "4755"\n', /settings\/mode/],
    ['a word for a boolean', 'initToolkit:\n  steps:\n    secrets:\n      settings:\n        strip-prefix: "yes"\n', /settings\/strip-prefix/],
    ['a duration without a unit word it knows', 'initToolkit:\n  steps:\n    wait-db:\n      settings:\n        timeout: 2 minutes\n', /settings\/timeout/],
    ['a choice it does not offer', 'initToolkit:\n  steps:\n    wait-db:\n      settings:\n        redis-role: primary\n', /settings\/redis-role/],
    // The tool refuses the empty env var an empty list becomes (for env-vars the default is every variable).
    ['an empty list', 'initToolkit:\n  steps:\n    config:\n      settings:\n        env-vars: []\n', /settings\/env-vars/],
    ['a blank list item', 'initToolkit:\n  steps:\n    config:\n      settings:\n        exclude: ["a.conf", " "]\n', /settings\/exclude/],
    ['a flag of another tool', 'initToolkit:\n  steps:\n    wait-db:\n      settings:\n        prefix: app/\n', /additional properties 'prefix' not allowed/],
  ];
  for (const [what, values, message] of refused) {
    it(`helm lint refuses ${what}`, () => {
      const result = lint(values);
      assert.notEqual(result.status, 0, result.output);
      assert.match(result.output, message);
    });
  }

  it('accepts the forms the tools read, and renders them as the tools expect', () => {
    const values =
      'initToolkit:\n  steps:\n    data:\n      settings:\n        max-source-bytes: 1073741824\n        max-total-bytes: 2GiB\n        timeout: 90\n    secrets:\n      settings:\n        mode: "0440"\n        strip-prefix: true\n';
    assert.equal(lint(values).status, 0, lint(values).output);
    const file = join(charts.dir, 'ok-values.yaml');
    writeFileSync(file, values);
    const rendered = run(goTool('helm'), ['template', 'demo', join(charts.dir, 'example-app'), '--kube-version', KUBE_VERSION, '--values', file]);
    assert.equal(rendered.status, 0, rendered.stderr);
    const containers = podSpec(parseManifests(rendered.stdout)).initContainers as Obj[];
    const data = envOf(containers.find((c) => c.name === 'data')!);
    assert.equal(data.FETCH_AND_CONVERT_DATA_MAX_SOURCE_BYTES, '1073741824');
    assert.equal(data.FETCH_AND_CONVERT_DATA_MAX_TOTAL_BYTES, '2GiB');
    assert.equal(data.FETCH_AND_CONVERT_DATA_TIMEOUT, '90');
    assert.equal(envOf(containers.find((c) => c.name === 'secrets')!).COPY_SECRETS_STRIP_PREFIX, 'true');
    // A glob list is one glob a line, spaces and commas kept: what render-config splits the env var on.
    const globs = join(charts.dir, 'globs-values.yaml');
    writeFileSync(globs, 'initToolkit:\n  steps:\n    config:\n      settings:\n        exclude: ["my notes.txt", "*.{bak,tmp}"]\n');
    const withGlobs = run(goTool('helm'), ['template', 'demo', join(charts.dir, 'example-app'), '--kube-version', KUBE_VERSION, '--values', globs]);
    assert.equal(withGlobs.status, 0, withGlobs.stderr);
    const config = (podSpec(parseManifests(withGlobs.stdout)).initContainers as Obj[]).find((c) => c.name === 'config')!;
    assert.equal(envOf(config).RENDER_CONFIG_EXCLUDE, 'my notes.txt\n*.{bak,tmp}');
  });
});
