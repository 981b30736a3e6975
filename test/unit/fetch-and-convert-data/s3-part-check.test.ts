import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRemoteError, InvalidInputError } from '../../../tools/core/errors.ts';
import { partMismatch } from '../../../tools/fetch-and-convert-data/s3-source.ts';
import { splitParts } from '../../../tools/fetch-and-convert-data/s3-parts.ts';

const object = { bucket: 'b', key: 'k', etag: '"e1"', versionId: 'v1', size: 300, parts: splitParts(300, 100) };

test('a part is joined only when it is the version and the range asked for', () => {
  assert.equal(partMismatch({ ETag: '"e1"', VersionId: 'v1', ContentRange: 'bytes 100-199/300', ContentLength: 100 }, object, 100, 199), undefined);
  const changed: Array<Record<string, unknown>> = [
    { ETag: '"e2"', ContentRange: 'bytes 100-199/300', ContentLength: 100 },
    { ETag: '"e1"', VersionId: 'v2', ContentRange: 'bytes 100-199/300', ContentLength: 100 },
    { ETag: '"e1"', ContentRange: 'bytes 100-199/400', ContentLength: 100 },
  ];
  for (const output of changed) {
    const error = partMismatch(output, object, 100, 199);
    assert.ok(error instanceof FatalRemoteError && /s3:\/\/b\/k: the object changed while downloading/.test(error.message), JSON.stringify(output));
  }
  const wrong: Array<Record<string, unknown>> = [
    { ETag: '"e1"', ContentRange: 'bytes 0-99/300', ContentLength: 100 },
    { ETag: '"e1"', ContentRange: 'bytes 100-149/300', ContentLength: 50 },
    { ETag: '"e1"', ContentLength: 100 },
    { ETag: '"e1"', ContentRange: 'bytes 100-199/300', ContentLength: 120 },
  ];
  for (const output of wrong) {
    const error = partMismatch(output, object, 100, 199);
    assert.ok(error instanceof InvalidInputError && /s3:\/\/b\/k: S3 answered/.test(error.message), JSON.stringify(output));
  }
});

test('a single-part object needs no Content-Range, but its length must match', () => {
  const single = { ...object, size: 50, parts: splitParts(50, 100) };
  assert.equal(partMismatch({ ETag: '"e1"', ContentLength: 50 }, single, 0, 49), undefined);
  assert.ok(partMismatch({ ETag: '"e1"', ContentLength: 60 }, single, 0, 49) instanceof InvalidInputError);
  const empty = { ...object, size: 0, parts: splitParts(0, 100) };
  assert.equal(partMismatch({ ETag: '"e1"', ContentLength: 0 }, empty, 0, -1), undefined);
});
