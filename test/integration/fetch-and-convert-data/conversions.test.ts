// Every conversion step on real files, as chains, and the malformed inputs that must fail with exit 4
// and an error naming the line, leaving nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { listTree, run } from './fixtures.ts';

/** Writes `content` as `name` in a fresh directory, runs the tool on it, returns the output directory and result. */
async function convert(name: string, content: string | Buffer, args: string[]) {
  const dir = tempDir();
  writeFileSync(join(dir, name), content);
  const out = join(dir, 'out');
  const result = await run(['--out', out, ...args, `file://${join(dir, name)}`]);
  return { out, result, read: (file: string) => readFileSync(join(out, file), 'utf8') };
}

test('gunzip and zstd decompress; chains with format steps', async () => {
  const gz = await convert('notes.txt.gz', gzipSync('plain text\n'), ['--convert', 'gunzip']);
  assert.equal(gz.result.code, 0, gz.result.stderr);
  assert.equal(gz.read('notes.txt'), 'plain text\n');

  const zst = await convert('config.yaml.zst', zstdCompressSync('a: [1, 2]\n'), ['--convert', 'zstd,yaml:json']);
  assert.equal(zst.result.code, 0, zst.result.stderr);
  assert.deepEqual(JSON.parse(zst.read('config.json')), { a: [1, 2] });
});

