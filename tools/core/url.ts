// How a URL is shown in logs, errors and manifests: without its password and without the values of
// query parameters that carry credentials (presigned S3 URLs: X-Amz-Signature, X-Amz-Credential,
// X-Amz-Security-Token; "?token=", "?api_key=" and the like). The hidden values are registered with
// the redactor as well, so they are masked wherever else they may turn up (a library's error message).

import { redactor } from './redact.ts';

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
    const fields = shown.search
      .slice(1)
      .split('&')
      .map((field) => {
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
  for (const [part, value] of [
    ['user', url.username],
    ['password', url.password],
  ] as const) {
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

const WRITTEN_SCHEME = /^[\x00-\x20]*[a-z][a-z0-9+.-]*:\/\//i;
/** Where the user part of a URL without "://" ends: a "name:" at the start, after a space or a "/". */
const LOOSE_USER = /(^|[\s/])[^\s/?#@:]*:/;

/**
 * A URL as the user wrote it, for the message that says it does not parse. Its password was then never
 * registered with the redactor, and may hold anything: "#", "/", spaces, "://". So everything between
 * the user's ":" and the LAST "@" is masked (the text is one URL); without "@", what follows "host:" is
 * shown only when it is a port (digits), since "postgres://app:secret" may be a password with its host
 * forgotten, or the first half of a target whose password held a space. Masking too much is the safe side.
 */
export function maskWrittenUrl(text: string): string {
  const at = text.lastIndexOf('@');
  const scheme = WRITTEN_SCHEME.exec(text);
  if (scheme === null) {
    if (at < 0) return text;
    const user = LOOSE_USER.exec(text.slice(0, at));
    const keep = user === null ? 0 : user.index + user[0].length;
    return `${text.slice(0, keep)}${MASK}${text.slice(at)}`;
  }
  const start = scheme[0].length;
  if (at >= start) {
    const colon = text.indexOf(':', start);
    return colon >= 0 && colon < at ? `${text.slice(0, colon + 1)}${MASK}${text.slice(at)}` : text;
  }
  const authority = /^[^/?#]*/.exec(text.slice(start))?.[0] ?? '';
  const port = /:([^\]]*)$/.exec(authority.replace(/^\[[^\]]*\]/, ''));
  if (port === null || /^\d*$/.test(port[1] as string)) return text;
  return `${text.slice(0, start + authority.length - (port[1] as string).length)}${MASK}`;
}
