import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkChain, deriveName, inferChain } from '../../../tools/fetch-and-convert-data/steps.ts';
import { UsageError } from '../../../tools/core/errors.ts';

test('inferChain peels compression and archive extensions and converts to the output name format', () => {
  assert.deepEqual(inferChain('users.csv.gz', 'users.ndjson', 'j'), ['gunzip', 'csv:ndjson']);
  assert.deepEqual(inferChain('models.tar.gz', undefined, 'j'), ['gunzip', 'untar']);
  assert.deepEqual(inferChain('models.tgz', undefined, 'j'), ['gunzip', 'untar']);
  assert.deepEqual(inferChain('site.zip', undefined, 'j'), ['unzip']);
  assert.deepEqual(inferChain('app.yml.zst', 'app.json', 'j'), ['zstd', 'yaml:json']);
  assert.deepEqual(inferChain('users.csv.xz', 'users.ndjson', 'j'), ['xz', 'csv:ndjson']);
  assert.deepEqual(inferChain('models.tar.xz', undefined, 'j'), ['xz', 'untar']);
  assert.deepEqual(inferChain('models.txz', undefined, 'j'), ['xz', 'untar']);
  assert.deepEqual(inferChain('plain.json', 'plain.json', 'j'), []);
  assert.deepEqual(inferChain('data.bin', 'x.csv', 'j'), []);
  assert.throws(
    () => inferChain('a.yaml', 'a.csv', 'j'),
    (e: unknown) => e instanceof UsageError && /cannot convert yaml to csv/.test(e.message),
  );
});

test('deriveName follows the chain', () => {
  assert.equal(deriveName('users.csv.gz', ['gunzip', 'csv:ndjson']), 'users.ndjson');
  assert.equal(deriveName('models.tgz', ['gunzip', 'untar']), 'models');
  assert.equal(deriveName('c.yaml', ['yaml:json']), 'c.json');
  assert.equal(deriveName('noext', ['json:yaml']), 'noext.yaml');
  assert.equal(deriveName('e.json', ['json:dotenv']), 'e.env');
});

test('checkChain rejects unknown steps, archives not last, and formats that do not follow', () => {
  assert.deepEqual(checkChain(['gunzip', 'csv:ndjson', 'ndjson:yaml'], 'j'), ['gunzip', 'csv:ndjson', 'ndjson:yaml']);
  assert.throws(() => checkChain(['gzip'], 'j'), /unknown conversion step "gzip"/);
  assert.throws(() => checkChain(['untar', 'gunzip'], 'j'), /must be the last step/);
  assert.throws(() => checkChain(['csv:json', 'ndjson:csv'], 'j'), /"ndjson:csv" reads ndjson but the step before produces json/);
  assert.throws(() => checkChain(['yaml:json', 'gunzip'], 'j'), /cannot follow a format conversion/);
});
