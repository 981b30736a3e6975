// envsubst-compatible substitution: $NAME and ${NAME} as GNU envsubst does, plus the shell's
// ${NAME:-word} ${NAME-word} ${NAME:?message} ${NAME?message} ${NAME:+word} ${NAME+word} (the word is
// itself expanded) and $$ for a literal $. With an allowlist only the listed names are touched: every
// other `$word` is copied as it is, so nginx's `$host` survives.
// It works on bytes, not strings: `$`, braces and names are ASCII, and no byte of a multi-byte UTF-8
// character is ASCII, so the text never needs decoding or re-encoding. That keeps a 50 MiB file at
// GNU envsubst's speed or better.

export interface EnvsubstOptions {
  /** The value of a name, or undefined when it is not set. */
  lookup: (name: string) => string | undefined;
  /** Names to substitute; undefined substitutes every name. */
  allowed?: ((name: string) => boolean) | undefined;
  /** A plain $NAME / ${NAME} that is not set is a problem (else it becomes empty, like GNU envsubst). */
  strict: boolean;
}

export interface EnvsubstProblem {
  kind: 'missing' | 'syntax';
  /** Byte offset of the `$` in the template, for file:line:column. */
  offset: number;
  name: string;
  message: string;
}

export interface EnvsubstResult {
  output: Uint8Array;
  problems: EnvsubstProblem[];
}

const DOLLAR = 0x24;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COLON = 0x3a;
const DASH = 0x2d;
const QUESTION = 0x3f;
const PLUS = 0x2b;

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/** A growable byte buffer; short copies are done in JavaScript, long ones by memcpy. */
class Output {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, 64));
  }
  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  copy(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.reserve(n);
    const bytes = this.bytes;
    let at = this.length;
    if (n < 32) for (let i = start; i < end; i++) bytes[at++] = source[i] as number;
    else bytes.set(source.subarray(start, end), at);
    this.length += n;
  }
  text(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.length).toString('utf8');
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

const RECENT_SLOTS = 1024;

/** What one name resolves to, computed once per run. */
interface Entry {
  hash: number;
  bytes: Uint8Array;
  name: string;
  allowed: boolean;
  /** Encoded value, or undefined when not set. */
  value: Uint8Array | undefined;
}

/**
 * Names seen in this run, found by a hash of their bytes: a large file refers to the same few names
 * again and again, and this avoids building a string and a map key for each reference.
 */
class Names {
  private readonly entries = new Map<number, Entry[]>();
  /** Direct-mapped cache in front of the map: the few names of a file nearly always hit here. */
  private readonly recent = new Array<Entry | undefined>(RECENT_SLOTS).fill(undefined);
  private readonly options: EnvsubstOptions;
  constructor(options: EnvsubstOptions) {
    this.options = options;
  }

  /** End of the name scanned by the last call of `scan`. */
  stop = 0;

  /** The entry of the name starting at `start` (whose first character is known to be a name start). */
  scan(template: Uint8Array, start: number, end: number): Entry {
    // One pass finds the end of the name and hashes it.
    let hash = 0;
    let stop = start;
    while (stop < end) {
      const c = template[stop] as number;
      if (!isNameChar(c)) break;
      hash = (Math.imul(hash, 31) + c) | 0;
      stop++;
    }
    this.stop = stop;
    const slot = hash & (RECENT_SLOTS - 1);
    const hit = this.recent[slot];
    if (hit !== undefined && hit.hash === hash && sameBytes(hit.bytes, template, start, stop)) return hit;
    const entry = this.find(hash, template, start, stop);
    this.recent[slot] = entry;
    return entry;
  }

  private find(hash: number, template: Uint8Array, start: number, stop: number): Entry {
    const bucket = this.entries.get(hash);
    if (bucket) {
      for (const entry of bucket) if (sameBytes(entry.bytes, template, start, stop)) return entry;
    }
    const bytes = template.slice(start, stop);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    const allowed = this.options.allowed === undefined || this.options.allowed(name);
    const text = allowed ? this.options.lookup(name) : undefined;
    const entry: Entry = { hash, bytes, name, allowed, value: text === undefined ? undefined : Buffer.from(text, 'utf8') };
    if (bucket) bucket.push(entry);
    else this.entries.set(hash, [entry]);
    return entry;
  }
}

function sameBytes(bytes: Uint8Array, template: Uint8Array, start: number, stop: number): boolean {
  if (bytes.length !== stop - start) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== template[start + i]) return false;
  return true;
}

/**
 * How deep ${A:-${B:-...}} may nest. Expansion recurses per level: 5,000 levels overflowed the stack
 * (exit 1); no real configuration comes near this.
 */
export const MAX_ENVSUBST_NESTING = 64;

export function envsubst(template: Uint8Array, options: EnvsubstOptions): EnvsubstResult {
  const problems: EnvsubstProblem[] = [];
  const out = new Output(template.length + (template.length >> 4));
  expand(template, 0, template.length, out, { options, names: new Names(options), problems, depth: 0 });
  return { output: out.result(), problems };
}

interface State {
  options: EnvsubstOptions;
  names: Names;
  problems: EnvsubstProblem[];
  /** Nesting of the ${NAME<op>word} being expanded. */
  depth: number;
}

