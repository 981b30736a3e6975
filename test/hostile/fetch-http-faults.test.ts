// fetch-and-convert-data against HTTP servers that lie: Content-Length longer or shorter than the body, an
// ETag that changes between a cut response and its resume, a 206 with a wrong Content-Range, malformed
// framing, stalls, bodies dripping past the deadline, redirect loops. Each fails with its documented class,
// one line naming the source, and leaves the previous result in --out untouched.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { prepareOldFetchOutput, type OldFetchOutput } from './lib/fetch-old-output.ts';
import { responseHead, startRawHttp, type RawRequest } from './lib/raw-http.ts';
import { assertFailure, runHostile } from './lib/run-hostile.ts';

const BODY = Buffer.from('0123456789abcdef'.repeat(256)); // 4 KiB
const HALF = BODY.length / 2;
const sha256 = createHash('sha256').update(BODY).digest('hex');
const fetchArgs = ['--retries', '2', '--read-timeout', '500ms', '--timeout', '4s', '--name', 'data.bin'];

type Responder = (socket: Socket, request: RawRequest, attempt: number) => void;

/** A first answer cut after half the body, announcing what a resume needs. */
const cutWithResume =
  (etag: string): Responder =>
  (socket) =>
    socket.end(Buffer.concat([Buffer.from(responseHead('200 OK', { 'content-length': BODY.length, 'accept-ranges': 'bytes', etag })), BODY.subarray(0, HALF)]));

