// CSV (RFC 4180) to NDJSON or a JSON array, chunk by chunk.
//
// Written for this tool rather than taken from csv-parse: scanning the decoded text with charCodeAt and
// indexOf and building the JSON text directly, without an array per record, is about three times
// faster than csv-parse (papaparse, 1.5x csv-parse on a sample, is still half as fast; bench/README.md).
// The unit tests compare its records with csv-parse's on generated input.

import { Transform, type TransformCallback } from 'node:stream';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';

export interface CsvToJsonOptions {
  /** The source, for messages. */
  what: string;
  /** One UTF-16 code unit, not a quote, CR or LF (checked by the plan). */
  delimiter: string;
  /** Longest record, in UTF-8 bytes; also bounds the text held for a record cut by a chunk boundary. */
  maxRecordBytes: number;
  /** A JSON array of objects; else one object per line. */
  array: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Input is decoded and converted in slices of this size: output strings stay small and die young. */
const SLICE_BYTES = 64 * 1024;

/** A string needs JSON.stringify only with these; the decoder never yields lone surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** Position of the first LF at or after `from`, or the length of `s` when there is none. */
function lfAt(s: string, from: number): number {
  const at = s.indexOf('\n', from);
  return at < 0 ? s.length : at;
}

/** Why scanning stopped before the end of the text: the rest of the record is in the next chunk. */
const INCOMPLETE = Symbol('incomplete');

/** Converts decoded CSV text to JSON text; `write` the text in pieces of any size, then `end`. */
export class CsvToJson {
  private readonly options: CsvToJsonOptions;
  private readonly delimiter: number;
  /** Text of a record cut by the end of the previous piece. */
  private rest = '';
  /** Line number of the first character of `rest`, counted from 1. */
  private line = 1;
  /** `{"name":` and `,"name":` for each column, once the header is read. */
  private keys: string[] | undefined;
  private records = 0;
  /** JSON text of the last record scanned (`[` or nothing for the header). */
  private recordText = '';
  /** Line number where the last record scanned starts. */
  private recordLine = 1;
  /** Length `rest` must reach before it is scanned again: a record cut across many pieces is rescanned
   * at doubling lengths, not at every piece, so its cost stays linear in its length (at most the record
   * limit plus one, so a record over the limit is refused as soon as it is). */
  private rescanAt = 0;
  /** Position of the next LF at or after the scan position (the text's length when there is none), for
   * counting lines inside quoted fields; -1 before the first search. */
  private nextLf = -1;

  constructor(options: CsvToJsonOptions) {
    this.options = options;
    this.delimiter = options.delimiter.charCodeAt(0);
  }

  /** Line number at the end of `text` if it were written next: where a decoding error is. */
  lineAfter(text: string): number {
    let line = this.line;
    for (const piece of [this.rest, text]) {
      for (let at = piece.indexOf('\n'); at >= 0; at = piece.indexOf('\n', at + 1)) line++;
    }
    return line;
  }

  /** JSON text for the records completed by `text`. */
  write(text: string): string {
    const s = this.rest + text;
    if (s.length < this.rescanAt) {
      this.rest = s;
      return '';
    }
    return this.scan(s, false);
  }

  /** JSON text for the last record and the closing of the array. */
  end(text = ''): string {
    let out = this.scan(this.rest + text, true);
    if (!this.keys) throw this.error(this.line, 'no header row (the input is empty)');
    if (this.options.array) out += this.records === 0 ? ']\n' : '\n]\n';
    return out;
  }

