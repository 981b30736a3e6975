// Run as a child process by large.test.ts: uploads a stored (level 0) gzip of MiB mebibytes of random data
// to the moto server as a multipart object, so the test process never holds the data: a child process
// starts with its parent's resident memory as its peak, which would blur the tool's figure.
// Prints {"sourceSha256": ..., "dataSha256": ...} (the object's hash and the uncompressed data's).
// Usage: node upload-gzip-object.ts BUCKET KEY MiB
import { createHash, randomBytes } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { s3Client } from './fixtures.ts';

const [bucket, key, mib] = process.argv.slice(2) as [string, string, string];
const MiB = 1024 * 1024;
const PART = 64 * MiB;
const s3 = s3Client();
const dataHash = createHash('sha256');
const sourceHash = createHash('sha256');
const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
let pending: Buffer[] = [];
let pendingBytes = 0;
const upload = async () => {
  const body = Buffer.concat(pending);
  pending = [];
  pendingBytes = 0;
  const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: parts.length + 1, Body: body }));
  parts.push({ ETag, PartNumber: parts.length + 1 });
};
const gzip = createGzip({ level: 0 });
const feed = (async () => {
  for (let i = 0; i < Number(mib); i++) {
    const block = randomBytes(MiB);
    dataHash.update(block);
    if (!gzip.write(block)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
})();
for await (const chunk of gzip) {
  sourceHash.update(chunk as Buffer);
  pending.push(chunk as Buffer);
  pendingBytes += (chunk as Buffer).length;
  if (pendingBytes >= PART) await upload();
}
await feed;
if (pendingBytes > 0) await upload();
await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
s3.destroy();
console.log(JSON.stringify({ sourceSha256: sourceHash.digest('hex'), dataSha256: dataHash.digest('hex') }));
