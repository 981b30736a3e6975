import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../tools/core/errors.ts';
import { bucketNameProblem, parseS3Url } from '../../../tools/fetch-and-convert-data/s3-url.ts';

test('bucket names follow the S3 rules', () => {
  for (const bucket of ['abc', 'my-bucket.v2', 'a'.repeat(63), '1bucket']) assert.equal(bucketNameProblem(bucket), undefined, bucket);
  for (const bucket of [
    '..',
    '.',
    'ab',
    'a'.repeat(64),
    'Bucket',
    'a..b',
    'a_b',
    '-ab',
    'ab-',
    '.ab',
    '192.168.1.1',
    'xn--abc',
    'sthree-x',
    'abc-s3alias',
    'abc--ol-s3',
    'a b',
    'a%2fb',
  ]) {
    assert.ok(bucketNameProblem(bucket), bucket);
  }
});

test('parseS3Url reads the bucket and key as written: no dot segments, no bad escapes, no invalid bucket', () => {
  assert.deepEqual(parseS3Url('s3://bucket/a%20b/c%23d.csv', 's3://bucket/...', 'job 1'), { bucket: 'bucket', key: 'a b/c#d.csv' });
  assert.deepEqual(parseS3Url('s3://bucket/prefix/', 's', 'job 1'), { bucket: 'bucket', key: 'prefix/' });
  assert.deepEqual(parseS3Url('s3://bucket', 's', 'job 1'), { bucket: 'bucket', key: '' });
  const rejected: Array<[string, RegExp]> = [
    ['s3://../x', /"\.\." in .* is not a valid S3 bucket name/],
    ['s3://a..b/x', /not a valid S3 bucket name \(a bucket name has no two adjacent dots\)/],
    ['s3:///x', /has no bucket/],
    ['s3://bucket/a/../x', /"\." or "\.\." segment/],
    ['s3://bucket/a/%2e%2e/x', /"\." or "\.\." segment/],
    ['s3://bucket/./x', /"\." or "\.\." segment/],
    ['s3://bucket/a/%zz', /"%" escape that does not decode/],
    ['s3://bucket/a/%ff%fe', /"%" escape that does not decode to UTF-8 text/],
    [`s3://bucket/${'k'.repeat(1025)}`, /longer than S3's 1024 bytes/],
  ];
  for (const [url, message] of rejected) {
    assert.throws(
      () => parseS3Url(url, url, 'job 1'),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      url,
    );
  }
});
