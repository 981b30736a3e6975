// --sha256-from: the data is accepted only when it matches the SHA-256 a published checksum file lists
// for it (sha256sum, BSD and sidecar formats), from a real HTTP server, moto's S3 and a local file; a
// wrong, missing or ambiguous listing fails the job with nothing written.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { makeBucket, putObject, run, s3Client, serveFiles, sha256, startHttp, type TestServer } from './fixtures.ts';

const DATA = 'id,name\n1,ada\n2,bob\n';
const OTHER = 'something else\n';
const HASH = sha256(DATA);
let server: TestServer;

before(async () => {
  server = await startHttp(
    serveFiles({
      '/releases/users.csv': DATA,
      '/releases/SHA256SUMS': `${sha256(OTHER)}  other.csv\n${HASH}  users.csv\n`,
      '/releases/SHA256SUMS.paths': `${sha256(OTHER)} *./dist/other.csv\n${HASH} *./dist/users.csv\n`,
      '/releases/CHECKSUMS.bsd': `SHA256 (other.csv) = ${sha256(OTHER)}\nSHA256 (users.csv) = ${HASH.toUpperCase()}\n`,
      '/releases/users.csv.sha256': `${HASH}\n`,
      '/releases/WRONG': `${sha256(OTHER)}  users.csv\n`,
      '/releases/MISSING': `${sha256(OTHER)}  other.csv\n`,
      '/releases/TWICE': `${HASH}  users.csv\n${sha256(OTHER)}  old/users.csv\n`,
      '/releases/NOT-A-LIST': '<html>not found</html>\n',
      '/releases/HUGE': `${'#'.repeat(1024 * 1024 + 10)}\n`,
    }),
  );
});
after(() => server?.close());

function fetchWith(from: string, extra: string[] = []): Promise<{ out: string; result: Awaited<ReturnType<typeof run>> }> {
  const out = tempDir('sha256-from-');
  return run(['--out', out, '--sha256-from', from, ...extra, `${server.url}/releases/users.csv`]).then((result) => ({ out, result }));
}

describe('--sha256-from', () => {
  for (const [what, file] of [
    ['a sha256sum file', 'SHA256SUMS'],
    ['a sha256sum file with paths and binary marks', 'SHA256SUMS.paths'],
    ['a BSD-style file (upper-case hex)', 'CHECKSUMS.bsd'],
    ['a .sha256 sidecar with only the hash', 'users.csv.sha256'],
  ]) {
    test(`accepts the source when ${what} lists its SHA-256`, async () => {
      const { out, result } = await fetchWith(`${server.url}/releases/${file}`);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(existsSync(join(out, 'users.csv')));
      assert.ok(result.logs.some((l) => l.msg === `SHA-256 of users.csv from ${server.url}/releases/${file}` && l.sha256 === HASH));
    });
  }

  const refused: Array<[string, string, number, RegExp]> = [
    ['the listed hash differs (a swapped or corrupt download)', 'WRONG', 4, /sha256 mismatch|SHA-256|does not match/i],
    ['no line names the file', 'MISSING', 4, /has no line for users\.csv \(it lists other\.csv\)/],
    ['the file is listed twice with different hashes', 'TWICE', 4, /lists users\.csv 2 times with different hashes/],
    ['it is no checksum file', 'NOT-A-LIST', 4, /is not a checksum file: expected "HEX {2}NAME" lines/],
    ['it is too large', 'HUGE', 4, /is larger than 1048576 bytes/],
    ['it does not exist (HTTP 404)', 'NOPE', 3, /404/],
  ];
  for (const [what, file, code, message] of refused) {
    test(`fails (exit ${code}) and writes nothing when ${what}`, async () => {
      const { out, result } = await fetchWith(`${server.url}/releases/${file}`);
      assert.equal(result.code, code, result.stderr);
      assert.match(failureLine(result).msg, message);
      assert.equal(existsSync(join(out, 'users.csv')), false);
    });
  }

  test('from S3 (moto) and from a local file, for an S3 source in a config file job', async () => {
    const s3 = s3Client();
    const bucket = await makeBucket(s3, 'sums');
    await putObject(s3, bucket, 'exports/users.csv', DATA);
    await putObject(s3, bucket, 'exports/SHA256SUMS', `${HASH}  users.csv\n`);
    const dir = tempDir('sha256-from-file-');
    writeFileSync(join(dir, 'SHA256SUMS'), `${HASH}  users.csv\n`);
    for (const from of [`s3://${bucket}/exports/SHA256SUMS`, `file://${join(dir, 'SHA256SUMS')}`]) {
      const out = tempDir('sha256-from-s3-');
      const config = join(dir, 'jobs.yaml');
      writeFileSync(config, `jobs:\n  - source: s3://${bucket}/exports/users.csv\n    sha256-from: ${from}\n`);
      const result = await run(['--out', out, '--config', config]);
      assert.equal(result.code, 0, `${from}: ${result.stderr}`);
      assert.ok(existsSync(join(out, 'users.csv')));
    }
    s3.destroy();
  });

  test('usage errors before any download: with --sha256, or on a prefix', async () => {
    const both = await fetchWith(`${server.url}/releases/SHA256SUMS`, ['--sha256', HASH]);
    assert.equal(both.result.code, 2);
    assert.match(failureLine(both.result).msg, /give --sha256 or --sha256-from, not both/);
    const prefix = await run(['--out', tempDir(), '--sha256-from', `${server.url}/releases/SHA256SUMS`, 's3://some-bucket/exports/']);
    assert.equal(prefix.code, 2);
    assert.match(failureLine(prefix).msg, /cannot check an S3 prefix/);
  });
});
