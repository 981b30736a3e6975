// Big objects from the moto server: a 1 GiB object streamed to disk with a peak RSS far below its size,
// and a ranged download where a proxy in front of moto cuts one part mid-body (only that part is retried,
// the result is verified).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { tempDir } from '../../helpers/run.ts';
import { testAwsEndpointUrl } from '../../helpers/services.ts';
import { makeBucket, putObject, run, s3Client, sha256, startHttp } from './helpers.ts';

const MiB = 1024 * 1024;

/** Uploads `parts` parts made by `makePart` as one multipart object; returns the object's SHA-256. */
async function uploadMultipart(s3: S3Client, bucket: string, key: string, parts: number, makePart: (i: number) => Buffer): Promise<string> {
  const hash = createHash('sha256');
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const done: Array<{ ETag: string | undefined; PartNumber: number }> = [];
  for (let i = 0; i < parts; i++) {
    const body = makePart(i);
    hash.update(body);
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: body }));
    done.push({ ETag, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
  return hash.digest('hex');
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

test('a 1 GiB S3 object is streamed to disk with bounded memory and verified', { timeout: 600_000 }, async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'big');
  const block = randomBytes(MiB);
  const partSize = 64 * MiB;
  const expected = await uploadMultipart(s3, bucket, 'big.bin', 16, (i) => {
    const part = Buffer.allocUnsafe(partSize);
    for (let offset = 0; offset < partSize; offset += MiB) block.copy(part, offset);
    part.writeUInt32BE(i, 0);
    return part;
  });
  const out = tempDir();
  try {
    // 64 MiB parts, 2 in flight: the emulator reads the whole object for every ranged GET, so fewer,
    // larger parts keep the test fast; memory is bounded by part size x concurrency either way.
    const result = await run(
      ['--out', out, '--sha256', expected, '--part-size', '64MiB', '--part-concurrency', '2', '--progress-interval', '2s', `s3://${bucket}/big.bin`],
      { timeoutMs: 540_000 },
    );

    assert.equal(result.code, 0, result.stderr);
    const file = join(out, 'big.bin');
    assert.equal(statSync(file).size, 1024 * MiB);
    assert.equal(await fileSha256(file), expected);
    const summary = result.logs.find((l) => String(l.msg).startsWith('done:'));
    const peak = Number(summary?.peakRssMiB);
    // Bounded by the parts in flight, not by the object: 2 x 64 MiB parts, each held up to about three
    // times (socket buffers, the assembled part, the write queue), plus the runtime. Seen: 268-325 MiB.
    const bound = 3 * 2 * 64 + 64;
    assert.ok(peak > 0 && peak < bound, `peak RSS ${peak} MiB must stay below ${bound} MiB, far below the 1024 MiB object`);
    assert.ok(result.logs.some((l) => String(l.msg).startsWith('progress ') && typeof l.etaSec === 'number'), 'progress lines with an ETA');
  } finally {
    rmSync(out, { recursive: true, force: true });
    // The shared emulator keeps objects in memory or its temp dir: do not leave a GiB behind.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
  }
});

/** A proxy in front of moto that cuts the first response to a GET with the given Range mid-body. */
async function startCuttingProxy(upstream: string, range: string) {
  let cut = 0;
  const proxy = await startHttp((request, response) => {
    const target = new URL(request.url ?? '/', upstream);
    const forward = httpRequest(target, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      if (request.method === 'GET' && request.headers.range === range && cut === 0) {
        cut++;
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (sent > MiB) return;
          sent += chunk.length;
          response.write(chunk);
          if (sent > MiB) {
            answer.destroy();
            response.destroy();
          }
        });
        return;
      }
      answer.pipe(response);
    });
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  return { ...proxy, cuts: () => cut };
}

test('ranged download: a part cut mid-body is retried alone and the object verified', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'cut');
  const data = randomBytes(10 * MiB);
  await putObject(s3, bucket, 'parts.bin', data);
  const partSize = 4 * MiB;
  const proxy = await startCuttingProxy(testAwsEndpointUrl(), `bytes=${partSize}-${2 * partSize - 1}`);
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--part-size', '4MiB', '--part-concurrency', '2', '--sha256', sha256(data), `s3://${bucket}/parts.bin`], {
      env: { AWS_ENDPOINT_URL: proxy.url },
    });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(proxy.cuts(), 1, 'the proxy cut one response');
    const retries = result.logs.filter((l) => l.msg === 'attempt failed, retrying');
    assert.equal(retries.length, 1, JSON.stringify(retries));
    assert.match(String(retries[0]?.what), /part 2\/3$/);
    assert.equal(await fileSha256(join(out, 'parts.bin')), sha256(data));
  } finally {
    await proxy.close();
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'parts.bin' }));
  }
});
