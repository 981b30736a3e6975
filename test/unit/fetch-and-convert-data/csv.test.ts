import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../../../tools/core/errors.ts';
import { CsvToJson, csvToJsonStage, type CsvToJsonOptions } from '../../../tools/fetch-and-convert-data/csv.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const defaults: CsvToJsonOptions = { what: 'in.csv', delimiter: ',', maxRecordBytes: 1024 * 1024, array: false };

/** Converts `input` written in the given pieces (text is written as UTF-8). */
function convert(pieces: Array<string | Buffer>, options: Partial<CsvToJsonOptions> = {}): string {
  const converter = new CsvToJson({ ...defaults, ...options });
  const out = pieces.map((piece) => converter.write(Buffer.from(piece)));
  return Buffer.concat([...out, converter.end()]).toString();
}

function ndjson(records: Array<Record<string, string>>): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

function rejects(input: string, message: RegExp, options: Partial<CsvToJsonOptions> = {}): void {
  assert.throws(
    () => convert([input], options),
    (e: unknown) => e instanceof InvalidInputError && message.test(e.message),
    JSON.stringify(input),
  );
}

test('RFC 4180 fields: quotes, doubled quotes, delimiters and line breaks inside quotes, empty fields', () => {
  const input = 'id,text,empty\r\n1,"a, b",\n2,"say ""hi""",""\n3,"two\r\nlines\nhere",x\n4,plain \\ back\tslash,\u0001\n';
  assert.equal(
    convert([input]),
    ndjson([
      { id: '1', text: 'a, b', empty: '' },
      { id: '2', text: 'say "hi"', empty: '' },
      { id: '3', text: 'two\r\nlines\nhere', empty: 'x' },
      { id: '4', text: 'plain \\ back\tslash', empty: '\u0001' },
    ]),
  );
});

test('the last record may lack its line break; empty lines are skipped; header only gives no records', () => {
  assert.equal(
    convert(['a,b\n\n1,2\r\n\r\n3,4']),
    ndjson([
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ]),
  );
  assert.equal(convert(['a,b\n']), '');
  assert.equal(convert(['a,b\n'], { array: true }), '[]\n');
  assert.equal(convert(['a\n1\n2\n'], { array: true }), '[\n{"a":"1"},\n{"a":"2"}\n]\n');
});

test('other delimiters: semicolon and tab', () => {
  assert.equal(convert(['a;b\n"x;y";2\n'], { delimiter: ';' }), ndjson([{ a: 'x;y', b: '2' }]));
  assert.equal(convert(['a\tb\n1,5\t2\n'], { delimiter: '\t' }), ndjson([{ a: '1,5', b: '2' }]));
});

test('the output does not depend on where the input is cut, even inside a character', () => {
  const input = Buffer.from('h1,h2,h3\r\n"q ""x"", y",2,"multi\nline"\r\n\r\nplain,"",é😀\n"a",b,"c"\r\nend,,"z"');
  const whole = convert([input]);
  for (let cut = 0; cut <= input.length; cut++) {
    assert.equal(convert([input.subarray(0, cut), input.subarray(cut)]), whole, `cut at ${cut}`);
  }
  assert.equal(convert([...input].map((byte) => Buffer.from([byte]))), whole, 'one byte at a time');
});

test('a non-ASCII delimiter is matched as a whole character, not as its first byte', () => {
  // § is C2 A7; Â (C3 82) and ¢ (C2 A2) share bytes with it.
  assert.equal(
    convert(['a§b\n¢§Â\n"x§y"§\n'], { delimiter: '§' }),
    ndjson([
      { a: '¢', b: 'Â' },
      { a: 'x§y', b: '' },
    ]),
  );
});

test('values are escaped as JSON.stringify escapes them: controls, quotes, backslashes; U+2028 and DEL as they are', () => {
  const value =
    Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i))
      .join('')
      .replace(/[\n\r]/g, '') + '"\\\u2028\u007f';
  assert.equal(convert([`a\n"${value.replaceAll('"', '""')}"\n`]), ndjson([{ a: value }]));
});

test('errors name the line, counting line breaks inside quoted fields', () => {
  rejects('a,b\n1,2\n3,"open\n', /^in\.csv: invalid CSV at line 3: field 2: a quoted field is not closed/);
  rejects('a,b\n1,2\n3,4,5\n', /at line 3: expected 2 fields like the header row, got more/);
  rejects('a,b\n"x\ny",2\n3\n', /at line 4: expected 2 fields like the header row, got 1/);
  rejects('a,b\n"x\ny",2\n"z",3\n4\n', /at line 5: expected 2 fields like the header row, got 1/);
  rejects('a,b\n1,x"y"\n', /at line 2: field 2: a quote inside an unquoted field/);
  rejects('a,b\n"1\n\n"x,2\n', /at line 4: field 1: unexpected text after the closing quote/);
  rejects('a,b\n1,2\r3,4\n', /at line 2: a carriage return \(CR\) not followed by a line feed/);
  rejects('a,a\n1,2\n', /at line 1: duplicate column name "a"/);
  rejects('a,,c\n', /at line 1: the header row has an empty column name/);
  rejects('', /no header row \(the input is empty\)/);
});

