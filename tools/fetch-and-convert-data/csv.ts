// CSV (RFC 4180) to NDJSON or a JSON array, chunk by chunk.
//
// Written for this tool rather than taken from csv-parse (about three times slower, bench/README.md). It
// scans the UTF-8 bytes and writes the JSON bytes straight into an output buffer: no string per field,
// no array per record. Every byte the CSV syntax looks at (quote, CR, LF, an ASCII delimiter) is ASCII
// and never part of a multi-byte character, and the input is checked to be UTF-8 before it is scanned,
// so values can be copied byte for byte; a non-ASCII delimiter is matched as its UTF-8 byte sequence.
// The output is the same as JSON.stringify of the decoded values (test/integration/fetch-and-convert-data/
// csv-corpus.test.ts compares it with the earlier text scanner, the unit tests with csv-parse).

import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';

export interface CsvToJsonOptions {
  /** The source, for messages. */
  what: string;
  /** One character, not a quote, CR or LF (checked by the plan). */
  delimiter: string;
  /** Longest record, in UTF-8 bytes; also bounds the bytes held for a record cut by a chunk boundary. */
  maxRecordBytes: number;
  /** A JSON array of objects; else one object per line. */
  array: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const EMPTY = Buffer.alloc(0);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** UTF-8 is checked in windows of this size, so that a CSV error before a bad byte is still reported
 * first (as when the text was decoded in slices of this size). */
const CHECK_BYTES = 64 * 1024;

/** JSON escapes by byte, as JSON.stringify writes them; undefined: the byte is copied as it is. */
const ESCAPES: Array<Uint8Array | undefined> = Array.from({ length: 256 }, (_, byte) => {
  if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH) return undefined;
  return Buffer.from(JSON.stringify(String.fromCharCode(byte)).slice(1, -1));
});

// Byte classes in an unquoted field, and in a quoted one.
const PLAIN = 0;
const ENDS_FIELD = 1;
const MAY_END_FIELD = 2; // the first byte of a non-ASCII delimiter
const STRAY_QUOTE = 3;
const ESCAPED = 4;
const CLOSES = 1; // a quote: the end of the field, or the first of a doubled quote
const LINE_FEED = 2;

/** Why scanning stopped before the end of the bytes: the rest of the record is in the next chunk. */
const INCOMPLETE = -1;

/** Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence. */
function completeLength(bytes: Uint8Array, from: number): number {
  const n = bytes.length;
  for (let at = n - 1; at >= Math.max(from, n - 4); at--) {
    const byte = bytes[at] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return at + length > n ? at : n;
  }
  return n;
}

function countLineFeeds(bytes: Uint8Array, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(LF, from); at >= 0 && at < to; at = bytes.indexOf(LF, at + 1)) count++;
  return count;
}

/** Converts CSV bytes to JSON bytes; `write` the bytes in pieces of any size, then `end`. */
export class CsvToJson {
  private readonly options: CsvToJsonOptions;
  private readonly delimiter: Uint8Array;
  private readonly unquoted = new Uint8Array(256);
  private readonly quoted = new Uint8Array(256);
  /** Bytes of a record cut by the end of the previous piece (and of a character cut there). */
  private rest: Buffer = EMPTY;
  /** How many bytes at the start of `rest` are known to be UTF-8. */
  private checked = 0;
  /** Whether the first bytes were looked at for a byte order mark. */
  private started = false;
  /** Line number of the first byte of `rest`, counted from 1. */
  private line = 1;
  /** `{"name":` and `,"name":` for each column, once the header is read. */
  private keys: Uint8Array[] | undefined;
  private records = 0;
  /** Line number where the record being scanned starts. */
  private recordLine = 1;
  /** Length `rest` must reach before it is scanned again: a record cut across many pieces is rescanned
   * at doubling lengths, not at every piece, so its cost stays linear in its length (at most the record
   * limit plus one, so a record over the limit is refused as soon as it is). */
  private rescanAt = 0;
  /** Output of the current piece; writes past its end are dropped by the typed array and counted in `at`,
   * and the record is written again into a larger buffer (one bounds check per record, not per byte). */
  private out: Buffer = EMPTY;
  private at = 0;
  /** Output bytes per input byte of the last piece, to size the next output buffer. */
  private ratio = 2;
  /** Where each header field's JSON string starts and ends in `out`. */
  private readonly headerFields: number[] = [];

