// fetch-and-convert-data converting documents that attack parsers: alias bombs, 100,000-deep nesting,
// unknown tags, records over the limit. Each is invalid input: exit 4 with one line naming the source,
// the previous result kept.
import { before, describe, test } from 'node:test';
import { join } from 'node:path';
import { deepJsonArrays, deepJsonObjects, deepYamlFlow, yamlAliasBomb, yamlUnknownTag } from './lib/documents.ts';
import { prepareOldFetchOutput, type OldFetchOutput } from './lib/fetch-old-output.ts';
import { assertFailure, runHostile } from './lib/run-hostile.ts';
import { writeTree } from './lib/scratch.ts';

const cases: Array<{ label: string; file: string; convert: string; content: () => string }> = [
  { label: 'a YAML alias bomb', file: 'in.yaml', convert: 'yaml:json', content: yamlAliasBomb },
  { label: 'a YAML alias bomb', file: 'in.yaml', convert: 'yaml:ndjson', content: yamlAliasBomb },
  { label: '100,000 nested YAML flow sequences', file: 'in.yaml', convert: 'yaml:json', content: deepYamlFlow },
  { label: '100,000 nested JSON arrays', file: 'in.json', convert: 'json:yaml', content: deepJsonArrays },
  { label: '100,000 nested JSON objects', file: 'in.json', convert: 'json:yaml', content: deepJsonObjects },
  { label: '100,000 nested JSON arrays in a record', file: 'in.json', convert: 'json:csv', content: () => `[{"a": ${deepJsonArrays()}}]` },
  { label: '100,000 nested JSON objects in a value', file: 'in.json', convert: 'json:dotenv', content: () => `{"A": ${deepJsonObjects()}}` },
  { label: '100,000 nested JSON objects on one line', file: 'in.ndjson', convert: 'ndjson:csv', content: () => `{"a":1}\n{"a": ${deepJsonObjects()}}\n` },
  { label: '100,000 nested JSON objects on one line', file: 'in.ndjson', convert: 'ndjson:yaml', content: () => `{"a": ${deepJsonObjects()}}\n` },
  { label: 'an unknown YAML tag (!vault)', file: 'in.yaml', convert: 'yaml:json', content: yamlUnknownTag },
  { label: 'a JavaScript YAML tag (!!js/function)', file: 'in.yaml', convert: 'yaml:json', content: () => 'f: !!js/function "function () { return 1 }"\n' },
  { label: 'a CSV record of 2 MiB', file: 'in.csv', convert: 'csv:ndjson', content: () => `a,b\n1,${'x'.repeat(2 * 1024 * 1024)}\n` },
  { label: 'a CSV field never closed', file: 'in.csv', convert: 'csv:json', content: () => 'a,b\n1,"open\n2,3\n' },
  { label: 'a JSON document cut short', file: 'in.json', convert: 'json:yaml', content: () => '{"a": [1, 2, {"b": ' },
];

describe('fetch-and-convert-data on hostile documents', { concurrency: 4 }, () => {
  let old: OldFetchOutput;
  before(async () => {
    old = await prepareOldFetchOutput('data.out');
  });

  for (const { label, file, convert, content } of cases) {
    test(`${convert} of ${label}: exit 4 naming ${file}, previous result kept`, async () => {
      const out = old.copy();
      const source = join(writeTree({ [file]: content() }), file);
      const run = await runHostile('fetch-and-convert-data', ['--out', out, '--name', 'data.out', '--convert', convert, `file://${source}`], {
        timeoutMs: 20_000,
      });
      assertFailure(run, 4, [file]);
      old.assertKept(out);
    });
  }
});
