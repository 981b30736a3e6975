// The byte-to-byte conversion steps as streams. Decompression, CSV and NDJSON work chunk by chunk or
// record by record with bounded memory; JSON and YAML documents are parsed whole (no output format
// could use a partial document), bounded by --max-document-bytes. Every parse error becomes an
// InvalidInputError that names the source and the line.

import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { InvalidInputError } from '../core/errors.ts';
import { csvToJsonStage } from './csv.ts';
import { checkYamlDocument, JsonNesting, nestingError } from './document-limits.ts';
import { convertInWorker, type DocumentWorker } from './document-worker.ts';
import { shownName } from './paths.ts';
import type { Limits } from './plan.ts';
import { formatSize } from '../core/size.ts';
import type { StepName } from './steps.ts';
import { createXzDecompress, xzFailure } from './xz.ts';

export interface ConvertContext {
  /** The source, for messages. */
  what: string;
  limits: Limits;
  delimiter: string;
}

type Stage = NodeJS.ReadWriteStream;

/** The streams of a chain of byte steps (archive steps are sinks, see extract.ts). */
export function conversionStages(chain: readonly StepName[], context: ConvertContext): Stage[] {
  return chain.flatMap((step) => stagesOf(step, context));
}

function stagesOf(step: StepName, context: ConvertContext): Stage[] {
  switch (step) {
    case 'gunzip':
      return ratioGuarded(createGunzip({ chunkSize: 64 * 1024 }), context, 'decompressing');
    case 'zstd':
      return ratioGuarded(createZstdDecompress({ chunkSize: 64 * 1024 }), context, 'decompressing');
    case 'xz':
      return ratioGuarded(createXzDecompress(), context, 'decompressing');
    case 'csv:json':
    case 'csv:ndjson':
      return ratioGuarded(
        csvToJsonStage({ what: context.what, delimiter: context.delimiter, maxRecordBytes: context.limits.maxRecordBytes, array: step === 'csv:json' }),
        context,
        `converting (${step})`,
      );
    case 'ndjson:csv':
      return ratioGuarded(new NdjsonTo('csv', context), context, `converting (${step})`);
    case 'ndjson:yaml':
      return ratioGuarded(new NdjsonTo('yaml', context), context, `converting (${step})`);
    case 'json:csv':
    case 'json:yaml':
    case 'json:dotenv':
    case 'yaml:json':
    case 'yaml:ndjson':
      return ratioGuarded(new WholeDocument(step, context), context, `converting (${step})`);
    case 'untar':
    case 'unzip':
      return [];
  }
}

/** Errors of the parsers and inflaters as exit-4 errors naming the source; anything else unchanged. */
export function asInputError(error: unknown, what: string): unknown {
  if (error instanceof InvalidInputError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  // zlib's Z_* codes; zstd's are its own error names (ZSTD_error_prefix_unknown, ZSTD_error_frameParameter_windowTooLarge).
  if (code.startsWith('Z_') || code.startsWith('ZSTD_') || code.startsWith('ERR_ZSTD') || code === 'ERR__ZSTD') {
    return new InvalidInputError(`${what}: invalid or truncated compressed data: ${error.message}`, { cause: error });
  }
  const xz = xzFailure(error);
  if (xz) return new InvalidInputError(`${what}: invalid or truncated compressed data: ${xz}`, { cause: error });
  return error;
}

// ---------------------------------------------------------------------------------------------------
// Every step's expansion (output bytes / input bytes) counted on the stream: a decompression bomb, or a
// CSV whose long header is repeated as keys in every record, fails as it grows.

/** Below this much output any ratio is fine: a small file of zeros is not a bomb (zip entries too, extract.ts). */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

function ratioGuarded(stage: Stage, context: ConvertContext, doing: string): Stage[] {
  let input = 0;
  let output = 0;
  const countIn = new Transform({
    transform(chunk: Buffer, _e, callback) {
      input += chunk.length;
      callback(null, chunk);
    },
  });
  const guard = new Transform({
    transform(chunk: Buffer, _e, callback) {
      output += chunk.length;
      if (output > RATIO_FLOOR_BYTES && output / Math.max(1, input) > context.limits.maxRatio) {
        callback(
          new InvalidInputError(
            `${context.what}: ${doing} ${formatSize(input)} gave more than ${formatSize(output)}, above --max-ratio ${context.limits.maxRatio}: a decompression bomb? raise --max-ratio if this is expected`,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  return [countIn, stage, guard];
}

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

class NdjsonTo extends Transform {
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

// ---------------------------------------------------------------------------------------------------
// Whole JSON or YAML documents.

class WholeDocument extends Transform {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private readonly step: StepName;
  private readonly context: ConvertContext;
  /** JSON input's nesting, checked as it arrives; YAML's is checked on the parsed document. */
  private readonly nesting: JsonNesting | undefined;
  private worker: DocumentWorker | undefined;

  constructor(step: StepName, context: ConvertContext) {
    super();
    this.step = step;
    this.context = context;
    if (step.startsWith('json:')) this.nesting = new JsonNesting(context.what, context.limits.maxNesting);
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.context.limits.maxDocumentBytes) {
      callback(
        new InvalidInputError(
          `${this.context.what}: document larger than --max-document-bytes ${formatSize(this.context.limits.maxDocumentBytes)} (JSON and YAML are parsed whole)`,
        ),
      );
      return;
    }
    try {
      this.nesting?.feed(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.chunks.push(chunk);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    // Parsed and converted on a worker thread: a big document keeps a parser busy for many seconds, and
    // the deadline and the signals must still win meanwhile.
    this.worker = convertInWorker({ step: this.step, bytes, context: this.context });
    this.worker.result.then(
      (output) => callback(null, output),
      (error: unknown) => callback(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.worker?.stop();
    callback(error);
  }
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