/** Expands template[start, end) into out; offsets in problems are absolute. */
function expand(template: Uint8Array, start: number, end: number, out: Output, state: State): void {
  let copied = start;
  let at = template.indexOf(DOLLAR, start);
  while (at !== -1 && at < end) {
    const next = at + 1 < end ? (template[at + 1] as number) : -1;
    if (next === DOLLAR) {
      out.copy(template, copied, at + 1);
      copied = at + 2;
      at = template.indexOf(DOLLAR, copied);
      continue;
    }
    if (isNameStart(next)) {
      const entry = state.names.scan(template, at + 1, end);
      const stop = state.names.stop;
      if (entry.allowed) {
        out.copy(template, copied, at);
        plain(entry, at, out, state);
        copied = stop;
      }
      at = template.indexOf(DOLLAR, stop);
      continue;
    }
    if (next === OPEN) {
      const stop = braced(template, at, end, copied, out, state);
      if (stop !== undefined) {
        copied = stop;
        at = template.indexOf(DOLLAR, copied);
        continue;
      }
    }
    at = template.indexOf(DOLLAR, at + 1);
  }
  out.copy(template, copied, end);
}

function plain(entry: Entry, offset: number, out: Output, state: State): void {
  const value = entry.value;
  if (value !== undefined) out.copy(value, 0, value.length);
  else if (state.options.strict) state.problems.push({ kind: 'missing', offset, name: entry.name, message: `variable ${entry.name} is not set` });
}

type Operator = ':-' | ':?' | ':+' | '-' | '?' | '+';

function operatorAt(template: Uint8Array, at: number, end: number): Operator | undefined {
  const c = at < end ? template[at] : -1;
  const colon = c === COLON;
  const d = colon ? (at + 1 < end ? template[at + 1] : -1) : c;
  const op = d === DASH ? '-' : d === QUESTION ? '?' : d === PLUS ? '+' : undefined;
  if (op === undefined) return undefined;
  return colon ? (`:${op}` as Operator) : op;
}

/**
 * ${...} at `at`: writes the text copied so far and the value into out and returns where the expression
 * ends, or returns undefined (nothing written) when the text is to be copied as it is: not a name, a
 * name outside the allowlist, or an unknown form in lenient mode (GNU envsubst copies those too).
 */
function braced(template: Uint8Array, at: number, end: number, copied: number, out: Output, state: State): number | undefined {
  const nameStart = at + 2;
  if (nameStart >= end || !isNameStart(template[nameStart] as number)) return undefined;
  const entry = state.names.scan(template, nameStart, end);
  const stop = state.names.stop;
  if (!entry.allowed) return undefined;
  const name = entry.name;
  const c = stop < end ? (template[stop] as number) : -1;
  if (c === CLOSE) {
    out.copy(template, copied, at);
    plain(entry, at, out, state);
    return stop + 1;
  }
  const operator = operatorAt(template, stop, end);
  const wordStart = operator === undefined ? stop : stop + operator.length;
  const close = operator === undefined ? -1 : matchingClose(template, wordStart, end);
  if (operator === undefined || close === -1) {
    if (!state.options.strict) return undefined;
    const form = operator === undefined ? `unsupported form \${${name}${c === -1 ? '' : String.fromCharCode(c)}...` : `unterminated \${${name}${operator}...`;
    state.problems.push({
      kind: 'syntax',
      offset: at,
      name,
      message: `${form}; supported: \${${name}}, \${${name}:-default}, \${${name}-default}, \${${name}:?message}, \${${name}:+word} (write $$ for a literal $)`,
    });
    return operator === undefined ? stop : end;
  }
  if (state.depth >= MAX_ENVSUBST_NESTING) {
    state.problems.push({
      kind: 'syntax',
      offset: at,
      name,
      message: `\${${name}${operator}...} nests more than ${MAX_ENVSUBST_NESTING} levels of \${...} inside defaults; flatten the template`,
    });
    return end;
  }
  state.depth++;
  out.copy(template, copied, at);
  const value = entry.value;
  const absent = value === undefined || (operator.charCodeAt(0) === COLON && value.length === 0);
  switch (operator) {
    case ':-':
    case '-':
      if (absent) expand(template, wordStart, close, out, state);
      else out.copy(value as Uint8Array, 0, (value as Uint8Array).length);
      break;
    case ':+':
    case '+':
      if (!absent) expand(template, wordStart, close, out, state);
      break;
    case ':?':
    case '?':
      if (!absent) out.copy(value as Uint8Array, 0, (value as Uint8Array).length);
      else {
        const message = new Output(close - wordStart);
        expand(template, wordStart, close, message, state);
        const reason = message.text() || (value === undefined ? 'not set' : 'empty');
        state.problems.push({ kind: 'missing', offset: at, name, message: `variable ${name}: ${reason}` });
      }
      break;
  }
  state.depth--;
  return close + 1;
}

/** Index of the `}` that closes a word starting at `from`, skipping nested ${...}; -1 when none. */
function matchingClose(template: Uint8Array, from: number, end: number): number {
  let depth = 0;
  for (let i = from; i < end; i++) {
    const c = template[i];
    if (c === DOLLAR && i + 1 < end && template[i + 1] === OPEN) {
      depth++;
      i++;
    } else if (c === CLOSE) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