  constructor(options: CsvToJsonOptions) {
    this.options = options;
    this.delimiter = Buffer.from(options.delimiter);
    for (let byte = 0; byte < 0x20; byte++) this.unquoted[byte] = ESCAPED;
    this.unquoted[QUOTE] = STRAY_QUOTE;
    this.unquoted[BACKSLASH] = ESCAPED;
    this.unquoted[LF] = ENDS_FIELD;
    this.unquoted[CR] = ENDS_FIELD;
    this.unquoted[this.delimiter[0] as number] = this.delimiter.length === 1 ? ENDS_FIELD : MAY_END_FIELD;
    for (let byte = 0; byte < 0x20; byte++) this.quoted[byte] = ESCAPED;
    this.quoted[BACKSLASH] = ESCAPED;
    this.quoted[QUOTE] = CLOSES;
    this.quoted[LF] = LINE_FEED;
  }

  /** JSON bytes for the records completed by `bytes`. */
  write(bytes: Uint8Array): Buffer {
    let s = this.rest.length > 0 ? Buffer.concat([this.rest, bytes]) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (!this.started) {
      if (s.length < BOM.length && BOM.subarray(0, s.length).equals(s)) {
        this.rest = s;
        return EMPTY;
      }
      if (BOM.equals(s.subarray(0, BOM.length))) s = s.subarray(BOM.length);
      this.started = true;
    }
    const valid = this.check(s, this.checked);
    if (s.length < this.rescanAt) {
      this.rest = s;
      this.checked = valid;
      return EMPTY;
    }
    return this.scan(s, valid, false);
  }

  /** JSON bytes for the last record and the closing of the array. */
  end(): Buffer {
    // Unchecked bytes left at the end are a character cut by the end of the input (or part of a byte
    // order mark, held until the start was known).
    const s = this.rest;
    if (this.check(s, this.checked) < s.length) throw this.notUtf8(this.line + countLineFeeds(s, 0, s.length));
    const scanned = this.scan(s, s.length, true);
    if (!this.keys) throw this.error(this.line, 'no header row (the input is empty)');
    if (!this.options.array) return scanned;
    return Buffer.concat([scanned, Buffer.from(this.records === 0 ? ']\n' : '\n]\n')]);
  }

  /** Checks that s[from, ...) is UTF-8 up to a character cut at its end; returns where the check ended. */
  private check(s: Buffer, from: number): number {
    const valid = completeLength(s, from);
    for (let at = from; at < valid;) {
      const to = at + CHECK_BYTES >= valid ? valid : completeLength(s.subarray(0, at + CHECK_BYTES), at);
      if (!isUtf8(s.subarray(at, to))) {
        // The records before this window are scanned first, so their errors win, as before.
        this.scan(s, at, false);
        const scanned = s.length - this.rest.length;
        const lossy = s.toString('utf8', at, to);
        const before = Buffer.from(lossy.slice(0, Math.max(0, lossy.indexOf('\uFFFD'))));
        throw this.notUtf8(this.line + countLineFeeds(s, scanned, at) + countLineFeeds(before, 0, before.length));
      }
      at = to;
    }
    return valid;
  }

