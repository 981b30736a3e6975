import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeMismatch, resumeValidator } from '../../../tools/fetch-and-convert-data/resume.ts';

const first = { 'accept-ranges': 'bytes', 'content-length': '100', etag: '"v1"', 'last-modified': 'Sat, 05 Dec 2026 10:00:00 GMT' };

test('only a strong ETag, or Last-Modified without any ETag, makes a body resumable', () => {
  assert.equal(resumeValidator(first)?.ifRange, '"v1"');
  assert.equal(resumeValidator({ ...first, etag: 'W/"v1"' }), undefined, 'a weak ETag never validates a range');
  assert.equal(resumeValidator({ ...first, etag: undefined })?.ifRange, first['last-modified']);
  assert.equal(resumeValidator({ ...first, 'accept-ranges': 'none' }), undefined);
  assert.equal(resumeValidator({ ...first, 'content-length': undefined }), undefined);
  assert.equal(resumeValidator({ ...first, etag: '"v1', 'last-modified': undefined }), undefined, 'a malformed ETag is no validator');
});

test('a resumed answer is accepted only when it continues the same representation at the byte asked for', () => {
  const validator = resumeValidator(first);
  assert.ok(validator);
  const ok = { etag: '"v1"', 'content-range': 'bytes 40-99/100', 'content-length': '60' };
  assert.equal(resumeMismatch(ok, 40, validator), undefined);
  const cases: Array<[Record<string, string | undefined>, 'changed' | 'invalid', RegExp]> = [
    [{ ...ok, etag: '"v2"' }, 'changed', /ETag "v2" is not the first answer's "v1"/],
    [{ ...ok, etag: 'W/"v1"' }, 'changed', /ETag W\/"v1"/],
    [{ ...ok, etag: undefined }, 'changed', /ETag \(none\)/],
    [{ ...ok, 'last-modified': 'Sun, 06 Dec 2026 10:00:00 GMT' }, 'changed', /Last-Modified/],
    [{ ...ok, 'content-range': 'bytes 40-119/120', 'content-length': '80' }, 'changed', /total of 120 bytes/],
    [{ ...ok, 'content-range': 'bytes 0-99/100', 'content-length': '100' }, 'invalid', /bytes 0-99\/100 is not bytes 40-99\/100/],
    [{ ...ok, 'content-range': 'bytes 41-99/100', 'content-length': '59' }, 'invalid', /is not bytes 40-99/],
    [{ ...ok, 'content-range': undefined }, 'invalid', /Content-Range ""/],
    [{ ...ok, 'content-range': 'bytes 40-99/*' }, 'invalid', /Content-Range "bytes 40-99\/\*"/],
    [{ ...ok, 'content-length': '61' }, 'invalid', /Content-Length 61 does not match/],
  ];
  for (const [headers, kind, reason] of cases) {
    const mismatch = resumeMismatch(headers, 40, validator);
    assert.equal(mismatch?.kind, kind, JSON.stringify(headers));
    assert.match(mismatch?.reason ?? '', reason);
  }
  const byDate = resumeValidator({ ...first, etag: undefined });
  assert.ok(byDate);
  assert.equal(resumeMismatch({ 'last-modified': first['last-modified'], 'content-range': 'bytes 40-99/100' }, 40, byDate), undefined);
  assert.equal(resumeMismatch({ 'content-range': 'bytes 40-99/100' }, 40, byDate)?.kind, 'changed', 'no Last-Modified proves nothing');
});
