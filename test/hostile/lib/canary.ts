// Canary secrets of hostile shapes, the forms a leak could take (raw, JSON-escaped, URL-encoded, base64,
// base64 of "user:SECRET" as in basic auth, hex), and the check that none of them reached what a user sees.
import assert from 'node:assert/strict';

export interface Canary {
  /** Short label for test names. */
  label: string;
  value: Buffer;
}

const text = (label: string, value: string): Canary => ({ label, value: Buffer.from(value, 'utf8') });

/** Text canaries: each once broke or could break redaction. */
export const textCanaries: Canary[] = [
  text('plain', 'canary-Zq9wX3vT7pLm'),
  text('regex-metacharacters', 'c.*+?^${}()|[]\\/-Rk2Lp'),
  text('newlines', 'canary-line-one\ncanary-line-two\r\nEnd7'),
  text('unicode', 'pässwörd-🔑-秘密-Ωmega'),
  text('quotes-and-backslashes', `ca"na'ry\\x\\u0041-Tq8`),
  text('6KiB-one-repeated-byte', 'K'.repeat(6 * 1024)),
  text('percent-and-at-signs', 'p%40ss@w0rd:%2F/#-Vb5'),
];

/** A binary secret: every byte value, not valid UTF-8. */
export const binaryCanary: Canary = { label: 'binary', value: Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + 3) % 256)) };

export interface CanaryForm {
  form: string;
  text: string;
}

/** Every form of the secret worth searching for; `user` adds base64("user:SECRET"). */
export function canaryForms(secret: Buffer, user = 'user'): CanaryForm[] {
  const forms: CanaryForm[] = [
    { form: 'base64', text: secret.toString('base64') },
    { form: `base64 of "${user}:SECRET"`, text: Buffer.concat([Buffer.from(`${user}:`), secret]).toString('base64') },
    { form: 'hex', text: secret.toString('hex') },
  ];
  const raw = secret.toString('utf8');
  if (Buffer.from(raw, 'utf8').equals(secret)) {
    forms.push({ form: 'raw', text: raw });
    forms.push({ form: 'JSON-escaped', text: JSON.stringify(raw).slice(1, -1) });
    forms.push({ form: 'URL-encoded', text: encodeURIComponent(raw) });
    for (const line of raw.split(/\r?\n/)) if (line.length >= 8 && line !== raw) forms.push({ form: 'one line of it', text: line });
  }
  return forms;
}

/**
 * Pieces of a form to search for: the whole form when short, else windows of 48 characters every 24, so a
 * leak cut short (a termination message capped at 4 KiB, a line truncated by a logger) is found too.
 */
function pieces(form: string): string[] {
  if (form.length <= 48) return [form];
  const out = new Set<string>();
  for (let i = 0; i + 48 <= form.length; i += 24) out.add(form.slice(i, i + 48));
  return [...out];
}

export interface Visible {
  stdout: string;
  stderr: string;
  termination: string;
}

/** Fails naming the form and the output when any form of `secret` is in stdout, stderr or the termination message. */
export function assertNoCanary(run: Visible, secret: Buffer, user?: string): void {
  const outputs = { stdout: run.stdout, stderr: run.stderr, 'termination message': run.termination };
  for (const { form, text: formText } of canaryForms(secret, user)) {
    for (const piece of pieces(formText)) {
      for (const [where, content] of Object.entries(outputs)) {
        assert.ok(!content.includes(piece), `the secret leaked (${form}) into the ${where}: …${excerpt(content, piece)}…`);
      }
    }
  }
}

function excerpt(content: string, piece: string): string {
  const at = content.indexOf(piece);
  return content.slice(Math.max(0, at - 60), at).replace(/\n/g, '\\n') + '[SECRET]';
}