  /** Scans the records in s[0, n) (checked to be UTF-8); keeps what follows the last complete one. */
  private scan(s: Buffer, n: number, final: boolean): Buffer {
    const max = this.options.maxRecordBytes;
    this.out = Buffer.allocUnsafeSlow(Math.ceil(n * this.ratio) + 1024);
    this.at = 0;
    let pos = 0;
    this.rescanAt = 0;
    while (pos < n) {
      const c = s[pos];
      if (c === LF) {
        pos++;
        this.line++;
        continue;
      }
      if (c === CR && pos + 1 < n && s[pos + 1] === LF) {
        pos += 2;
        this.line++;
        continue;
      }
      if (c === CR && pos + 1 >= n && !final) break;
      const start = pos;
      const startLine = this.line;
      const startAt = this.at;
      let end = this.record(s, pos, n, final);
      if (end === INCOMPLETE) {
        this.line = startLine;
        this.at = startAt;
        if (n - start > max) throw this.tooLong(startLine);
        this.rescanAt = Math.min(2 * (s.length - start), max + 1);
        break;
      }
      if (this.at > this.out.length) {
        const larger = Buffer.allocUnsafeSlow(2 * this.at);
        this.out.copy(larger, 0, 0, startAt);
        this.out = larger;
        this.line = startLine;
        this.at = startAt;
        end = this.record(s, pos, n, final);
      }
      if (this.keys === undefined) {
        this.keys = this.header();
        this.at = startAt;
        if (this.options.array) this.out[this.at++] = OPEN_BRACKET;
      } else {
        this.records++;
      }
      if (end - start > max) throw this.tooLong(startLine);
      pos = end;
    }
    this.rest = s.subarray(pos);
    this.checked = Math.max(0, n - pos);
    if (n > 0) this.ratio = Math.max(1, this.at / n);
    return this.out.subarray(0, this.at);
  }

  /** Scans one record from `pos` and writes its JSON to `out`; returns the position after its line break. */
  private record(s: Buffer, pos: number, n: number, final: boolean): number {
    const out = this.out;
    const keys = this.keys;
    const header = keys === undefined;
    const columns = header ? 0 : keys.length;
    const unquoted = this.unquoted;
    const quoted = this.quoted;
    const delimiter = this.delimiter;
    let at = this.at;
    this.recordLine = this.line;
    if (header) this.headerFields.length = 0;
    else if (this.options.array) {
      if (this.records > 0) out[at++] = COMMA;
      out[at++] = LF;
    }
    let field = 0;
    for (;;) {
      if (header) this.headerFields.push(at);
      else if (field < columns) {
        const key = keys[field] as Uint8Array;
        for (let k = 0; k < key.length; k++) out[at++] = key[k] as number;
      }
      out[at++] = QUOTE;
      if (pos < n && s[pos] === QUOTE) {
        // Line feeds inside the field count once the next quote is found (so an unclosed field's error
        // names the line of its last quote, as before).
        let lineFeeds = 0;
        let p = pos + 1;
        for (;;) {
          if (p >= n) {
            if (!final) return INCOMPLETE;
            throw this.error(this.line, `field ${field + 1}: a quoted field is not closed before the end of the input; add the closing quote`);
          }
          const byte = s[p] as number;
          const kind = quoted[byte];
          if (kind === PLAIN) {
            out[at++] = byte;
            p++;
            continue;
          }
          if (kind === CLOSES) {
            if (p + 1 >= n && !final) return INCOMPLETE;
            this.line += lineFeeds;
            lineFeeds = 0;
            if (p + 1 < n && s[p + 1] === QUOTE) {
              out[at++] = BACKSLASH;
              out[at++] = QUOTE;
              p += 2;
              continue;
            }
            pos = p + 1;
            break;
          }
          if (kind === LINE_FEED) lineFeeds++;
          const escape = ESCAPES[byte] as Uint8Array;
          for (let k = 0; k < escape.length; k++) out[at++] = escape[k] as number;
          p++;
        }
        if (pos < n && s[pos] !== LF && s[pos] !== CR && !this.delimiterAt(s, pos)) {
          throw this.error(this.line, `field ${field + 1}: unexpected text after the closing quote; inside a quoted field write a quote as ""`);
        }
      } else {
        let p = pos;
        for (; p < n; p++) {
          const byte = s[p] as number;
          const kind = unquoted[byte];
          if (kind === PLAIN) {
            out[at++] = byte;
            continue;
          }
          if (kind === ENDS_FIELD) break;
          if (kind === MAY_END_FIELD) {
            if (this.delimiterAt(s, p)) break;
            out[at++] = byte;
            continue;
          }
          if (kind === STRAY_QUOTE) {
            throw this.error(this.line, `field ${field + 1}: a quote inside an unquoted field; quote the whole field and write inner quotes as ""`);
          }
          const escape = ESCAPES[byte] as Uint8Array;
          for (let k = 0; k < escape.length; k++) out[at++] = escape[k] as number;
        }
        if (p >= n && !final) return INCOMPLETE;
        pos = p;
      }
      out[at++] = QUOTE;
      if (header) this.headerFields.push(at);
      else if (field >= columns) throw this.error(this.line, `expected ${columns} fields like the header row, got more`);
      field++;

      if (pos < n && this.delimiterAt(s, pos)) {
        pos += delimiter.length;
        continue;
      }
      if (pos < n && s[pos] === CR) {
        if (pos + 1 >= n && !final) return INCOMPLETE;
        if (pos + 1 >= n || s[pos + 1] !== LF)
          throw this.error(this.line, 'a carriage return (CR) not followed by a line feed outside quotes; quote the field');
        pos++;
      }
      if (pos < n) {
        pos++;
        this.line++;
      }
      break;
    }
    if (!header) {
      if (field < columns) throw this.error(this.recordLine, `expected ${columns} fields like the header row, got ${field}`);
      out[at++] = CLOSE_BRACE;
      if (!this.options.array) out[at++] = LF;
    }
    this.at = at;
    return pos;
  }

