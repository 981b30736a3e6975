// Conversions of parsed values: NDJSON records into CSV rows or YAML documents, and whole JSON or YAML
// documents (convertDocument, run on a worker thread) into JSON, NDJSON, YAML, CSV or dotenv. Loaded only
// by a chain that has one of these steps: the YAML and CSV writers are about 15 ms of start-up that a
// CSV -> NDJSON or an archive job does not need.

import { Transform, type TransformCallback } from 'node:stream';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';
import type { ConvertContext } from './convert.ts';
import { JsonNesting, nestingError } from './document-limits.ts';
import { shownName } from './paths.ts';
import type { Limits } from './plan.ts';
import type { StepName } from './steps.ts';
import { checkYamlDocument } from './yaml-limits.ts';

// ---------------------------------------------------------------------------------------------------
// Rows for CSV output from JSON objects.

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Columns named in a message: a record may have thousands, the message stays one short line. */
const SHOWN_COLUMNS = 10;

class CsvRows {
  private header: string[] | undefined;
  /** The header as a set: a record of k keys is checked in O(k), not O(k x columns). */
  private columns: Set<string> | undefined;
  private readonly context: ConvertContext;
  constructor(context: ConvertContext, header?: string[]) {
    this.context = context;
    this.header = header;
    if (header) this.columns = new Set(header);
  }

  /** CSV text of the rows, with the header row first the first time. */
  format(values: ReadonlyArray<{ value: unknown; where: string }>): string {
    const rows: string[][] = [];
    for (const { value, where } of values) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InvalidInputError(
          `${this.context.what}: ${where}: expected a JSON object for a CSV row, got ${Array.isArray(value) ? 'an array' : typeof value}`,
        );
      }
      const record = value as Record<string, unknown>;
      if (!this.header || !this.columns) {
        this.header = Object.keys(record);
        this.columns = new Set(this.header);
        rows.push(this.header);
      }
      for (const key of Object.keys(record)) {
        if (!this.columns.has(key)) {
          const shown = this.header.slice(0, SHOWN_COLUMNS).join(', ');
          const more = this.header.length > SHOWN_COLUMNS ? `, ... ${this.header.length} columns` : '';
          throw new InvalidInputError(`${this.context.what}: ${where}: key "${shownName(key)}" is not a column of the first record (${shown}${more})`);
        }
      }
      rows.push(this.header.map((key) => cell(record[key])));
    }
    return rows.length === 0 ? '' : stringifyCsv(rows, { delimiter: this.context.delimiter });
  }
}

// ---------------------------------------------------------------------------------------------------
// NDJSON input, line by line, with the line length bounded.

export class NdjsonTo extends Transform {
  private rest: Buffer = Buffer.alloc(0);
  private lineNo = 0;
  private pending: Array<{ value: unknown; where: string }> = [];
  private readonly target: 'csv' | 'yaml';
  private readonly context: ConvertContext;
  private readonly rows: CsvRows;
  private documents = 0;
  private readonly nesting: JsonNesting;