  private scan(s: string, final: boolean): string {
    const n = s.length;
    let out = '';
    let pos = 0;
    this.nextLf = -1;
    this.rescanAt = 0;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === LF) {
        pos++;
        this.line++;
        continue;
      }
      if (c === CR && pos + 1 < n && s.charCodeAt(pos + 1) === LF) {
        pos += 2;
        this.line++;
        continue;
      }
      if (c === CR && pos + 1 >= n && !final) break;
      const start = pos;
      const startLine = this.line;
      const end = this.record(s, pos, final);
      if (end === INCOMPLETE) {
        this.line = startLine;
        if (n - start > this.options.maxRecordBytes) throw this.tooLong(startLine);
        this.rescanAt = Math.min(2 * (n - start), this.options.maxRecordBytes + 1);
        break;
      }
      if (end - start > this.options.maxRecordBytes / 3 && Buffer.byteLength(s.slice(start, end)) > this.options.maxRecordBytes) {
        throw this.tooLong(startLine);
      }
      out += this.recordText;
      pos = end;
    }
    this.rest = s.slice(pos);
    return out;
  }

  /** Scans one record from `pos`: returns the position after its line break and sets `recordText`. */
  private record(s: string, pos: number, final: boolean): number | typeof INCOMPLETE {
    const n = s.length;
    const keys = this.keys;
    const names: string[] = [];
    this.recordLine = this.line;
    let json = '';
    let field = 0;
    for (;;) {
      let value: string;
      if (s.charCodeAt(pos) === QUOTE) {
        value = '';
        let from = pos + 1;
        for (;;) {
          const close = s.indexOf('"', from);
          if (close < 0 || (close + 1 >= n && !final)) {
            if (!final) return INCOMPLETE;
            throw this.error(this.line, `field ${field + 1}: a quoted field is not closed before the end of the input; add the closing quote`);
          }
          this.countLines(s, from, close);
          if (s.charCodeAt(close + 1) === QUOTE) {
            value += s.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += s.slice(from, close);
          pos = close + 1;
          break;
        }
        const after = s.charCodeAt(pos);
        if (pos < n && after !== this.delimiter && after !== LF && after !== CR) {
          throw this.error(this.line, `field ${field + 1}: unexpected text after the closing quote; inside a quoted field write a quote as ""`);
        }
      } else {
        let at = pos;
        for (; at < n; at++) {
          const c = s.charCodeAt(at);
          if (c === this.delimiter || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw this.error(this.line, `field ${field + 1}: a quote inside an unquoted field; quote the whole field and write inner quotes as ""`);
          }
        }
        if (at >= n && !final) return INCOMPLETE;
        value = s.slice(pos, at);
        pos = at;
      }

      if (keys === undefined) {
        names.push(value);
      } else {
        if (field >= keys.length) throw this.error(this.line, `expected ${keys.length} fields like the header row, got more`);
        json += (keys[field] as string) + jsonString(value);
      }
      field++;

      const c = s.charCodeAt(pos);
      if (pos < n && c === this.delimiter) {
        pos++;
        continue;
      }
      if (pos < n && c === CR) {
        if (pos + 1 >= n && !final) return INCOMPLETE;
        if (s.charCodeAt(pos + 1) !== LF) throw this.error(this.line, 'a carriage return (CR) not followed by a line feed outside quotes; quote the field');
        pos++;
      }
      if (pos < n) {
        pos++;
        this.line++;
      }
      break;
    }

    if (keys === undefined) {
      this.keys = this.header(names);
      this.recordText = this.options.array ? '[' : '';
    } else {
      if (field < keys.length) throw this.error(this.recordLine, `expected ${keys.length} fields like the header row, got ${field}`);
      this.recordText = this.options.array ? `${this.records === 0 ? '\n' : ',\n'}${json}}` : `${json}}\n`;
      this.records++;
    }
    return pos;
  }

  /** Adds the line feeds in s[from, to) to the line count. */
  private countLines(s: string, from: number, to: number): void {
    // "None left" is remembered as the length: a -1 would search to the end again for every later quote.
    if (this.nextLf < from) this.nextLf = lfAt(s, from);
    while (this.nextLf < to) {
      this.line++;
      this.nextLf = lfAt(s, this.nextLf + 1);
    }
  }

  private header(names: string[]): string[] {
    const seen = new Set<string>();
    for (const name of names) {
      if (name === '') throw this.error(this.recordLine, 'the header row has an empty column name');
      if (seen.has(name)) throw this.error(this.recordLine, `duplicate column name "${name}" in the header row`);
      seen.add(name);
    }
    return names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);
  }

  private tooLong(line: number): InvalidInputError {
    return this.error(line, `the record is longer than --max-record-bytes ${formatSize(this.options.maxRecordBytes)}; raise the limit if this is expected`);
  }

  private error(line: number, why: string): InvalidInputError {
    return new InvalidInputError(`${this.options.what}: invalid CSV at line ${line}: ${why}`);
  }
}

/** The stream stage: UTF-8 bytes in (a byte order mark is dropped), JSON text out. */
export function csvToJsonStage(options: CsvToJsonOptions): Transform {
  const converter = new CsvToJson(options);
  // Fatal: bytes in another encoding (Windows-1252 from a spreadsheet) would otherwise become U+FFFD silently.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes?: Buffer): string => {
    try {
      return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
    } catch (cause) {
      // The line of the first replacement character of a lossy decoding: the bad byte is there or later.
      const lossy = bytes === undefined ? '' : new TextDecoder('utf-8').decode(bytes);
      const line = converter.lineAfter(lossy.slice(0, Math.max(0, lossy.indexOf('\uFFFD'))));
      throw new InvalidInputError(
        `${options.what}: invalid CSV at or after line ${line}: the input is not valid UTF-8; convert it first (e.g. iconv -f WINDOWS-1252 -t UTF-8)`,
        { cause },
      );
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
          const out = converter.write(decode(chunk.subarray(at, at + SLICE_BYTES)));
          if (out !== '') this.push(out);
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        callback(null, converter.end(decode()));
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
