// S3 prefixes that must fail, against the moto server through a proxy the test controls: two keys that
// would land on the same output path (refused while planning, before any object is fetched), and one
// failing object that must stop a sibling caught mid-download instead of waiting for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { testAwsEndpointUrl } from '../../helpers/services.ts';
import { listTree, makeBucket, putObject, run, s3Client } from './fixtures.ts';
import { startS3Proxy } from './s3-proxy.ts';

const MiB = 1024 * 1024;

/** Requests for objects (HEAD or GET of a key), as opposed to listing the bucket. */
const objectRequests = (requests: ReadonlyArray<{ method: string; url: string }>) => requests.filter((r) => !/[?&]list-type=2/.test(r.url));

test('s3 prefix: a key that would make a path too long for the kernel below --out is refused up front (exit 4), not ENAMETOOLONG mid-run', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'long');
  const key = `data/${Array.from({ length: 4 }, () => 'k'.repeat(200)).join('/')}.txt`;
  await putObject(s3, bucket, 'data/short.txt', 'ok');
  await putObject(s3, bucket, key, 'deep');
  const out = join(tempDir(), ...Array.from({ length: 13 }, () => 'o'.repeat(250)));
  const result = await run(['--out', out, `s3://${bucket}/data/`]);
  assert.equal(result.code, 4, result.stderr);
  assert.match(
    failureLine(result).msg,
    new RegExp(`s3://${bucket}/data/k{200}.*: the path it would be written to below .* is too long \\(\\d+ bytes long, the limit for a path is 4095\\)`),
  );
  assert.deepEqual(listTree(out), []);
});

test('s3 prefix: two keys converted to the same name are refused before any download (exit 4, both keys named)', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'same');
  await putObject(s3, bucket, 'data/a.csv.gz', gzipSync('k\n1\n'));
  await putObject(s3, bucket, 'data/a.csv', gzipSync('k\n2\n'));
  await putObject(s3, bucket, 'data/b.csv.gz', gzipSync('k\n3\n'));
  const proxy = await startS3Proxy(testAwsEndpointUrl());
  const out = tempDir();
  try {
    const result = await run(['--out', out, '--convert', 'gunzip', `s3://${bucket}/data/`], { env: { AWS_ENDPOINT_URL: proxy.url } });

    assert.equal(result.code, 4, result.stderr);
    assert.equal(
      failureLine(result).msg,
      `s3://${bucket}/data/a.csv and s3://${bucket}/data/a.csv.gz would both be written to "a.csv"; rename one of the objects or narrow the prefix (--convert gunzip renames the outputs)`,
    );
    assert.deepEqual(listTree(out), []);
    assert.ok(proxy.requests.length > 0, 'the listing went through the proxy');
    assert.deepEqual(
      objectRequests(proxy.requests).map((r) => `${r.method} ${r.url}`),
      [],
      'no object was read',
    );
  } finally {
    await proxy.close();
  }
});

test('s3 prefix: a key that is a file where another key needs a directory is refused up front (exit 4)', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'filedir');
  await putObject(s3, bucket, 'data/x', 'a file');
  await putObject(s3, bucket, 'data/x/y.txt', 'below it');
  const out = tempDir();

  const result = await run(['--out', out, `s3://${bucket}/data/`]);

  assert.equal(result.code, 4, result.stderr);
  assert.match(
    failureLine(result).msg,
    new RegExp(
      `s3://${bucket}/data/x would be written to the file "x", but s3://${bucket}/data/x/y\\.txt needs a directory there; rename one of the objects or narrow the prefix$`,
    ),
  );
  assert.deepEqual(listTree(out), []);
});

/**
 * a-slow sends 1 MiB and then nothing; b-bad is denied once a-slow is that far, so the failure meets a
 * sibling mid-download. Only an abort can end a-slow before --read-timeout (10m): without one the tool
 * waits for it and the run is killed after 90 s.
 */
async function failingSibling(label: string, convert: string[], extension: string, encode: (data: Buffer) => Buffer): Promise<void> {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, label);
  const slowKey = `data/a-slow.bin${extension}`;
  const badKey = `data/b-bad.bin${extension}`;
  await putObject(s3, bucket, slowKey, encode(randomBytes(8 * MiB)));
  await putObject(s3, bucket, badKey, encode(Buffer.from('denied')));
  const isGet = (request: { method?: string | undefined; url?: string | undefined }, key: string) =>
    request.method === 'GET' && (request.url ?? '').startsWith(`/${bucket}/${key}`);
  const slowRequests = () => proxy.requests.filter((r) => isGet(r, slowKey));
  const slowStarted = async () => {
    for (let waited = 0; slowRequests().length === 0 && waited < 30_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await slowRequests()[0]?.bodyReached(MiB);
  };
  const proxy = await startS3Proxy(testAwsEndpointUrl(), async (request) => {
    if (isGet(request, slowKey)) return { kind: 'stall', afterBytes: MiB };
    if (isGet(request, badKey)) {
      await slowStarted();
      return { kind: 'error', status: 403, code: 'AccessDenied' };
    }
    return { kind: 'forward' };
  });
  const out = tempDir();
  try {
    const result = await run(['--out', out, '--read-timeout', '10m', '--retries', '0', '--part-size', '16MiB', ...convert, `s3://${bucket}/data/`], {
      env: { AWS_ENDPOINT_URL: proxy.url },
      timeoutMs: 90_000,
    });

    assert.equal(result.code, 3, result.stderr);
    assert.match(failureLine(result).msg, new RegExp(`s3://${bucket}/${badKey.replaceAll('.', '\\.')}: access denied`));
    const slow = slowRequests();
    assert.equal(slow.length, 1, `${slowKey} was requested once`);
    assert.equal(slow[0]?.bodyBytes, MiB, `${slowKey} was mid-download when ${badKey} failed`);
    assert.equal(slow[0]?.outcome, 'closed by client', `the tool hung up on ${slowKey}`);
    assert.deepEqual(listTree(out), [], 'nothing under the final names, no staging left');
  } finally {
    await proxy.close();
  }
}

test('s3 prefix: a failing object aborts a sibling caught mid-download (exit 3, nothing published)', { timeout: 120_000 }, () =>
  failingSibling('abort', [], '', (data) => data),
);

test('s3 prefix with a conversion: a failing object aborts a sibling caught mid-stream', { timeout: 120_000 }, () =>
  failingSibling('abortgz', ['--convert', 'gunzip'], '.gz', (data) => gzipSync(data)),
);
