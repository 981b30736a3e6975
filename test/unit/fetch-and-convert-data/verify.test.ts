import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { Logger } from '../../../tools/core/log.ts';
import { Verifier, VerifyStream, type Expectations } from '../../../tools/fetch-and-convert-data/verify.ts';

const log = new Logger({ tool: 'test', write: () => {} });
const data = Buffer.from('some bytes to verify\n');

async function verify(expect: Partial<Expectations>) {
  const stream = new VerifyStream(new Verifier('src', { maxBytes: 1024, ...expect }, log, 60_000));
  await pipeline(Readable.from([data]), stream, new Writable({ write: (_c, _e, cb) => cb() }));
  return stream.result;
}

const b64 = (algorithm: string) => createHash(algorithm).update(data).digest('base64');
const crc = () => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(crc32(data));
  return buffer.toString('base64');
};

test('S3 checksums (sha256, sha1, crc32) are recomputed on the stream', async () => {
  assert.equal((await verify({ remote: { algorithm: 'sha256', base64: b64('sha256') } }))?.remoteChecked, 's3 sha256');
  assert.equal((await verify({ remote: { algorithm: 'sha1', base64: b64('sha1') } }))?.remoteChecked, 's3 sha1');
  assert.equal((await verify({ remote: { algorithm: 'crc32', base64: crc() } }))?.remoteChecked, 's3 crc32');
  await assert.rejects(verify({ remote: { algorithm: 'sha256', base64: b64('sha1') } }), /S3 checksum sha256 mismatch/);
  await assert.rejects(verify({ remote: { algorithm: 'crc32', base64: 'AAAAAA==' } }), /S3 checksum crc32 mismatch/);
});

test('expected hashes, announced size and the source size limit', async () => {
  const sha512 = createHash('sha512').update(data).digest('hex');
  assert.equal((await verify({ sha512 }))?.sha512, sha512);
  await assert.rejects(verify({ sha512: '0'.repeat(128) }), /SHA-512 mismatch/);
  await assert.rejects(verify({ size: data.length + 1 }), /received \d+ bytes, the source announced/);
  await assert.rejects(verify({ maxBytes: 4 }), /more than --max-source-bytes/);
  assert.throws(() => new Verifier('src', { maxBytes: 4, size: 5 }, log, 60_000), /exceeds --max-source-bytes/);
});

test('progress lines run only from the first byte to close(): a job that fails before any transfer leaves no timer', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const lines: string[] = [];
  const counting = new Logger({ tool: 'test', write: (line: string) => void lines.push(line) });
  const progress = () => lines.filter((line) => line.includes('progress ')).length;
  const idle = new Verifier('idle', { maxBytes: 1024 }, counting, 1000);
  t.mock.timers.tick(5000);
  assert.equal(progress(), 0, 'nothing before the first byte');
  const busy = new Verifier('busy', { maxBytes: 1024 }, counting, 1000);
  busy.update(data);
  t.mock.timers.tick(1000);
  assert.equal(progress(), 1, 'a line per interval once bytes flow');
  busy.finish();
  t.mock.timers.tick(5000);
  assert.equal(progress(), 1, 'none after finish');
  idle.close();
});
