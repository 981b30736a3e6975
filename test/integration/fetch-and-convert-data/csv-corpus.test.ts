// CSV -> NDJSON / JSON through the built tool over a generated corpus of nasty CSV, compared with what the
// tool produced before its byte scanner (commit 5a490a7, the text scanner): the SHA-256 of every output
// file, and for the refused inputs the exit code and the whole error line (which names the line). The
// corpus is generated from a fixed seed; fixtures/csv-corpus.json holds the expected results.
// UPDATE_CSV_CORPUS=1 rewrites that file from the current bundle: only for a deliberate change of output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { run, sha256 } from './fixtures.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const FIXTURE = new URL('./fixtures/csv-corpus.json', import.meta.url).pathname;
const CASES = 160;
/** Runs at once: each is a process; more would only queue on a 2-core machine. */
const PARALLEL = 4;

interface Case {
  content: Buffer;
  args: string[];
}

interface Outcome {
  code: number | null;
  /** SHA-256 and size of the output file of a successful run. */
  sha256?: string;
  bytes?: number;
  /** The error line of a refused one. */
  error?: string;
}

/** The faults a document may carry; most carry none. */
const FAULTS = [
  'more fields',
  'fewer fields',
  'unclosed quote',
  'text after quote',
  'quote in unquoted',
  'lone CR',
  'bad UTF-8',
  'truncated UTF-8',
  'empty header name',
  'duplicate header',
  'too long',
  'empty',
  'blank lines only',
] as const;

function makeCase(random: () => number): Case {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const delimiter = pick([',', ',', ';', '\t', '|', '§']);
  const columns = 1 + Math.floor(random() * 6);
  const fault = random() < 0.4 ? pick(FAULTS) : undefined;
  // Some documents are long enough that records and characters straddle the 64 KiB reads.
  const big = random() < 0.15;
  const records = big ? 3000 + Math.floor(random() * 3000) : Math.floor(random() * 40);
  const alphabet = [
    'a',
    'b',
    ' ',
    delimiter,
    '"',
    '\n',
    '\r\n',
    '\r',
    'é',
    '😀',
    '中',
    '\\',
    '\t',
    '\u0001',
    '\u001f',
    '\u007f',
    '\u2028',
    '/',
    '<',
    "'",
    '{',
    '0',
  ];
  const value = (): string => {
    const long = random() < 0.003;
    const length = long ? 70_000 + Math.floor(random() * 1000) : Math.floor(random() * 9);
    let text = '';
    for (let i = 0; i < length; i++) text += pick(alphabet);
    return text;
  };
  const quoted = (text: string): string => {
    const needs = text.includes(delimiter) || /["\r\n]/.test(text) || (text === '' && columns === 1);
    return needs || random() < 0.2 ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const eol = (): string => (random() < 0.5 ? '\n' : '\r\n');
  const names = Array.from({ length: columns }, (_, c) => `${pick(['c', 'é', '"q"', 'a\\b', 'tab\t', '😀', 'x y'])}${c}`);
  if (fault === 'empty header name') names[Math.floor(random() * columns)] = '';
  if (fault === 'duplicate header' && columns > 1) names[columns - 1] = names[0] as string;
  let text = (random() < 0.2 ? '\uFEFF' : '') + names.map(quoted).join(delimiter) + eol();
  const faultAt = Math.floor(random() * (records + 1));
  for (let r = 0; r < records; r++) {
    if (random() < 0.05) text += eol();
    let fields = Array.from({ length: columns }, () => quoted(value()));
    if (r === faultAt) {
      if (fault === 'more fields') fields.push('extra');
      if (fault === 'fewer fields') fields = fields.slice(0, -1);
      if (fault === 'text after quote') fields[0] = '"x"y';
      if (fault === 'quote in unquoted') fields[fields.length - 1] = 'a"b';
      if (fault === 'lone CR') fields[0] = 'a\rb';
      if (fault === 'unclosed quote') {
        text += `${fields
          .slice(0, -1)
          .map((f) => f + delimiter)
          .join('')}"never closed${eol()}more`;
        break;
      }
    }
    text += fields.join(delimiter) + (r < records - 1 || random() < 0.7 ? eol() : '');
  }
  if (fault === 'empty') text = '';
  if (fault === 'blank lines only') text = '\n\r\n\n';
  let content = Buffer.from(text);
  if (fault === 'bad UTF-8' || fault === 'truncated UTF-8') {
    const at = Math.floor(random() * content.length);
    const bad = fault === 'bad UTF-8' ? pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe9, 0x20]]) : [0xe4, 0xb8];
    content = Buffer.concat([
      content.subarray(0, fault === 'truncated UTF-8' ? content.length : at),
      Buffer.from(bad),
      content.subarray(fault === 'truncated UTF-8' ? content.length : at),
    ]);
  }
  const args = ['--convert', random() < 0.5 ? 'csv:ndjson' : 'csv:json', '--csv-delimiter', delimiter === '\t' ? 'tab' : delimiter];
  if (fault === 'too long') args.push('--max-record-bytes', String(8 + Math.floor(random() * 40)));
  return { content, args };
}

async function outcome(dir: string, index: number, { content, args }: Case): Promise<Outcome> {
  const input = join(dir, `in-${index}.csv`);
  writeFileSync(input, content);
  const out = join(dir, `out-${index}`);
  const result = await run(['--out', out, '--name', 'out', ...args, `file://${input}`]);
  if (result.code !== 0) return { code: result.code, error: failureLine(result).msg.replaceAll(input, 'IN') };
  const output = readFileSync(join(out, 'out'));
  return { code: 0, sha256: sha256(output), bytes: output.length };
}

test(`csv:ndjson and csv:json give the same bytes and the same errors as before on ${CASES} generated nasty documents`, { timeout: 600_000 }, async () => {
  const random = seededRandom(15);
  const cases = Array.from({ length: CASES }, () => makeCase(random));
  const dir = tempDir();
  const results: Outcome[] = new Array(CASES);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let i = next++; i < CASES; i = next++) results[i] = await outcome(dir, i, cases[i] as Case);
    }),
  );
  if (process.env.UPDATE_CSV_CORPUS === '1') {
    writeFileSync(FIXTURE, `${JSON.stringify(results, null, 1)}\n`);
    return;
  }
  const expected = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Outcome[];
  const refused = expected.filter((e) => e.code !== 0).length;
  assert.ok(refused > 20 && refused < CASES - 40, `the corpus mixes good and bad documents (${refused} refused)`);
  for (let i = 0; i < CASES; i++) assert.deepEqual(results[i], expected[i], `case ${i}: ${cases[i]?.args.join(' ')}`);
});
