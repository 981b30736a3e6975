// When an HTTP body may be resumed with a Range request, and whether a resumed answer provably continues
// the same representation. Bytes already passed on cannot be taken back, so a resumed answer that cannot
// be proven to be the same version (another or a weak ETag, another Last-Modified, a Content-Range that
// does not start where asked or has another total) must never be spliced onto them.

import type { IncomingHttpHeaders } from 'node:http';

/** What the first answer said about its representation; a resume must match all of it. */
export interface ResumeValidator {
  /** Sent as If-Range: a strong ETag, or Last-Modified when the server sent no ETag at all. */
  ifRange: string;
  etag: string | undefined;
  lastModified: string | undefined;
  size: number;
}

/** A strong ETag validates a range (RFC 9110 13.1.5); a weak one (W/"...") never does. */
function strongEtag(value: string | undefined): string | undefined {
  return value !== undefined && /^"[\x21\x23-\x7e\x80-\xff]*"$/.test(value) ? value : undefined;
}

/** Content-Length as a number when it is a plain decimal, else undefined. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const length = headers['content-length'];
  return length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
}

/** The validator of a first (200) answer, or undefined when it cannot be resumed safely. */
export function resumeValidator(headers: IncomingHttpHeaders): ResumeValidator | undefined {
  const size = declaredLength(headers);
  if (headers['accept-ranges'] !== 'bytes' || size === undefined) return undefined;
  const etag = strongEtag(headers.etag);
  const lastModified = headers['last-modified'];
  if (etag !== undefined) return { ifRange: etag, etag, lastModified, size };
  // A weak ETag names a version only loosely: Last-Modified cannot stand in for it.
  if (headers.etag === undefined && lastModified !== undefined) return { ifRange: lastModified, etag: undefined, lastModified, size };
  return undefined;
}

/**
 * Why a 206 answer to `Range: bytes=<from>-` with If-Range is not the continuation of the representation
 * `validator` describes, or undefined when it is. `changed`: another version (another validator);
 * `invalid`: the same validator with a range other than the one asked for (a server that is wrong).
 */
export function resumeMismatch(
  headers: IncomingHttpHeaders,
  from: number,
  validator: ResumeValidator,
): { kind: 'changed' | 'invalid'; reason: string } | undefined {
  const changed = (reason: string) => ({ kind: 'changed' as const, reason });
  const invalid = (reason: string) => ({ kind: 'invalid' as const, reason });
  if (validator.etag !== undefined && headers.etag !== validator.etag)
    return changed(`its ETag ${headers.etag ?? '(none)'} is not the first answer's ${validator.etag}`);
  const lastModified = headers['last-modified'];
  if (validator.lastModified !== undefined && lastModified !== validator.lastModified && (lastModified !== undefined || validator.etag === undefined)) {
    return changed(`its Last-Modified ${lastModified ?? '(none)'} is not the first answer's ${validator.lastModified}`);
  }
  const asked = `bytes ${from}-${validator.size - 1}/${validator.size}`;
  const range = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(headers['content-range'] ?? '');
  if (!range) return invalid(`its Content-Range "${headers['content-range'] ?? ''}" is not "${asked}"`);
  const [first, last, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
  if (total !== validator.size) return changed(`its Content-Range has a total of ${total} bytes, the first answer had ${validator.size}`);
  if (first !== from || last !== validator.size - 1) return invalid(`its Content-Range bytes ${first}-${last}/${total} is not ${asked}`);
  const length = declaredLength(headers);
  if (headers['content-length'] !== undefined && length !== last - first + 1)
    return invalid(`its Content-Length ${headers['content-length']} does not match its Content-Range ${first}-${last}`);
  return undefined;
}
