// Documents built to exhaust memory or the stack, against the built tool: JSON, NDJSON and YAML nested
// 100 000 deep through every format step, a YAML anchor of megabytes aliased 99 times (a few MiB of input
// that would be hundreds of MiB of output), an alias that contains itself, and a CSV whose long header
// repeats as keys in every record. Each is exit 4 naming the limit and the flag that raises it, never
// exit 1 ("Maximum call stack size exceeded", "Invalid string length"), and nothing is left under --out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { assertRefused, listTree, run, runOnFile } from './fixtures.ts';

function convert(file: string, content: string, step: string, extra: string[] = []) {
  return runOnFile(file, content, step, extra);
}

const DEEP = 100_000;
const deepJson = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
const deepObject = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;

test('JSON, NDJSON and YAML nested 100 000 deep: exit 4 naming --max-nesting through every format step', async () => {
  const nesting = /nests arrays and objects deeper than --max-nesting 256; raise the limit if this is expected/;
  for (const step of ['json:yaml', 'json:csv', 'json:dotenv']) {
    assertRefused(step, await convert('deep.json', deepJson, step), nesting);
    assertRefused(`${step} (objects)`, await convert('deep.json', deepObject, step), nesting);
  }
  for (const step of ['ndjson:yaml', 'ndjson:csv'])
    assertRefused(step, await convert('deep.ndjson', `{"ok":1}\n${deepJson}\n`, step), /the JSON at line 2 nests arrays/);
  const blockYaml = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}- `).join('\n') + 'x\n';
  for (const step of ['yaml:json', 'yaml:ndjson']) {
    assertRefused(`${step} flow`, await convert('deep.yaml', deepJson, step), /YAML document 1 nests arrays and objects deeper than --max-nesting 256/);
    assertRefused(`${step} block`, await convert('deep.yaml', blockYaml, step), /YAML document 1 nests arrays and objects deeper than --max-nesting 256/);
  }
  // Within the limit, raised: converted.
  const within = await convert('ok.json', `${'['.repeat(300)}1${']'.repeat(300)}`, 'json:yaml', ['--max-nesting', '400']);
  assert.equal(within.result.code, 0, within.result.stderr);
});

test('YAML aliases are bounded by the bytes they copy: a 2 MiB or 6 MiB anchor aliased 99 times is exit 4, not 200 MiB of output or exit 1', async () => {
  for (const mib of [2, 6]) {
    const yaml = `a: &a "${'x'.repeat(mib * 1024 * 1024)}"\nb: [${Array(99).fill('*a').join(', ')}]\n`;
    assertRefused(
      `${mib} MiB`,
      await convert('alias.yaml', yaml, 'yaml:json', ['--max-document-bytes', '1GiB']),
      /YAML document 1: its aliases copy more than --max-yaml-alias-bytes 1\.00 MiB .* raise the limit/,
    );
  }
  const recursive = await convert('self.yaml', 'a: &a [1, *a]\n', 'yaml:json');
  assertRefused('alias inside itself', recursive, /an alias refers to a value that contains it/);
  const modest = await convert('defaults.yaml', 'base: &b {replicas: 2, image: app}\nweb: *b\nworker: *b\n', 'yaml:json');
  assert.equal(modest.result.code, 0, modest.result.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(modest.out, 'converted'), 'utf8')).worker, { replicas: 2, image: 'app' });
});

test('a CSV whose long header repeats as keys in every record is stopped by --max-ratio on the stream (exit 4)', async () => {
  const header = Array.from({ length: 200 }, (_, i) => `column_${i}_${'h'.repeat(1000)}`).join(',');
  const row = ','.repeat(199);
  const csv = `${header}\n${`${row}\n`.repeat(2000)}`;
  assertRefused('csv:ndjson', await convert('wide.csv', csv, 'csv:ndjson'), /converting \(csv:ndjson\) .* gave more than .*, above --max-ratio 200/);
});

test('JSON, NDJSON and YAML that are not UTF-8 are exit 4 naming where, never silently replaced by U+FFFD', async () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['bad.json', '{"a":"\xff\xfe"}', 'json:yaml', /the document is not valid UTF-8 text/],
    ['bad.yaml', 'a: "\xff"\n', 'yaml:json', /the document is not valid UTF-8 text/],
    ['bad.ndjson', '{"a":1}\n{"a":"\xff"}\n', 'ndjson:csv', /NDJSON line 2 is not valid UTF-8 text/],
  ];
  for (const [file, text, step, message] of cases) {
    const dir = tempDir();
    writeFileSync(join(dir, file), Buffer.from(text, 'latin1'));
    const out = join(dir, 'out');
    assertRefused(file, { out, result: await run(['--out', out, '--name', 'converted', '--convert', step, `file://${join(dir, file)}`]) }, message);
  }
  const unresolved = await convert('alias.yaml', 'a: *nowhere\n', 'yaml:json');
  assertRefused('unresolved alias', unresolved, /YAML document 1: Unresolved alias .*nowhere$/);
});

/** A YAML list that takes the parser seconds and a few hundred MiB (flow maps, one per line). */
function slowYaml(items: number): string {
  return Array.from({ length: items }, (_, i) => `- {id: ${i}, name: "user ${i}", tags: [a, b, c]}`).join('\n');
}

test('the deadline wins while a big document is being parsed (exit 124 at once), and the parser memory is bounded (exit 4, not a kill)', async () => {
  const started = performance.now();
  const slow = await convert('big.yaml', slowYaml(100_000), 'yaml:json', ['--timeout', '1s']);
  const took = performance.now() - started;
  assert.equal(slow.result.code, 124, slow.result.stderr);
  assert.match(failureLine(slow.result).msg, /not done within --timeout 1s/);
  assert.ok(took < 4000, `ended after ${Math.round(took)} ms, the parser alone takes longer`);
  assert.deepEqual(listTree(slow.out), []);

  const hungry = await convert('big.yaml', slowYaml(100_000), 'yaml:json', ['--max-parse-memory', '64MiB']);
  assertRefused('parser memory', hungry, /parsing the document needs more memory than --max-parse-memory 64\.0 MiB .* raise the limit/);
});

test('NDJSON to CSV with tens of thousands of keys per record stays linear (done well within the deadline), and a stray key is named in a short line', async () => {
  const wide = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, 0]));
  const line = JSON.stringify(wide);
  // Quadratic work would not end within the tool's own 5 s deadline: exit 124, not 0.
  const ok = await convert('wide.ndjson', `${line}\n${line}\n${line}\n`, 'ndjson:csv', ['--timeout', '5s']);
  assert.equal(ok.result.code, 0, ok.result.stderr.slice(0, 2000));
  const stray = await convert('stray.ndjson', `${line}\n${JSON.stringify({ ...wide, other: 1 })}\n`, 'ndjson:csv');
  assertRefused(
    'stray key',
    stray,
    /line 2: key "other" is not a column of the first record \(k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, \.\.\. 60000 columns\)$/,
  );
  assert.ok(failureLine(stray.result).msg.length < 400);
});