const faults: Array<{ name: string; codes: number[]; respond: Responder; extra?: string[] }> = [
  {
    name: 'Content-Length longer than the body, no resume support',
    codes: [3],
    respond: (socket) => socket.end(Buffer.concat([Buffer.from(responseHead('200 OK', { 'content-length': BODY.length * 2 })), BODY])),
  },
  {
    name: 'Content-Length longer than the body on every attempt, resume announced',
    codes: [3],
    respond: (socket, request) => {
      const from = Number(/bytes=(\d+)-/.exec(request.headers.range ?? '')?.[1] ?? 0);
      const status = from > 0 ? '206 Partial Content' : '200 OK';
      const range: Record<string, string> = from > 0 ? { 'content-range': `bytes ${from}-${BODY.length * 2 - 1}/${BODY.length * 2}` } : {};
      socket.end(
        Buffer.concat([
          Buffer.from(responseHead(status, { 'content-length': BODY.length * 2 - from, 'accept-ranges': 'bytes', etag: '"v1"', ...range })),
          BODY.subarray(0, 100),
        ]),
      );
    },
  },
  {
    name: 'Content-Length shorter than the bytes sent (the rest never verified)',
    codes: [4],
    respond: (socket) => socket.end(Buffer.concat([Buffer.from(responseHead('200 OK', { 'content-length': HALF })), BODY])),
    extra: ['--sha256', sha256],
  },
  {
    name: 'ETag changed between the cut response and the resume',
    codes: [3],
    respond: (socket, request, attempt) => {
      if (attempt === 1) return cutWithResume('"v1"')(socket, request, attempt);
      const rest = Buffer.from('X'.repeat(BODY.length - HALF));
      socket.end(
        Buffer.concat([
          Buffer.from(
            responseHead('206 Partial Content', {
              'content-length': rest.length,
              etag: '"v2"',
              'content-range': `bytes ${HALF}-${BODY.length - 1}/${BODY.length}`,
            }),
          ),
          rest,
        ]),
      );
    },
  },
  {
    name: '206 whose Content-Range starts at 0 instead of the resume offset',
    codes: [3, 4],
    respond: (socket, request, attempt) => {
      if (attempt === 1) return cutWithResume('"v1"')(socket, request, attempt);
      const wrong = BODY.subarray(0, BODY.length - HALF);
      socket.end(
        Buffer.concat([
          Buffer.from(
            responseHead('206 Partial Content', {
              'content-length': wrong.length,
              etag: '"v1"',
              'content-range': `bytes 0-${wrong.length - 1}/${BODY.length}`,
            }),
          ),
          wrong,
        ]),
      );
    },
  },
  {
    name: '206 whose Content-Range announces another total size',
    codes: [3, 4],
    respond: (socket, request, attempt) => {
      if (attempt === 1) return cutWithResume('"v1"')(socket, request, attempt);
      const rest = BODY.subarray(HALF);
      socket.end(
        Buffer.concat([
          Buffer.from(
            responseHead('206 Partial Content', {
              'content-length': rest.length,
              etag: '"v1"',
              'content-range': `bytes ${HALF}-${BODY.length - 1}/${BODY.length * 3}`,
            }),
          ),
          rest,
        ]),
      );
    },
  },
  {
    name: '206 without any Content-Range',
    codes: [3, 4],
    respond: (socket, request, attempt) => {
      if (attempt === 1) return cutWithResume('"v1"')(socket, request, attempt);
      const rest = BODY.subarray(HALF);
      socket.end(Buffer.concat([Buffer.from(responseHead('206 Partial Content', { 'content-length': rest.length, etag: '"v1"' })), rest]));
    },
  },
  {
    name: 'two different Content-Length headers',
    codes: [3],
    respond: (socket) => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: 10\r\ncontent-length: 20\r\n\r\n${'x'.repeat(20)}`),
  },
  {
    name: 'a negative Content-Length',
    codes: [3],
    respond: (socket) => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: -5\r\n\r\nxxxxx`),
  },
  {
    name: 'a chunked body with a malformed chunk size',
    codes: [3],
    respond: (socket) => socket.end(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\nZZ\r\nxx\r\n0\r\n\r\n`),
  },
  {
    name: 'a chunked body cut before its last chunk',
    codes: [3],
    respond: (socket) => socket.end(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n10\r\nabc`),
  },
  {
    name: 'garbage instead of an HTTP response',
    codes: [3],
    respond: (socket) => socket.end(Buffer.from('\x00\xffSSH-2.0-OpenSSH\r\n\x1b[2J')),
  },
  {
    name: 'a response head of 200 KiB',
    codes: [3],
    respond: (socket) => socket.end(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(200 * 1024)}\r\ncontent-length: 2\r\n\r\nok`),
  },
  {
    name: 'a stall before the response head (read timeout, retried, exhausted)',
    codes: [3, 124],
    respond: () => undefined,
  },
  {
    name: 'a redirect loop between two paths',
    codes: [3],
    respond: (socket, request) => socket.end(responseHead('302 Found', { location: request.path === '/a' ? '/b' : '/a', 'content-length': 0 })),
  },
  {
    name: 'a redirect to itself',
    codes: [3],
    respond: (socket, request) => socket.end(responseHead('301 Moved Permanently', { location: request.path, 'content-length': 0 })),
  },
  {
    name: 'a 302 without a Location',
    codes: [3],
    respond: (socket) => socket.end(responseHead('302 Found', { 'content-length': 0 })),
  },
];

describe('fetch-and-convert-data against lying HTTP servers', { concurrency: 4 }, () => {
  let old: OldFetchOutput;
  before(async () => {
    old = await prepareOldFetchOutput();
  });

  for (const { name, codes, respond, extra = [] } of faults) {
    test(`${name}: exit ${codes.join(' or ')}, one line naming the source, previous result kept`, async () => {
      const server = await startRawHttp(respond);
      try {
        const out = old.copy();
        const source = server.url('/a');
        const run = await runHostile('fetch-and-convert-data', ['--out', out, ...fetchArgs, ...extra, source]);
        assertFailure(run, codes, [`127.0.0.1:${server.port}`]);
        old.assertKept(out);
      } finally {
        await server.close();
      }
    });
  }

  test('a body dripping one byte per 100 ms past --timeout: exit 124 on time, previous result kept', async () => {
    const server = await startRawHttp((socket) => {
      socket.write(responseHead('200 OK', { 'content-length': BODY.length }));
      const timer = setInterval(() => socket.write('x'), 100);
      socket.on('close', () => clearInterval(timer));
    });
    try {
      const out = old.copy();
      const run = await runHostile('fetch-and-convert-data', ['--out', out, '--timeout', '1500ms', '--name', 'data.bin', server.url('/drip')], {
        timeoutMs: 10_000,
      });
      assertFailure(run, 124, [`127.0.0.1:${server.port}`]);
      // The whole body takes 400 s to drip: only the deadline ends the run this early (start included, which
      // a loaded machine stretches by seconds).
      assert.ok(run.durationMs < 8000, `ended ${Math.round(run.durationMs)} ms after start`);
      old.assertKept(out);
    } finally {
      await server.close();
    }
  });
});
