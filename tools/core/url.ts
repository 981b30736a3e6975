// How a URL is shown in logs, errors and manifests: without its password and without the values of
// query parameters that carry credentials (presigned S3 URLs: X-Amz-Signature, X-Amz-Credential,
// X-Amz-Security-Token; "?token=", "?api_key=" and the like). The hidden values are registered with
// the redactor as well, so they are masked wherever else they may turn up (a library's error message).

import { maskUrlCredentials, redactor } from './redact.ts';

const MASK = '***';
const SENSITIVE_PARAM = /sig|signature|token|credential|secret|password|key/i;
/** Matched by "sig" but not secret: the names of the signed headers ("host"), which the redactor must not learn. */
const NOT_SECRET = new Set(['x-amz-signedheaders']);

/** The URL with its password and credential-like query values replaced by ***, each registered with the redactor. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href);
  if (shown.password) {
    registerSecret(shown.password);
    shown.password = MASK;
  }
  if (shown.search.length > 1) {
    const fields = shown.search.slice(1).split('&').map((field) => {
      const eq = field.indexOf('=');
      if (eq < 0) return field;
      const name = decodeComponent(field.slice(0, eq));
      const value = field.slice(eq + 1);
      if (value === '' || !SENSITIVE_PARAM.test(name) || NOT_SECRET.has(name.toLowerCase())) return field;
      registerSecret(value);
      return `${field.slice(0, eq)}=${MASK}`;
    });
    shown.search = `?${fields.join('&')}`;
  }
  return shown.href;
}

/** Both the form as written in the URL and the decoded one: either may appear in a message. */
function registerSecret(raw: string): void {
  redactor.add(raw);
  const decoded = decodeComponent(raw);
  if (decoded !== raw) redactor.add(decoded);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** "user" or "password" when that part of the URL has a "%" that starts no escape: decoding it, as the
 *  clients do before sending it, would throw "URI malformed" (exit 1) instead of a usage error. */
export function badUserinfoEscape(url: URL): 'user' | 'password' | undefined {
  for (const [part, value] of [['user', url.username], ['password', url.password]] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return part;
    }
  }
  return undefined;
}

/** new URL() ignores these before the scheme. */
export const URL_LEADING_SPACE = /^[\x00-\x20]+/;

// Without "://" after the scheme (a typo such as "postgres//u:pw@db" or "redis:/:pw@cache") the URL
// masking of the redactor does not see a password: everything between the "user:" and the last "@" is
// masked instead, also when the password itself holds a "://".
const LOOSE_CREDENTIALS = /(^|[\s/])([^\s/?#@:]*:)\S*@/g;

/** A URL as the user wrote it, with its password masked also when the text is no valid URL (its password
 *  was then never registered with the redactor): for the message that names it. */
export function maskWrittenUrl(text: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text.replace(URL_LEADING_SPACE, ''))
    ? maskUrlCredentials(text)
    : text.replace(LOOSE_CREDENTIALS, '$1$2***@');
}
