import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../../tools/core/duration.ts';

test('parseDuration reads units, compounds and plain seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('45'), 45_000);
});

test('parseDuration rejects what is not a duration', () => {
  for (const bad of ['', 'abc', '5x', '10 s', 's', '-1s', '1s2']) assert.equal(parseDuration(bad), undefined, bad);
});

test('formatDuration prints what parseDuration reads back', () => {
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(90_000), '1m30s');
  for (const ms of [250, 1500, 90_000, 120_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
});
