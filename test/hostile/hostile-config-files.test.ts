// Every tool's --config file, and render-config's --values files, holding documents that attack parsers:
// 100,000-deep nesting in JSON and YAML, an alias bomb, an unknown tag (!vault), binary noise. Each is a
// configuration error: exit 2 with one line naming the file, in bounded time, never a stack overflow (1).
// The same documents as the kubeconfig of wait-for-db's k8s:// targets.
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { binaryNoise, deepJsonArrays, deepJsonObjects, deepYamlFlow, yamlAliasBomb, yamlUnknownTag } from './lib/documents.ts';
import { assertNewSet } from './lib/output-set.ts';
import { assertFailure, assertSuccess, runHostile, type Tool } from './lib/run-hostile.ts';
import { writeTree } from './lib/scratch.ts';

const documents: Array<{ label: string; file: string; content: () => string | Buffer }> = [
  { label: '100,000 nested JSON arrays', file: 'config.json', content: () => `{"timeout": ${deepJsonArrays()}}` },
  { label: '100,000 nested JSON objects', file: 'config.json', content: () => `{"timeout": ${deepJsonObjects()}}` },
  { label: '100,000 nested YAML flow sequences', file: 'config.yaml', content: deepYamlFlow },
  { label: 'a YAML alias bomb', file: 'config.yaml', content: yamlAliasBomb },
  { label: 'an unknown YAML tag (!vault)', file: 'config.yaml', content: yamlUnknownTag },
  { label: 'binary noise', file: 'config.yaml', content: binaryNoise },
];

/** Arguments that make each tool's run valid apart from the config file. */
const toolArgs: Record<Tool, (dir: string) => string[]> = {
  'wait-for-db': () => ['--timeout', '2s', 'tcp://127.0.0.1:1'],
  'copy-secrets': (dir) => ['--from-dir', dir, '--out', join(dir, 'out')],
  'fetch-and-convert-data': (dir) => ['--out', join(dir, 'out'), `file://${join(dir, 'in.txt')}`],
  'render-config': (dir) => ['--templates', join(dir, 'in.txt'), '--out', join(dir, 'out')],
};

describe('hostile configuration documents', { concurrency: 4 }, () => {
  for (const tool of Object.keys(toolArgs) as Tool[]) {
    for (const { label, file, content } of documents) {
      test(`${tool} --config with ${label}: exit 2 naming ${file}`, async () => {
        const dir = writeTree({ [file]: content(), 'in.txt': 'input\n' });
        const run = await runHostile(tool, ['--config', join(dir, file), ...toolArgs[tool](dir)], { timeoutMs: 15_000 });
        assertFailure(run, 2, [file]);
      });
    }
  }

  // Deep nesting is valid data in a values file: rendered (merged twice, so the deep merge walks it) or
  // refused with exit 2, never a stack overflow. The other documents are refused.
  const valuesDocuments = [...documents, { label: 'a top-level list', file: 'values.yaml', content: () => '- a\n- b\n' }];
  for (const { label, file, content } of valuesDocuments) {
    const values = file.replace('config', 'values');
    const deep = label.includes('100,000');
    test(`render-config --values twice with ${label}: ${deep ? 'exit 0 rendered, or exit 2' : 'exit 2'} naming ${values}`, async () => {
      const dir = writeTree({ [values]: content(), 'app.conf': 'static\n' });
      const out = join(dir, 'out');
      const valuesArgs = ['--values', join(dir, values), '--values', join(dir, values)];
      const run = await runHostile('render-config', ['--templates', join(dir, 'app.conf'), '--out', out, ...valuesArgs], { timeoutMs: 15_000 });
      if (deep && run.code === 0) {
        assertSuccess(run);
        assertNewSet(out, { 'app.conf': 'static\n' });
      } else {
        assertFailure(run, 2, [values]);
      }
    });
  }

  // A kubeconfig is read by a YAML parser of its own (checks/kubernetes/kubeconfig.ts), before any request.
  for (const { label, content } of documents) {
    test(`wait-for-db k8s:// with ${label} as KUBECONFIG: exit 2 naming the file`, async () => {
      const dir = writeTree({ kubeconfig: content() });
      const run = await runHostile('wait-for-db', ['--timeout', '2s', 'k8s://job/migrate'], {
        timeoutMs: 15_000,
        env: { KUBECONFIG: join(dir, 'kubeconfig') },
      });
      assertFailure(run, 2, [join(dir, 'kubeconfig')]);
    });
  }
});
