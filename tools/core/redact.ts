// The redaction registry: every secret is registered before anything is logged, and every log line,
// error message and termination message passes through redact() on its way out. Masking is linear in
// the text and in the total length of the secrets (one automaton pass, see secret-matcher.ts), and it
// fails closed: if masking throws, the caller gets a fixed line, never the text.

import { SecretMatcher } from './secret-matcher.ts';

const MASK = '***';
/** What is written instead of a line that could not be masked. */
export const WITHHELD = '[line withheld: masking the secrets in it failed]';
/** Values shorter than this are not secrets worth masking (masking "1" would garble every number). */
export const MIN_SECRET_LENGTH = 4;
/** A line of a multi-line secret (a PEM key) is masked on its own when it is at least this long. */
const MIN_LINE_LENGTH = 8;
/** Encoded fragments (base64 of a secret inside a longer string) shorter than this would mask noise. */
const MIN_FRAGMENT_LENGTH = 6;
/** Up to this many registered forms, redact() looks for each with String.includes before the automaton. */
const FEW_FORMS = 64;

export class Redactor {
  private readonly secrets = new Set<string>();
  private matcher: SecretMatcher | undefined;

  /**
   * Registers a secret with the forms in which it may show up: raw, trimmed, JSON-escaped (once and
   * twice), URL- and form-encoded, hex, and base64 at each of the three byte alignments it can have
   * inside a longer encoded string (so "Basic " + base64("user:" + secret) is masked too).
   */
  add(value: string | Uint8Array | undefined | null): void {
    if (value === undefined || value === null) return;
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    const texts = new Set([typeof value === 'string' ? value : bytes.toString('utf8')]);
    if (typeof value !== 'string') texts.add(bytes.toString('latin1'));
    let changed = false;
    const register = (form: string, min = MIN_SECRET_LENGTH): void => {
      if (form.length >= min && !this.secrets.has(form)) {
        this.secrets.add(form);
        changed = true;
      }
    };
    for (const text of texts) for (const form of textForms(text)) register(form);
    if (bytes.length >= MIN_SECRET_LENGTH) for (const form of byteForms(bytes)) register(form, MIN_FRAGMENT_LENGTH);
    if (changed) this.matcher = undefined;
  }

  private anyFormIn(text: string): boolean {
    for (const form of this.secrets) if (text.includes(form)) return true;
    return false;
  }

  get size(): number {
    return this.secrets.size;
  }

  /** The registered forms from the `from`-th on, in the order registered: what a worker thread hands back. */
  forms(from = 0): string[] {
    return [...this.secrets].slice(from);
  }

  /** Registers forms another thread's redactor made, as they are (they are forms already, not secrets). */
  addForms(forms: Iterable<string>): void {
    const before = this.secrets.size;
    for (const form of forms) this.secrets.add(form);
    if (this.secrets.size !== before) this.matcher = undefined;
  }

  /** Masks every registered secret and every password inside a URL; WITHHELD if that fails. */
  redact(text: string): string {
    try {
      const out = maskUrlCredentials(text);
      if (this.secrets.size === 0) return out;
      // With a few forms registered (one or two secrets), the engine's string search tells first whether
      // any is there: much faster on a long text (a template's 32 MB value: 4 s through the automaton).
      if (this.secrets.size <= FEW_FORMS && !this.anyFormIn(out)) return out;
      this.matcher ??= new SecretMatcher(this.secrets);
      return mask(out, this.matcher);
    } catch {
      return WITHHELD;
    }
  }
}

function textForms(text: string): string[] {
  const json = JSON.stringify(text).slice(1, -1);
  const forms = [text, text.trim(), json, JSON.stringify(json).slice(1, -1), encodeURIComponent(text)];
  forms.push(new URLSearchParams({ v: text }).toString().slice(2));
  // A line can surface alone (the last line of a tool's output), raw or inside a JSON log line.
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().length >= MIN_LINE_LENGTH) forms.push(line.trim(), JSON.stringify(line.trim()).slice(1, -1));
  }
  return forms;
}