  private delimiterAt(s: Buffer, pos: number): boolean {
    const delimiter = this.delimiter;
    if (s[pos] !== delimiter[0]) return false;
    for (let k = 1; k < delimiter.length; k++) if (s[pos + k] !== delimiter[k]) return false;
    return true;
  }

  /** The keys of the header row, from the JSON strings its record wrote to `out`. */
  private header(): Uint8Array[] {
    const names: string[] = [];
    for (let i = 0; i < this.headerFields.length; i += 2)
      names.push(JSON.parse(this.out.toString('utf8', this.headerFields[i], this.headerFields[i + 1])) as string);
    const seen = new Set<string>();
    for (const name of names) {
      if (name === '') throw this.error(this.recordLine, 'the header row has an empty column name');
      if (seen.has(name)) throw this.error(this.recordLine, `duplicate column name "${name}" in the header row`);
      seen.add(name);
    }
    return names.map((name, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(name)}:`));
  }

  private notUtf8(line: number): InvalidInputError {
    return new InvalidInputError(
      `${this.options.what}: invalid CSV at or after line ${line}: the input is not valid UTF-8; convert it first (e.g. iconv -f WINDOWS-1252 -t UTF-8)`,
    );
  }

  private tooLong(line: number): InvalidInputError {
    return this.error(line, `the record is longer than --max-record-bytes ${formatSize(this.options.maxRecordBytes)}; raise the limit if this is expected`);
  }

  private error(line: number, why: string): InvalidInputError {
    return new InvalidInputError(`${this.options.what}: invalid CSV at line ${line}: ${why}`);
  }
}

/** The stream stage: UTF-8 bytes in (a byte order mark is dropped), JSON bytes out. */
export function csvToJsonStage(options: CsvToJsonOptions): Transform {
  const converter = new CsvToJson(options);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        const out = converter.write(chunk);
        if (out.length > 0) this.push(out);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        callback(null, converter.end());
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