  constructor(target: 'csv' | 'yaml', context: ConvertContext) {
    super();
    this.target = target;
    this.context = context;
    this.rows = new CsvRows(context);
    this.nesting = new JsonNesting(context.what, context.limits.maxNesting);
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    try {
      this.nesting.feed(chunk);
      let data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
      let start = 0;
      for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
        this.line(data.subarray(start, end));
        start = end + 1;
      }
      data = data.subarray(start);
      if (data.length > this.context.limits.maxRecordBytes) {
        throw new InvalidInputError(
          `${this.context.what}: NDJSON line ${this.lineNo + 1} is longer than --max-record-bytes ${formatSize(this.context.limits.maxRecordBytes)}`,
        );
      }
      this.rest = Buffer.from(data);
      this.emitPending(false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.rest.length > 0) this.line(this.rest);
      this.emitPending(true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private line(bytes: Buffer): void {
    this.lineNo++;
    if (bytes.length > this.context.limits.maxRecordBytes) {
      throw new InvalidInputError(
        `${this.context.what}: NDJSON line ${this.lineNo} is longer than --max-record-bytes ${formatSize(this.context.limits.maxRecordBytes)}`,
      );
    }
    let text = decodeUtf8(bytes, this.context.what, `NDJSON line ${this.lineNo}`);
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return;
    this.pending.push({ value: parseJson(text, this.context.what, this.lineNo), where: `line ${this.lineNo}` });
  }

  private emitPending(final: boolean): void {
    if (this.pending.length === 0 || (!final && this.pending.length < 512)) return;
    const values = this.pending;
    this.pending = [];
    if (this.target === 'csv') {
      this.push(this.rows.format(values));
      return;
    }
    let text = '';
    for (const { value } of values) text += `${this.documents++ === 0 ? '' : '---\n'}${stringifyYaml(value)}`;
    this.push(text);
  }
}

/** Text of JSON, NDJSON or YAML input: bytes that are not UTF-8 are an error, never replaced silently (as for CSV). */
function decodeUtf8(bytes: Uint8Array, what: string, where: string): string {
  try {
    return UTF8.decode(bytes);
  } catch (cause) {
    throw new InvalidInputError(`${what}: ${where} is not valid UTF-8 text`, { cause });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** JSON.parse with an exit-4 error that says where: `line` is the NDJSON line, else the document's own lines count. */
function parseJson(text: string, what: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const place = jsonErrorPlace(text, error as Error);
    const where =
      line === undefined ? (place ? `line ${place.line} column ${place.column}` : 'the document') : `line ${line}${place ? ` column ${place.column}` : ''}`;
    // Not the error as cause: V8's message quotes the data around the fault.
    throw new InvalidInputError(`${what}: invalid JSON at ${where}: ${jsonReason(error as Error)}`);
  }
}

/** V8's reason without the excerpt of the input it quotes (data stays out of logs). */
function jsonReason(error: Error): string {
  return error.message.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
}

/** Longest document for which the error position is searched (a few parses of prefixes). */
const LOCATE_MAX_CHARS = 16 * 1024 * 1024;

/**
 * Line and column of a JSON.parse error. V8 gives a position for some errors only; for the others the
 * shortest failing prefix is found by bisection: a prefix that ends before the bad character fails
 * only at its end.
 */
function jsonErrorPlace(text: string, error: Error): { line: number; column: number } | undefined {
  const lineCol = /line (\d+) column (\d+)/.exec(error.message);
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  let position = Number(/position (\d+)/.exec(error.message)?.[1] ?? -1);
  if (position < 0 && text.length <= LOCATE_MAX_CHARS) {
    let low = 0;
    let high = text.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const prefix = text.slice(0, mid + 1);
      let endOnly = true;
      try {
        JSON.parse(prefix);
      } catch (e) {
        const message = (e as Error).message;
        endOnly = /end of JSON input/.test(message) || Number(/position (\d+)/.exec(message)?.[1] ?? -1) >= prefix.length;
      }
      if (endOnly) low = mid + 1;
      else high = mid;
    }
    position = low;
  }
  if (position < 0) return undefined;
  const before = text.slice(0, position);
  return { line: before.split('\n').length, column: position - before.lastIndexOf('\n') };
}

/** The whole conversion of one JSON or YAML document (run on a worker thread, see document-worker.ts). */
export function convertDocument(step: StepName, bytes: Uint8Array, context: ConvertContext): string {
  const what = context.what;
  try {
    let text = decodeUtf8(bytes, what, 'the document');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (step.startsWith('yaml:')) {
      const documents = parseYaml(text, what, context.limits);
      if (step === 'yaml:ndjson') return documents.map((d) => `${JSON.stringify(d)}\n`).join('');
      return `${JSON.stringify(documents.length === 1 ? documents[0] : documents, null, 2)}\n`;
    }
    const value = parseJson(text, what);
    switch (step) {
      case 'json:yaml':
        return stringifyYaml(value);
      case 'json:dotenv':
        return toDotenv(value, what);
      default: {
        if (!Array.isArray(value))
          throw new InvalidInputError(`${what}: json:csv needs a JSON array of objects, got ${value === null ? 'null' : typeof value}`);
        const columns = new Set<string>();
        for (const row of value) {
          if (typeof row === 'object' && row !== null && !Array.isArray(row)) for (const key of Object.keys(row)) columns.add(key);
        }
        const header = [...columns];
        const rows = new CsvRows(context, header);
        const body = rows.format(value.map((v, i) => ({ value: v, where: `element ${i}` })));
        return header.length === 0 ? body : stringifyCsv([header], { delimiter: context.delimiter }) + body;
      }
    }
  } catch (error) {
    // V8's limit on one string (about 512 MiB): the converted document cannot be built whole.
    if (error instanceof RangeError && /Invalid string length/.test(error.message)) {
      throw new InvalidInputError(`${what}: the converted document is too large to build in memory; lower --max-document-bytes, or convert smaller documents`, {
        cause: error,
      });
    }
    throw error;
  }
}

function parseYaml(text: string, what: string, limits: Limits): unknown[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true, logLevel: 'silent' });
  if (!Array.isArray(documents)) throw new InvalidInputError(`${what}: contains no YAML document`);
  return documents.map((document, i) => {
    const error = document.errors[0];
    if (error) {
      // The parser recurses per level: nesting deep enough to overflow the stack is refused as too deep.
      if (/Maximum call stack size exceeded/.test(error.message)) throw nestingError(what, `YAML document ${i + 1}`, limits.maxNesting);
      const at = error.linePos?.[0];
      throw new InvalidInputError(`${what}: invalid YAML${at ? ` at line ${at.line} column ${at.col}` : ''}: ${error.message.split('\n')[0]}`, {
        cause: error,
      });
    }
    // An unknown tag (!vault, !!js/function) would be converted as a plain string: the document means
    // something this tool does not know, so it is refused like a parse error (the library would print it).
    const warning = document.warnings[0];
    if (warning) {
      const at = warning.linePos?.[0];
      throw new InvalidInputError(
        `${what}: YAML document ${i + 1}${at ? ` line ${at.line} column ${at.col}` : ''}: ${warning.message.split('\n')[0]}; unknown tags are refused`,
      );
    }
    checkYamlDocument(document, i, what, { maxNesting: limits.maxNesting, maxAliasBytes: limits.maxYamlAliasBytes, maxDocumentBytes: limits.maxDocumentBytes });
    try {
      return document.toJS({ maxAliasCount: limits.maxYamlAliases });
    } catch (cause) {
      const message = (cause as Error).message;
      const limit = /alias count/i.test(message) ? ` (limit --max-yaml-aliases ${limits.maxYamlAliases})` : '';
      throw new InvalidInputError(`${what}: YAML document ${i + 1}: ${message}${limit}`, { cause });
    }
  });
}

const DOTENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOTENV_BARE = /^[A-Za-z0-9_./:@%+,=-]*$/;

/** A flat JSON object as KEY=value lines; values that need it are double-quoted with escapes. */
function toDotenv(value: unknown, what: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidInputError(`${what}: json:dotenv needs a JSON object of names to values`);
  let out = '';
  for (const [key, raw] of Object.entries(value)) {
    if (!DOTENV_KEY.test(key))
      throw new InvalidInputError(`${what}: "${key}" is not a valid environment variable name (letters, digits, _; not starting with a digit)`);
    if (typeof raw === 'object' && raw !== null)
      throw new InvalidInputError(
        `${what}: value of "${key}" is ${Array.isArray(raw) ? 'an array' : 'an object'}; dotenv holds only strings, numbers and booleans`,
      );
    const text = raw === null ? '' : String(raw);
    const quoted = DOTENV_BARE.test(text) ? text : `"${text.replace(/[\\"$`\n\r\t]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\${c}`)}"`;
    out += `${key}=${quoted}\n`;
  }
  return out;
}