/** Hex, and the base64 characters that depend only on the secret at offsets 0, 1 and 2 mod 3. */
function byteForms(bytes: Buffer): string[] {
  const forms = [bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = padded.toString('base64');
    // The first group mixes filler with the secret when offset > 0; the last partial group depends on
    // whatever follows the secret. Both are dropped; a whole secret alone keeps its padded form too.
    const start = offset === 0 ? 0 : 4;
    const whole = Math.floor(padded.length / 3) * 4;
    const core = encoded.slice(start, whole);
    forms.push(core, toBase64Url(core));
    if (offset === 0) forms.push(encoded, toBase64Url(encoded).replace(/=+$/, ''));
  }
  return forms;
}

function toBase64Url(text: string): string {
  return text.replace(/\+/g, '-').replace(/\//g, '_');
}

function mask(text: string, matcher: SecretMatcher): string {
  const spans = matcher.spans(text);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start) + MASK;
    at = end;
  }
  return out + text.slice(at);
}

// The password runs to the last "@" of the word before the next URL: a malformed URL (a "/", "#" or
// "://" in the password, which new URL() rejects) is never registered, so this is what masks it. Masking
// too much is the safe side, but not across URLs: a JSON list of targets has no spaces between them. A
// next URL starts after a quote or a comma ("," in a JSON list), maybe named ("db=postgres://", as
// wait-for-db names targets), not after the ":" or "@" of a password such as "pa://ss". A password is looked for in at most 1024 characters after each "scheme://user:",
// and the next "@", space and URL start are found by forward scans that never go back, so the cost is
// linear in the text whatever it holds (a regular expression here backtracked 1024 steps per "a://").
const URL_HEAD = /\b[a-z][a-z0-9+.-]{0,63}:\/\/[^\s/?#@:]*:/gi;
const NEXT_URL = /(?<=[",'])(?:[a-z0-9-]{1,63}=(?=(?:postgres|postgresql|redis|rediss|tcp|https?):\/\/))?[a-z][a-z0-9+.-]{0,63}:\/\//gi;
const SPACE = /\s/g;
const MAX_PASSWORD = 1024;

/** Replaces the password of any `scheme://user:password@host` in the text with ***. */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('://')) return text;
  const nextAt = new ForwardFinder(text, /@/g);
  const nextSpace = new ForwardFinder(text, SPACE);
  const nextUrl = new ForwardFinder(text, NEXT_URL);
  const head = new RegExp(URL_HEAD);
  let out = '';
  let copied = 0;
  for (let match = head.exec(text); match !== null; match = head.exec(text)) {
    const from = match.index + match[0].length;
    const limit = Math.min(from + MAX_PASSWORD, nextSpace.from(from), nextUrl.from(from));
    const at = nextAt.from(from) < limit ? text.lastIndexOf('@', limit - 1) : -1;
    if (at < 0) {
      head.lastIndex = match.index + 1;
      continue;
    }
    out += text.slice(copied, from) + (at > from ? MASK : '') + '@';
    copied = at + 1;
    head.lastIndex = copied;
  }
  return out + text.slice(copied);
}

/** The first match at or after a position, remembered, so that scans over rising positions stay linear. */
class ForwardFinder {
  private readonly text: string;
  private readonly pattern: RegExp;
  private scannedFrom = Infinity;
  private found = 0;

  constructor(text: string, pattern: RegExp) {
    this.text = text;
    this.pattern = new RegExp(pattern);
  }

  /** Index of the first match at or after `position`, or the text's length when there is none. */
  from(position: number): number {
    if (position < this.scannedFrom || this.found < position) {
      this.pattern.lastIndex = position;
      const match = this.pattern.exec(this.text);
      this.found = match === null ? this.text.length : match.index;
      this.scannedFrom = position;
    }
    return this.found;
  }
}

/** The process-wide registry: one process, one set of secrets. */
export const redactor = new Redactor();

/** Variables that hold a credential wherever they are set: the AWS SDK's, libpq's and the MySQL client's. */
export const CREDENTIAL_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'PGPASSWORD', 'MYSQL_PWD'] as const;

/** Registers the values of CREDENTIAL_VARIABLES in `env`: an operator's slip (the key pasted into a flag, a
 *  URL or a secret's name) never prints it, whichever tool reads it. */
export function registerCredentialEnv(env: NodeJS.ProcessEnv): void {
  for (const name of CREDENTIAL_VARIABLES) redactor.add(env[name]);
}
