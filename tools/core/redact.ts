// The redaction registry: every secret is registered before anything is logged, and every log line,
// error message and termination message passes through redact() on its way out.

const MASK = '***';
/** Values shorter than this are not secrets worth masking (masking "1" would garble every number). */
export const MIN_SECRET_LENGTH = 4;
/** A line of a multi-line secret (a PEM key) is masked on its own when it is at least this long. */
const MIN_LINE_LENGTH = 8;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value with the forms in which it may show up: raw, JSON-escaped, URL-encoded. */
  add(value: string | Uint8Array | undefined | null): void {
    if (value === undefined || value === null) return;
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    const forms = [text, JSON.stringify(text).slice(1, -1), encodeURIComponent(text)];
    for (const line of text.split(/\r?\n/)) if (line.trim().length >= MIN_LINE_LENGTH) forms.push(line.trim());
    let changed = false;
    for (const form of forms) {
      if (form.length >= MIN_SECRET_LENGTH && !this.secrets.has(form)) {
        this.secrets.add(form);
        changed = true;
      }
    }
    if (changed) this.pattern = undefined;
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Masks every registered secret and every password inside a URL. */
  redact(text: string): string {
    let out = maskUrlCredentials(text);
    if (this.secrets.size === 0) return out;
    this.pattern ??= new RegExp(
      // Longest first, so a longer form wins over a secret that is its prefix at the same position.
      [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
      'g',
    );
    out = out.replace(this.pattern, MASK);
    return out;
  }
}

// The password runs to the last "@" of the word before the next URL: a malformed URL (a "/", "#" or
// "://" in the password, which new URL() rejects) is never registered, so this is what masks it. Masking
// too much is the safe side, but not across URLs: a JSON list of targets has no spaces between them. A
// next URL starts after a quote or a comma ("," in a JSON list), not after the ":" or "@" of a password
// such as "pa://ss". At most 1024 characters are scanned per "scheme://user:", so a long line of them
// without "@" costs linear time, not quadratic.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)((?:(?!(?<=[",'])[a-z][a-z0-9+.-]*:\/\/)\S){0,1024})@/gi;

/** Replaces the password of any `scheme://user:password@host` in the text with ***. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, (_all, head: string, password: string) =>
    password === '' ? `${head}@` : `${head}${MASK}@`,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide registry: one process, one set of secrets. */
export const redactor = new Redactor();