test('--max-record-bytes counts UTF-8 bytes and bounds the text held for a cut record', () => {
  const limit = { maxRecordBytes: 16 };
  assert.equal(convert([`a\n${'x'.repeat(15)}\n`], limit), ndjson([{ a: 'x'.repeat(15) }]), 'the line break counts');
  rejects(`a\n${'x'.repeat(16)}\n`, /at line 2: the record is longer than --max-record-bytes 16 B/, limit);
  rejects(`a\n${'é'.repeat(8)}\n`, /at line 2: the record is longer than --max-record-bytes/, limit);
  const converter = new CsvToJson({ ...defaults, ...limit });
  assert.equal(converter.write(Buffer.from('a\n"')).length, 0);
  assert.equal(converter.write(Buffer.from('x'.repeat(15))).length, 0);
  assert.throws(() => converter.write(Buffer.from('x')), /at line 2: the record is longer than --max-record-bytes/);
});

test('a record cut into many pieces is rescanned at doubling lengths, not at every piece (linear cost)', (t) => {
  const converter = new CsvToJson({ ...defaults, maxRecordBytes: 4 * 1024 * 1024 });
  const scan = t.mock.method(converter as unknown as { scan: (s: Buffer, n: number, final: boolean) => Buffer }, 'scan');
  const value = 'x'.repeat(2 * 1024 * 1024);
  const out = [converter.write(Buffer.from('a,b\n"'))];
  for (let at = 0; at < value.length; at += 1024) out.push(converter.write(Buffer.from(value.slice(at, at + 1024))));
  out.push(converter.write(Buffer.from('",1\n')), converter.end());
  assert.equal(Buffer.concat(out).toString(), ndjson([{ a: value, b: '1' }]));
  // 2,050 pieces; scanning at every one would cost 2 MiB x 2,050 / 2 character reads.
  assert.ok(scan.mock.callCount() < 40, `scanned ${scan.mock.callCount()} times`);
});

test('the stream stage drops a UTF-8 byte order mark and decodes characters cut between chunks', async () => {
  const bytes = Buffer.from('\uFEFFname\n"é😀, ok"\n');
  const chunks = [...bytes].map((byte) => Buffer.from([byte]));
  const out = await text(Readable.from(chunks).pipe(csvToJsonStage(defaults)));
  assert.equal(out, ndjson([{ name: 'é😀, ok' }]));
});

test('the stream stage refuses bytes that are not UTF-8, naming the line, instead of replacing them', async () => {
  const convertBytes = (chunks: Buffer[]) => text(Readable.from(chunks).pipe(csvToJsonStage(defaults)));
  const latin1 = Buffer.from('name\nok\ncaf\xe9\n', 'latin1');
  await assert.rejects(
    convertBytes([latin1]),
    (e: unknown) =>
      e instanceof InvalidInputError && /^in\.csv: invalid CSV at or after line 3: the input is not valid UTF-8; convert it first/.test(e.message),
  );
  const cutAtTheEnd = Buffer.from('name\nok\n\xc3', 'latin1');
  await assert.rejects(convertBytes([cutAtTheEnd.subarray(0, 8), cutAtTheEnd.subarray(8)]), /invalid CSV at or after line 3: the input is not valid UTF-8/);
});

/** A random CSV document with well-formed quoting, from a small alphabet that hits every state. */
function randomCsv(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const columns = 1 + Math.floor(random() * 4);
  const field = (header: boolean, column: number): string => {
    const length = Math.floor(random() * 6);
    let value = header ? `c${column}` : '';
    for (let i = 0; i < length; i++) value += pick(['a', ' ', ',', '"', '\n', '\r\n', 'é', '😀', '\\', '\t']);
    const needsQuotes = /[",\r\n]/.test(value) || (!header && value === '' && columns === 1);
    return needsQuotes || random() < 0.2 ? `"${value.replaceAll('"', '""')}"` : value;
  };
  // csv-parse takes the first line break it meets for the whole document, so one document uses one.
  const eol = pick(['\n', '\r\n']);
  const lines: string[] = [];
  const records = Math.floor(random() * 6);
  for (let r = 0; r <= records; r++) {
    lines.push(Array.from({ length: columns }, (_, c) => field(r === 0, c)).join(','));
    if (random() < 0.1) lines.push('');
  }
  return lines.join(eol) + pick(['', eol]);
}

test('same records as csv-parse on 2,000 generated documents, cut at random bytes', () => {
  const random = seededRandom(42);
  for (let i = 0; i < 2000; i++) {
    const input = randomCsv(random);
    const [header, ...rows] = parse(input, { skip_empty_lines: true }) as string[][];
    const expected = rows.map((row) => Object.fromEntries(row.map((value, c) => [header?.[c] as string, value])));
    const bytes = Buffer.from(input);
    const cut = Math.floor(random() * bytes.length);
    assert.equal(convert([bytes.subarray(0, cut), bytes.subarray(cut)]), ndjson(expected), JSON.stringify(input));
  }
});
