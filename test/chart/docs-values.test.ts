// Every YAML block the docs show is read by helm, which reads YAML as the Kubernetes tooling does (go-yaml:
// a bare `?` in a flow list is an error there, while the `yaml` package accepts it), and every values block
// of the library alone (only an `initToolkit:` key, what a consumer adds to its values) renders the example
// chart: a block copied from the docs must work as is. Blocks of a whole chart's values (the recipes') are
// compared with that chart's file by its own test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { exampleChartCopy, goTool, KUBE_VERSION, repoRoot, run } from './helm.ts';
import { tempDir } from '../helpers/temp-dir.ts';

interface Block {
  where: string;
  text: string;
}

/** Fenced yaml blocks of the tracked Markdown pages, without Helm template snippets and changelog sketches. */
function yamlBlocks(): Block[] {
  const pages = execFileSync('git', ['ls-files', '*.md'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter((page) => page !== '' && !page.endsWith('CHANGELOG.md'));
  return pages.flatMap((page) => {
    const text = readFileSync(join(repoRoot, page), 'utf8');
    return [...text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)]
      .filter((match) => !/\{\{-|\{\{ *(include|template|toYaml|\.)/.test(match[1] as string))
      .map((match) => ({ where: `${page}:${text.slice(0, match.index).split('\n').length}`, text: match[1] as string }));
  });
}

const blocks = yamlBlocks();
const exampleChart = exampleChartCopy();

/** Values of the library alone: `initToolkit` is the only top-level key. */
function libraryValues(text: string): boolean {
  const keys = [...text.matchAll(/^([^\s#-][^:]*):/gm)].map((match) => match[1]);
  return keys.length === 1 && keys[0] === 'initToolkit';
}

/** An empty chart: `helm template` of it reads the values file and renders nothing. */
function emptyChart(): string {
  const dir = tempDir('docs-values-chart-');
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: values-reader\nversion: 0.1.0\n');
  return dir;
}

describe('the YAML blocks of the docs', () => {
  it('are found: the values blocks of the chart README, wait-for-db and the runbooks among them', () => {
    const values = blocks.filter((block) => libraryValues(block.text)).map((block) => block.where.split(':')[0]);
    for (const page of ['charts/init-toolkit/README.md', 'docs/wait-for-db.md', 'docs/runbooks/init-container-failing.md']) {
      assert.ok(values.includes(page), `${page} has an initToolkit values block`);
    }
  });

  for (const block of blocks) {
    it(`${block.where} reads as YAML${libraryValues(block.text) ? ' and renders the example chart' : ''}`, () => {
      const file = join(tempDir('docs-values-'), 'values.yaml');
      const documents = block.text.split(/^---\n/m);
      for (const document of documents) {
        const parsed: unknown = parse(document);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) continue;
        writeFileSync(file, document);
        const chart = libraryValues(document) ? exampleChart() : emptyChart();
        const result = run(goTool('helm'), ['template', 'docs', chart, '--kube-version', KUBE_VERSION, '--values', file]);
        assert.equal(result.status, 0, `${block.where}: ${result.stderr}`);
      }
    });
  }
});
