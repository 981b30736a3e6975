// Bounds on what a JSON or YAML document may turn into before it is built in memory. The parsers and
// serialisers recurse (a document nested 100 000 deep overflows the stack), and YAML aliases copy a value
// wherever they appear (a 2 MiB anchor aliased 99 times is 200 MiB of output from 2 MiB of input, which
// the alias count alone does not see). Both are measured without recursion and without expanding.

import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';

export interface DocumentLimits {
  /** Deepest nesting of arrays and objects (--max-nesting). */
  maxNesting: number;
  /** Bytes YAML aliases may copy into one document (--max-yaml-alias-bytes). */
  maxAliasBytes: number;
  /** Bytes one converted document may have, built whole in memory (--max-document-bytes). */
  maxDocumentBytes: number;
}

export function nestingError(what: string, where: string, maxNesting: number): InvalidInputError {
  return new InvalidInputError(`${what}: ${where} nests arrays and objects deeper than --max-nesting ${maxNesting}; raise the limit if this is expected`);
}

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;

/**
 * Nesting depth of JSON text fed chunk by chunk, checked as it streams: a byte scanner that knows only
 * strings and brackets (malformed text is the parser's business afterwards).
 */
export class JsonNesting {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private readonly what: string;
  private readonly maxNesting: number;

  constructor(what: string, maxNesting: number) {
    this.what = what;
    this.maxNesting = maxNesting;
  }

  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === LF) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
        if (++this.depth > this.maxNesting) throw nestingError(this.what, `the JSON at line ${this.line}`, this.maxNesting);
      } else if ((byte === CLOSE_BRACKET || byte === CLOSE_BRACE) && this.depth > 0) this.depth--;
    }
  }
}
