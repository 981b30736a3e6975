// S3 objects fetched in parts are joined only when every part is provably the same version and the range
// asked for: an object overwritten between two parts (a real overwrite on the moto server, and a store
// that ignores If-Match, simulated by a proxy rewriting the ETag) fails with exit 3 and a part answered
// with another range fails with exit 4; nothing is left under --out. Bucket names and keys that URL
// normalisation would turn into another bucket or key, and file URLs that decode to no usable path, are
// usage errors before any request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { testAwsEndpointUrl } from '../../helpers/services.ts';
import { listTree, makeBucket, putObject, run, s3Client } from './fixtures.ts';
import { startS3Proxy, type Decide } from './s3-proxy.ts';

const MiB = 1024 * 1024;
const SECOND_PART = `bytes=${MiB}-${2 * MiB - 1}`;

/** 3 MiB and a bit that gunzip accepts: random bytes do not compress, so four parts of 1 MiB. */
function content(): Buffer {
  return gzipSync(randomBytes(3 * MiB));
}
const BODY = content();

async function fetchThroughProxy(decide: (bucket: string) => Decide, args: string[] = []) {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'integrity');
  await putObject(s3, bucket, 'data.bin', BODY);
  const proxy = await startS3Proxy(testAwsEndpointUrl(), decide(bucket));
  try {
    const out = join(tempDir(), 'out');
    const result = await run(['--out', out, '--part-size', '1MiB', '--part-concurrency', '1', '--retries', '1', ...args, `s3://${bucket}/data.bin`], {
      env: { AWS_ENDPOINT_URL: proxy.url },
    });
    return { result, out, proxy };
  } finally {
    await proxy.close();
  }
}

test('s3: an object overwritten between two ranged GETs fails with exit 3 (If-Match), with and without a conversion, never spliced', async () => {
  for (const extra of [[], ['--convert', 'gunzip']]) {
    let overwritten = false;
    const { result, out } = await fetchThroughProxy(
      (bucket) => async (request) => {
        if (request.method === 'GET' && request.headers.range === SECOND_PART && !overwritten) {
          overwritten = true;
          await putObject(s3Client(), bucket, 'data.bin', content());
        }
        return { kind: 'forward' };
      },
      extra,
    );
    assert.ok(overwritten);
    assert.equal(result.code, 3, result.stderr);
    assert.match(failureLine(result).msg, /data\.bin part 2\/4: the object changed while downloading/);
    assert.deepEqual(listTree(out), []);
  }
});

test('s3: a part from a store that ignores If-Match (another ETag) is exit 3; a part with another range than asked is exit 4', async () => {
  const changed = await fetchThroughProxy(
    () => (request) =>
      request.method === 'GET' && request.headers.range === SECOND_PART
        ? { kind: 'rewrite', headers: { etag: '"0123456789abcdef0123456789abcdef"' } }
        : { kind: 'forward' },
  );
  assert.equal(changed.result.code, 3, changed.result.stderr);
  assert.match(
    failureLine(changed.result).msg,
    /the object changed while downloading \(ETag "0123456789abcdef0123456789abcdef", first "[0-9a-f]+"\); nothing was kept, run again/,
  );
  assert.deepEqual(listTree(changed.out), []);

  const shifted = await fetchThroughProxy(
    () => (request) =>
      request.method === 'GET' && request.headers.range === SECOND_PART
        ? { kind: 'rewrite', headers: { 'content-range': `bytes 0-${MiB - 1}/${BODY.length}` } }
        : { kind: 'forward' },
  );
  assert.equal(shifted.result.code, 4, shifted.result.stderr);
  assert.match(
    failureLine(shifted.result).msg,
    new RegExp(`S3 answered Content-Range "bytes 0-${MiB - 1}/${BODY.length}" to a request for bytes ${MiB}-${2 * MiB - 1}/${BODY.length}`),
  );
  assert.deepEqual(listTree(shifted.out), []);
});

test('source URLs: an invalid bucket name, a key with dot segments or a file URL that decodes to no usable path is exit 2 before any request', async () => {
  const cases: Array<[string, RegExp]> = [
    ['s3://../x', /"\.\." in s3:\/\/\.\.\/x is not a valid S3 bucket name/],
    ['s3://Bucket/x', /"Bucket" .* is not a valid S3 bucket name/],
    ['s3://a..b/x', /no two adjacent dots/],
    ['s3://my_bucket/x', /only lowercase letters, digits, dots and hyphens/],
    ['s3://bucket/data/../other/x.csv', /has a "\." or "\.\." segment, which URL normalisation would turn into another key/],
    ['s3://bucket/data/%2E%2E/x.csv', /has a "\." or "\.\." segment/],
    ['s3://bucket/%zz.csv', /has a "%" escape that does not decode to UTF-8 text; write a literal "%" as %25/],
    ['file:///data/a%2Fb.csv', /names no usable local path \(File URL path must not include encoded \/ characters\)/],
    ['file:///data/%zz.csv', /names no usable local path \(URI malformed\)/],
    [`file:///data/${'x'.repeat(300)}.csv`, /is too long \(a component is 304 bytes long, the limit is 255\)/],
  ];
  for (const [url, message] of cases) {
    const out = join(tempDir(), 'out');
    // No endpoint that answers: a request would be a connection error, not exit 2.
    const result = await run(['--out', out, url], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    assert.equal(result.code, 2, `${url}: ${result.stderr}`);
    assert.match(failureLine(result).msg, message, url);
    assert.deepEqual(listTree(out), []);
  }
});
