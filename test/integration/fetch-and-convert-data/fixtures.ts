// Shared by the fetch-and-convert-data integration tests: the tool run against the shared moto server,
// buckets with unique names, a local HTTP server the test controls, and checks that nothing was left
// under the output directory.
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine, runBundle, type RunOptions, type RunResult } from '../../helpers/run.ts';
import { testAwsEndpointUrl } from '../../helpers/services.ts';

export const TOOL = 'fetch-and-convert-data';

export function s3Client(endpoint = testAwsEndpointUrl()): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
}

/** A fresh bucket with a unique name. */
export async function makeBucket(s3: S3Client, label: string): Promise<string> {
  const bucket = `fcd-${label}-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: PutObjectCommandInput['Body'],
  extra: Partial<PutObjectCommandInput> = {},
): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
}

/** Runs the built tool with the moto endpoint (unless overridden) and JSON logs. */
export function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runBundle(TOOL, args, { timeoutMs: 120_000, ...options, env: { AWS_ENDPOINT_URL: testAwsEndpointUrl(), ...options.env } });
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every entry below dir (relative paths, sorted), hidden ones included; none when dir is gone (a failed
 *  run removes the output directory it created). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      out.push(rel);
      if (entry.isDirectory()) walk(rel);
    }
  };
  walk('');
  return out.sort();
}

/** Runs the tool on a local file holding `content`: --out DIR/out, --name NAME, --convert CHAIN. */
export async function runOnFile(
  file: string,
  content: string | Buffer,
  chain: string,
  extra: string[] = [],
  name = 'converted',
): Promise<{ out: string; result: RunResult }> {
  const dir = tempDir();
  writeFileSync(join(dir, file), content);
  const out = join(dir, 'out');
  const result = await run(['--out', out, '--name', name, '--convert', chain, ...extra, `file://${join(dir, file)}`]);
  return { out, result };
}

/** A run refused its input as the promises say: exit 4, one error line matching `message`, nothing under `out`. */
export function assertRefused(label: string, { out, result }: { out: string; result: RunResult }, message: RegExp): void {
  assert.equal(result.code, 4, `${label}: ${result.stderr.slice(0, 2000)}`);
  assert.equal(result.logs.filter((l) => l.level === 'error').length, 1, `${label}: one error line`);
  assert.match(failureLine(result).msg, message, label);
  assert.deepEqual(listTree(out), [], `${label}: nothing written`);
}

export interface TestServer {
  url: string;
  server: Server | NetServer;
  close(): Promise<void>;
}

/** Listens on a random port of 127.0.0.1; close() drops open connections first (`dropAll`). */
async function listenLocal(server: Server | NetServer, dropAll: () => void): Promise<TestServer> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        dropAll();
        server.close(() => ok());
      }),
  };
}

/** A local HTTP server on a random port that answers with `handler`. */
export async function startHttp(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
  const server = createServer(handler);
  return listenLocal(server, () => server.closeAllConnections());
}

/**
 * A local TCP server that speaks raw bytes, for answers node:http refuses to send (a body longer than
 * its Content-Length, no HTTP at all): `answer` gets each connection once its request head arrived.
 */
export async function startRawHttp(answer: (socket: Socket, requestHead: string) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) answer(socket, head);
    });
  });
  return listenLocal(server, () => {
    for (const socket of sockets) socket.destroy();
  });
}

/** Serves fixed files by path, with Content-Length, ETag and Range support. */
export function serveFiles(files: Record<string, Buffer | string>): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const body = files[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    const data = Buffer.from(body);
    const range = /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''));
    const etag = `"${sha256(data).slice(0, 16)}"`;
    if (range) {
      const start = Number(range[1]);
      response.writeHead(206, {
        'content-length': data.length - start,
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
        etag,
        'accept-ranges': 'bytes',
      });
      response.end(data.subarray(start));
      return;
    }
    response.writeHead(200, { 'content-length': data.length, etag, 'accept-ranges': 'bytes' });
    response.end(data);
  };
}