test('xz files made by the xz tool decompress, alone, in chains, and .txz / .tar.xz archives with --convert auto', async () => {
  const csv = `id,name\n${Array.from({ length: 20_000 }, (_, i) => `${i},name ${i}`).join('\n')}\n`;
  const xz = await convert('users.csv.xz', execFileSync('xz', ['-9', '-c'], { input: csv }), ['--convert', 'auto', '--name', 'users.ndjson']);
  assert.equal(xz.result.code, 0, xz.result.stderr);
  const lines = xz.read('users.ndjson').trimEnd().split('\n');
  assert.equal(lines.length, 20_000);
  assert.deepEqual(JSON.parse(lines.at(-1)!), { id: '19999', name: 'name 19999' });

  const dir = tempDir();
  writeFileSync(join(dir, 'app.yaml'), 'a: 1\n');
  for (const name of ['bundle.txz', 'bundle.tar.xz']) {
    execFileSync('tar', ['-cJf', join(dir, name), '-C', dir, 'app.yaml']);
    const out = join(dir, `out-${name}`);
    const result = await run(['--out', out, '--convert', 'auto', `file://${join(dir, name)}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'bundle', 'app.yaml'), 'utf8'), 'a: 1\n');
  }
});

test('csv:ndjson and csv:json: RFC 4180 quotes, embedded newlines, BOM, header, delimiter', async () => {
  const csv = '\uFEFFcity;quote;n\r\n"Paris";"she said ""oui""";1\r\n"Rome";"line one\r\nline two";2\r\n;;\r\n';
  const nd = await convert('cities.csv', csv, ['--convert', 'csv:ndjson', '--csv-delimiter', ';']);
  assert.equal(nd.result.code, 0, nd.result.stderr);
  assert.deepEqual(
    nd
      .read('cities.ndjson')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { city: 'Paris', quote: 'she said "oui"', n: '1' },
      { city: 'Rome', quote: 'line one\r\nline two', n: '2' },
      { city: '', quote: '', n: '' },
    ],
  );

  const arr = await convert('t.csv', 'a\tb\n1\t2\n', ['--convert', 'csv:json', '--csv-delimiter', 'tab']);
  assert.equal(arr.result.code, 0, arr.result.stderr);
  assert.deepEqual(JSON.parse(arr.read('t.json')), [{ a: '1', b: '2' }]);

  const headerOnly = await convert('h.csv', 'a,b\n', ['--convert', 'csv:json']);
  assert.deepEqual(JSON.parse(headerOnly.read('h.json')), []);
});

test('ndjson:csv and json:csv quote what needs quoting; nested values become JSON text', async () => {
  const nd = await convert('e.ndjson', '{"id":1,"tags":["a","b"],"text":"x, \\"y\\""}\n\n{"id":2,"tags":null}\n', ['--convert', 'ndjson:csv']);
  assert.equal(nd.result.code, 0, nd.result.stderr);
  assert.equal(nd.read('e.csv'), 'id,tags,text\n1,"[""a"",""b""]","x, ""y"""\n2,,\n');

  const js = await convert('e.json', '[{"a":1},{"b":true}]', ['--convert', 'json:csv']);
  assert.equal(js.result.code, 0, js.result.stderr);
  assert.equal(js.read('e.csv'), 'a,b\n1,\n,true\n');
});

test('yaml:json and yaml:ndjson are multi-document aware; json:yaml and ndjson:yaml round-trip', async () => {
  const yaml = 'kind: A\nitems: [1, 2]\n---\nkind: B\nanchor: &x {k: v}\nref: *x\n';
  const one = await convert('docs.yaml', yaml, ['--convert', 'yaml:json']);
  assert.equal(one.result.code, 0, one.result.stderr);
  assert.deepEqual(JSON.parse(one.read('docs.json')), [
    { kind: 'A', items: [1, 2] },
    { kind: 'B', anchor: { k: 'v' }, ref: { k: 'v' } },
  ]);
  const lines = await convert('docs.yml', yaml, ['--convert', 'yaml:ndjson']);
  assert.equal(lines.read('docs.ndjson'), '{"kind":"A","items":[1,2]}\n{"kind":"B","anchor":{"k":"v"},"ref":{"k":"v"}}\n');

  const single = await convert('one.yaml', 'name: solo\n', ['--convert', 'auto', '--name', 'one.json']);
  assert.deepEqual(JSON.parse(single.read('one.json')), { name: 'solo' });

  const toYaml = await convert('c.json', '{"server":{"port":8080,"hosts":["a","b"]}}', ['--convert', 'json:yaml']);
  assert.equal(toYaml.read('c.yaml'), 'server:\n  port: 8080\n  hosts:\n    - a\n    - b\n');
  const multi = await convert('m.ndjson', '{"a":1}\n{"b":2}\n', ['--convert', 'ndjson:yaml']);
  assert.equal(multi.read('m.yaml'), 'a: 1\n---\nb: 2\n');
});

test('json:dotenv quotes values that need it and refuses names the shell cannot use', async () => {
  const ok = await convert('e.json', JSON.stringify({ PLAIN: 'abc-1.2', SPACED: 'a b', MULTI: 'x\ny', DOLLAR: '$HOME', N: 5, B: false, NUL: null }), [
    '--convert',
    'json:dotenv',
  ]);
  assert.equal(ok.result.code, 0, ok.result.stderr);
  assert.equal(ok.read('e.env'), 'PLAIN=abc-1.2\nSPACED="a b"\nMULTI="x\\ny"\nDOLLAR="\\$HOME"\nN=5\nB=false\nNUL=\n');

  const bad = await convert('b.json', '{"not-a-name": "x"}', ['--convert', 'json:dotenv']);
  assert.equal(bad.result.code, 4);
  assert.match(failureLine(bad.result).msg, /"not-a-name" is not a valid environment variable name/);
});

test('malformed CSV, YAML, JSON and NDJSON: exit 4, the error names the line, nothing written', async () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['bad.csv', 'a,b\n1,2\n3,"open\n', 'csv:ndjson', /invalid CSV at line 3: field 2: a quoted field is not closed/],
    ['ragged.csv', 'a,b\n1,2\n3,4,5\n', 'csv:json', /invalid CSV at line 3: expected 2 fields like the header row, got more/],
    ['dup.csv', 'a,a\n1,2\n', 'csv:json', /duplicate column name "a"/],
    ['bad.yaml', 'ok: 1\nlist: [1, 2\nnext: 3\n', 'yaml:json', /invalid YAML at line \d+ column \d+/],
    ['dupkey.yaml', 'a: 1\na: 2\n', 'yaml:json', /invalid YAML at line 2/],
    ['bad.json', '{\n  "a": 1,\n  "b": oops\n}\n', 'json:yaml', /invalid JSON at line 3 column 8: Unexpected token 'o'$/],
    ['bad.ndjson', '{"a":1}\n{"a":2}\n{"a":\n', 'ndjson:csv', /invalid JSON at line 3 column \d+: Unexpected end of JSON input/],
    // V8 quotes the data around the fault, cut with "...", in its message: not passed on.
    ['long.json', `{"pad": "${'p'.repeat(40)}", "b": quoted-data-canary, "c": 1}`, 'json:yaml', /invalid JSON at line 1 column 58: Unexpected token 'q'$/],
    ['keys.ndjson', '{"a":1}\n{"b":2}\n', 'ndjson:csv', /line 2: key "b" is not a column of the first record/],
  ];
  for (const [name, content, step, message] of cases) {
    const { out, result } = await convert(name, content, ['--convert', step]);
    assert.equal(result.code, 4, `${name}: ${result.stderr}`);
    assert.match(failureLine(result).msg, message, name);
    assert.doesNotMatch(result.stderr, /quoted-data-canary/, name);
    assert.deepEqual(listTree(out), [], `${name}: nothing written`);
  }
});

test('a truncated gzip file fails with exit 4 and leaves nothing', async () => {
  const full = gzipSync(Buffer.alloc(200_000, 'x'));
  const { out, result } = await convert('cut.txt.gz', full.subarray(0, Math.floor(full.length / 2)), ['--convert', 'gunzip']);
  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, /invalid or truncated compressed data: unexpected end of file/);
  assert.deepEqual(listTree(out), []);
});

test('limits: CSV record size, NDJSON line size, YAML aliases, document size, source size', async () => {
  const longRecord = await convert('long.csv', `a\n"${'x'.repeat(5000)}"\n`, ['--convert', 'csv:ndjson', '--max-record-bytes', '1KiB']);
  assert.equal(longRecord.result.code, 4);
  assert.match(failureLine(longRecord.result).msg, /invalid CSV at line 2: the record is longer than --max-record-bytes 1.00 KiB/);

  const longLine = await convert('long.ndjson', `{"a":"${'x'.repeat(5000)}"}\n`, ['--convert', 'ndjson:csv', '--max-record-bytes', '1KiB']);
  assert.equal(longLine.result.code, 4);
  assert.match(failureLine(longLine.result).msg, /NDJSON line 1 is longer than --max-record-bytes/);

  const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++)
    laughs.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const bomb = await convert('laughs.yaml', `${laughs.join('\n')}\n`, ['--convert', 'yaml:json']);
  assert.equal(bomb.result.code, 4, bomb.result.stderr);
  assert.match(failureLine(bomb.result).msg, /its aliases copy more than --max-yaml-alias-bytes 1.00 MiB/);
  // Measured in bytes first (without expanding); the alias count still holds for many small aliases.
  const counted = await convert('many.yaml', `a: &a x\nb: [${Array(150).fill('*a').join(',')}]\n`, ['--convert', 'yaml:json']);
  assert.equal(counted.result.code, 4, counted.result.stderr);
  assert.match(failureLine(counted.result).msg, /--max-yaml-aliases 100/);

  const doc = await convert('big.json', JSON.stringify({ a: 'x'.repeat(4096) }), ['--convert', 'json:yaml', '--max-document-bytes', '1KiB']);
  assert.equal(doc.result.code, 4);
  assert.match(failureLine(doc.result).msg, /larger than --max-document-bytes/);

  const source = await convert('big.bin', Buffer.alloc(4096), ['--max-source-bytes', '1KiB']);
  assert.equal(source.result.code, 4);
  assert.match(failureLine(source.result).msg, /exceeds --max-source-bytes/);
  assert.deepEqual(listTree(source.out), []);
});
