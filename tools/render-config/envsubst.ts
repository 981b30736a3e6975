// envsubst-compatible substitution: $NAME and ${NAME} as GNU envsubst does, plus the shell's
// ${NAME:-word} ${NAME-word} ${NAME:?message} ${NAME?message} ${NAME:+word} ${NAME+word} (the word is
// itself expanded) and $$ for a literal $. With an allowlist only the listed names are touched: every
// other `$word` is copied as it is, so nginx's `$host` survives. One pass over the text with indexOf,
// no regular expression per character: this path must keep up with GNU envsubst on large files.

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
  /** Offset of the `$` in the template, for file:line:column. */
  offset: number;
  name: string;
  message: string;
}

export interface EnvsubstResult {
  text: string;
  problems: EnvsubstProblem[];
}

const DOLLAR = 0x24;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COLON = 0x3a;

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

export function envsubst(template: string, options: EnvsubstOptions): EnvsubstResult {
  const problems: EnvsubstProblem[] = [];
  const text = expand(template, 0, template.length, options, problems);
  return { text, problems };
}

/** Expands template[start, end); offsets in problems are absolute. */
function expand(template: string, start: number, end: number, options: EnvsubstOptions, problems: EnvsubstProblem[]): string {
  let out = '';
  let copied = start;
  let at = template.indexOf('$', start);
  while (at !== -1 && at < end) {
    const next = at + 1 < end ? template.charCodeAt(at + 1) : -1;
    if (next === DOLLAR) {
      out += template.slice(copied, at + 1);
      copied = at + 2;
      at = template.indexOf('$', copied);
      continue;
    }
    if (isNameStart(next)) {
      let stop = at + 2;
      while (stop < end && isNameChar(template.charCodeAt(stop))) stop++;
      const name = template.slice(at + 1, stop);
      if (options.allowed === undefined || options.allowed(name)) {
        out += template.slice(copied, at) + plain(name, at, options, problems);
        copied = stop;
      }
      at = template.indexOf('$', stop);
      continue;
    }
    if (next === OPEN) {
      const consumed = braced(template, at, end, options, problems);
      if (consumed !== undefined) {
        out += template.slice(copied, at) + consumed.value;
        copied = consumed.end;
        at = template.indexOf('$', copied);
        continue;
      }
    }
    at = template.indexOf('$', at + 1);
  }
  return out + template.slice(copied, end);
}

function plain(name: string, offset: number, options: EnvsubstOptions, problems: EnvsubstProblem[]): string {
  const value = options.lookup(name);
  if (value !== undefined) return value;
  if (options.strict) problems.push({ kind: 'missing', offset, name, message: `variable ${name} is not set` });
  return '';
}

const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

/**
 * ${...} starting at `at`: the value and where the expression ends, or undefined when the text is
 * to be copied as it is (not a name, a name outside the allowlist, or an unknown form in lenient mode).
 */
function braced(
  template: string,
  at: number,
  end: number,
  options: EnvsubstOptions,
  problems: EnvsubstProblem[],
): { value: string; end: number } | undefined {
  const nameStart = at + 2;
  if (nameStart >= end || !isNameStart(template.charCodeAt(nameStart))) return undefined;
  let stop = nameStart + 1;
  while (stop < end && isNameChar(template.charCodeAt(stop))) stop++;
  const name = template.slice(nameStart, stop);
  if (options.allowed !== undefined && !options.allowed(name)) return undefined;
  const c = stop < end ? template.charCodeAt(stop) : -1;
  if (c === CLOSE) return { value: plain(name, at, options, problems), end: stop + 1 };

  const operator = OPERATORS.find((op) => template.startsWith(op, stop));
  const close = operator === undefined ? -1 : matchingClose(template, stop + operator.length, end);
  if (operator === undefined || close === -1) {
    if (!options.strict) return undefined;
    const what = operator === undefined ? `unsupported form \${${name}${c === -1 ? '' : String.fromCharCode(c)}...` : `unterminated \${${name}${operator}...`;
    problems.push({
      kind: 'syntax',
      offset: at,
      name,
      message: `${what}; supported: \${${name}}, \${${name}:-default}, \${${name}-default}, \${${name}:?message}, \${${name}:+word} (write $$ for a literal $)`,
    });
    return { value: '', end: operator === undefined ? stop : end };
  }
  const value = options.lookup(name);
  const wordStart = stop + operator.length;
  const word = (): string => expand(template, wordStart, close, options, problems);
  const checksEmpty = operator.charCodeAt(0) === COLON;
  const absent = value === undefined || (checksEmpty && value === '');
  switch (operator) {
    case ':-':
    case '-':
      return { value: absent ? word() : (value as string), end: close + 1 };
    case ':+':
    case '+':
      return { value: absent ? '' : word(), end: close + 1 };
    case ':?':
    case '?': {
      if (!absent) return { value: value as string, end: close + 1 };
      const message = word() || (value === undefined ? 'not set' : 'empty');
      problems.push({ kind: 'missing', offset: at, name, message: `variable ${name}: ${message}` });
      return { value: '', end: close + 1 };
    }
  }
}

/** Index of the `}` that closes a word starting at `from`, skipping nested ${...}; -1 when none. */
function matchingClose(template: string, from: number, end: number): number {
  let depth = 0;
  for (let i = from; i < end; i++) {
    const c = template.charCodeAt(i);
    if (c === DOLLAR && i + 1 < end && template.charCodeAt(i + 1) === OPEN) {
      depth++;
      i++;
    } else if (c === CLOSE) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
