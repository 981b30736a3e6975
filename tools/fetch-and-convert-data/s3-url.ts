// s3://bucket/key as the user wrote it. The WHATWG URL parser normalises "a/../b" and "%2e%2e" in the
// path away, and takes any host text, so a key or a bucket name can silently name another object or
// another bucket ("s3://../x" is bucket ".." and key "x"). Both are checked on the text as written.

import { UsageError } from '../core/errors.ts';
import { URL_LEADING_SPACE } from '../core/url.ts';

/** S3's bucket naming rules (general purpose buckets): what S3 would refuse, or route elsewhere. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket))
    return 'a bucket name has only lowercase letters, digits, dots and hyphens, and starts and ends with a letter or digit';
  if (bucket.includes('..')) return 'a bucket name has no two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return 'a bucket name is not an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(bucket) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(bucket))
    return 'the name has a prefix or suffix S3 reserves';
  return undefined;
}

const MAX_KEY_BYTES = 1024;

/** The bucket and the decoded key (or prefix) of an s3:// source; UsageError naming the fix when either is unusable. */
export function parseS3Url(text: string, shown: string, label: string): { bucket: string; key: string } {
  const written = /^s3:\/\/([^/?#]*)([^?#]*)/i.exec(text.replace(URL_LEADING_SPACE, ''));
  const bucket = written?.[1] ?? '';
  if (!bucket) throw new UsageError(`${label}: ${shown} has no bucket: expected s3://bucket/key`);
  const bad = bucketNameProblem(bucket);
  if (bad) throw new UsageError(`${label}: "${bucket}" in ${shown} is not a valid S3 bucket name (${bad}); write s3://BUCKET/KEY with the bucket's real name`);
  const segments = (written?.[2] ?? '').replace(/^\//, '').split('/');
  const decoded = segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new UsageError(`${label}: the key in ${shown} has a "%" escape that does not decode to UTF-8 text; write a literal "%" as %25`);
    }
  });
  if (decoded.some((segment) => segment === '.' || segment === '..')) {
    throw new UsageError(
      `${label}: the key in ${shown} has a "." or ".." segment, which URL normalisation would turn into another key; write the key without them`,
    );
  }
  const key = decoded.join('/');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new UsageError(`${label}: the key in ${shown} is longer than S3's ${MAX_KEY_BYTES} bytes`);
  return { bucket, key };
}
