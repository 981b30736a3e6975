// HTTP servers that misbehave on purpose, against the built tool: a resume answered by another version
// or another range (never spliced), bodies longer than announced, replies that are no HTTP, https to a
// plain port, a gzip bomb sent as Content-Encoding, a stall past the deadline, and every spelling of the
// link-local addresses, also behind redirects. Each run ends with its documented exit code, one error
// line, nothing under the final name, and no credential of the URL (basic auth, a presigned signature)
// in stdout, stderr or the termination message, in any encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine, type RunResult } from '../../helpers/run.ts';
import { listTree, run, sha256, startHttp, startRawHttp } from './fixtures.ts';

const USER = 'alice';
const PASSWORD = 'Sup3r-Secret-Pw';
const SIGNATURE = 'deadbeefcafe0123456789abcdef';

/** The URL of `base` + path with basic-auth credentials and a presigned-style signature. */
function secretUrl(base: string, path: string): string {
  const url = new URL(path, base);
  url.username = USER;
  url.password = PASSWORD;
  url.search = `?X-Amz-Signature=${SIGNATURE}&X-Amz-Credential=AKIDEXAMPLE%2F20261205`;
  return url.href;
}

interface Outcome {
  result: RunResult;
  out: string;
  termination: string;
}

async function fetchHostile(source: string, args: string[] = []): Promise<Outcome> {
  const dir = tempDir();
  const out = join(dir, 'out');
  const terminationPath = join(dir, 'termination-log');
  writeFileSync(terminationPath, '');
  // A flag given twice is refused: args' own --retries replaces the default one.
  const retries = args.includes('--retries') ? [] : ['--retries', '2'];
  const result = await run(['--out', out, '--name', 'data.bin', ...retries, ...args, source], { env: { TERMINATION_LOG_PATH: terminationPath } });
  return { result, out, termination: readFileSync(terminationPath, 'utf8') };
}

/** The promises of a failed run: the code, one error line that matches, nothing left, no secret anywhere. */
function assertFailed({ result, out, termination }: Outcome, code: number, message: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  const errors = result.logs.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1, result.stderr);
  assert.match(failureLine(result).msg, message);
  assert.doesNotMatch(failureLine(result).msg, /unexpected error/);
  assert.equal(termination.trim(), failureLine(result).msg);
  assert.deepEqual(listTree(out), [], 'nothing under the final name, no temporary file');
  assertNoSecret(`${result.stdout}\n${result.stderr}\n${termination}`);
}

function assertNoSecret(text: string): void {
  for (const secret of [PASSWORD, SIGNATURE, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), encodeURIComponent(PASSWORD)]) {
    assert.ok(!text.includes(secret), `"${secret}" leaked:\n${text.slice(0, 2000)}`);
  }
}

const V1 = Buffer.alloc(400_000, 'a');
const V2 = Buffer.alloc(400_000, 'b');
const CUT_AT = 150_000;

/**
 * A server whose first answer (200, resumable) is cut after CUT_AT bytes; the resume request (Range)
 * gets `resumed`. `first` overrides headers of the first answer. Records the Range headers it saw.
 */
async function cutThenResume(
  resumed: (request: IncomingMessage, response: ServerResponse, from: number) => void,
  first: Record<string, string | undefined> = {},
) {
  const ranges: string[] = [];
  const headers = Object.fromEntries(
    Object.entries({ 'content-length': String(V1.length), etag: '"v1"', 'accept-ranges': 'bytes', ...first }).filter(([, v]) => v !== undefined),
  );
  const server = await startHttp((request, response) => {
    const range = request.headers.range;
    if (range === undefined) {
      response.writeHead(200, headers);
      response.write(V1.subarray(0, CUT_AT), () => setTimeout(() => response.destroy(), 20));
      return;
    }
    ranges.push(range);
    resumed(request, response, Number(/bytes=(\d+)-/.exec(range)?.[1]));
  });
  return { server, ranges };
}

test('http resume: an answer from another version or another range is never spliced onto the bytes already received', async () => {
  const cases: Array<{
    label: string;
    code: number;
    message: RegExp;
    first?: Record<string, string | undefined>;
    resumed: (q: IncomingMessage, r: ServerResponse, from: number) => void;
  }> = [
    {
      label: 'another ETag',
      code: 3,
      message:
        /the resource changed while downloading \(the answer to resuming at byte \d+: its ETag "v2" is not the first answer's "v1"; nothing was kept\); run again/,
      resumed: (_q, r, from) =>
        r
          .writeHead(206, { etag: '"v2"', 'content-range': `bytes ${from}-${V2.length - 1}/${V2.length}`, 'content-length': V2.length - from })
          .end(V2.subarray(from)),
    },
    {
      label: 'another Last-Modified (no ETag)',
      code: 3,
      first: { etag: undefined, 'last-modified': 'Sat, 05 Dec 2026 10:00:00 GMT' },
      message: /its Last-Modified Sun, 06 Dec 2026 10:00:00 GMT is not the first answer's/,
      resumed: (_q, r, from) =>
        r
          .writeHead(206, { 'last-modified': 'Sun, 06 Dec 2026 10:00:00 GMT', 'content-range': `bytes ${from}-${V2.length - 1}/${V2.length}` })
          .end(V2.subarray(from)),
    },
    {
      label: 'another total',
      code: 3,
      message: /its Content-Range has a total of 500000 bytes, the first answer had 400000/,
      resumed: (_q, r, from) =>
        r
          .writeHead(206, { etag: '"v1"', 'content-range': `bytes ${from}-499999/500000`, 'content-length': 500_000 - from })
          .end(Buffer.alloc(500_000 - from, 'c')),
    },
    {
      label: 'a range that starts elsewhere',
      code: 4,
      message:
        /the server's resumed answer is not the range asked for \(the answer to resuming at byte \d+: its Content-Range bytes 0-399999\/400000 is not bytes \d+-399999\/400000/,
      resumed: (_q, r) => r.writeHead(206, { etag: '"v1"', 'content-range': `bytes 0-${V1.length - 1}/${V1.length}`, 'content-length': V1.length }).end(V1),
    },
    {
      label: 'a 200 with the whole resource',
      code: 3,
      message: /the resource changed while downloading .*the server answered 200/,
      resumed: (_q, r) => r.writeHead(200, { etag: '"v2"', 'content-length': V2.length }).end(V2),
    },
  ];
  for (const { label, code, message, first, resumed } of cases) {
    const { server, ranges } = await cutThenResume(resumed, first);
    try {
      const outcome = await fetchHostile(secretUrl(server.url, '/data.bin'));
      assert.equal(ranges.length, 1, `${label}: one resume was tried`);
      assertFailed(outcome, code, message);
    } finally {
      await server.close();
    }
  }
});

test('http resume: a weak ETag never validates a range, so a cut body is not resumed (exit 3)', async () => {
  const { server, ranges } = await cutThenResume((_q, r) => r.writeHead(500).end(), { etag: 'W/"v1"' });
  try {
    const outcome = await fetchHostile(secretUrl(server.url, '/data.bin'));
    assert.deepEqual(ranges, []);
    assertFailed(outcome, 3, /transfer cut after 150000 bytes and the server does not support resuming safely/);
  } finally {
    await server.close();
  }
});

test('http: a body longer than its Content-Length (first answer or resumed one) fails with exit 4, not cut and accepted', async () => {
  const longer = await startRawHttp((socket) =>
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello, and more bytes than announced'),
  );
  try {
    assertFailed(await fetchHostile(secretUrl(longer.url, '/f')), 4, /the server sent more than the 5 bytes it announced \(Content-Length\)/);
  } finally {
    await longer.close();
  }
  const resumedLonger = await startRawHttp((socket, request) => {
    const from = Number(/range: bytes=(\d+)-/i.exec(request)?.[1] ?? -1);
    if (from < 0) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nETag: "v1"\r\nAccept-Ranges: bytes\r\n\r\n');
      socket.end(Buffer.alloc(40, 'a'));
      return;
    }
    socket.end(
      `HTTP/1.1 206 Partial Content\r\nContent-Length: ${100 - from}\r\nContent-Range: bytes ${from}-99/100\r\nETag: "v1"\r\n\r\n${'a'.repeat(100 - from)}${'x'.repeat(50)}`,
    );
  });
  try {
    assertFailed(await fetchHostile(secretUrl(resumedLonger.url, '/f')), 4, /the server sent more than the 100 bytes it announced/);
  } finally {
    await resumedLonger.close();
  }
});

test('http: a reply that is no HTTP, or breaks HTTP framing, is exit 3 naming the URL, not exit 1', async () => {
  const replies: Array<[string, string]> = [
    ['garbage bytes', '\u0000\u0001\u0002 garbage, not a status line\r\n\r\n'],
    ['two Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ];
  for (const [label, reply] of replies) {
    const server = await startRawHttp((socket) => socket.end(reply));
    try {
      const outcome = await fetchHostile(secretUrl(server.url, '/f'));
      assert.ok(outcome.result.code === 3, `${label}: ${outcome.result.stderr}`);
      assertFailed(outcome, 3, /http:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\/f\?X-Amz-Signature=\*\*\*.*(not valid HTTP|transfer cut)/);
    } finally {
      await server.close();
    }
  }
});

test('https:// to a plain-HTTP port is exit 3 with the fix (use http://), not exit 1', async () => {
  const server = await startHttp((_q, r) => r.end('plain'));
  try {
    const outcome = await fetchHostile(secretUrl(server.url.replace('http:', 'https:'), '/f'));
    assertFailed(outcome, 3, /TLS handshake failed: the server does not speak TLS on this port \(use http:\/\/ if it is plain HTTP\)/);
  } finally {
    await server.close();
  }
});

test('http: a gzip bomb sent as Content-Encoding is not inflated on the way; with --convert gunzip --max-ratio stops it (exit 4)', async () => {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  const server = await startHttp((_q, r) => r.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb));
  try {
    const raw = await fetchHostile(`${server.url}/bomb`);
    assert.equal(raw.result.code, 0, raw.result.stderr);
    assert.equal(sha256(readFileSync(join(raw.out, 'data.bin'))), sha256(bomb), 'the bytes served, as served');
    assertFailed(await fetchHostile(secretUrl(server.url, '/bomb'), ['--convert', 'gunzip']), 4, /above --max-ratio 200: a decompression bomb\?/);
  } finally {
    await server.close();
  }
});

test('http: a body that stalls midway ends at the deadline (exit 124), the partial file removed, no secret shown', async () => {
  const server = await startHttp((_q, r) => {
    r.writeHead(200, { 'content-length': 1_000_000, etag: '"v1"', 'accept-ranges': 'bytes' });
    r.write(Buffer.alloc(300_000, 1));
  });
  try {
    const started = performance.now();
    const outcome = await fetchHostile(secretUrl(server.url, '/slow'), ['--timeout', '2s']);
    assert.ok(performance.now() - started < 15_000, 'the deadline wins');
    assertFailed(outcome, 124, /not done within --timeout 2s/);
  } finally {
    await server.close();
  }
});

const LINK_LOCAL_SPELLINGS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://2852039166/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://0251.0376.0251.0376/',
  'http://169.254.43518/',
  'http://[::169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[::ffff:169.254.170.23]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::a9fe:a9fe]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://[fe80::1]/',
  'http://[fd00:ec2::254]/',
];

test('link-local addresses in every spelling are refused (exit 4) as the source and behind a redirect, before connecting', async () => {
  for (const target of LINK_LOCAL_SPELLINGS) {
    const direct = await fetchHostile(target, ['--retries', '0']);
    assertFailed(direct, 4, /resolves to the link-local address .* refused: pass --allow-link-local/);
  }
  const server = await startHttp((request, response) => {
    const target = LINK_LOCAL_SPELLINGS[Number(new URL(request.url ?? '/', 'http://localhost').pathname.slice(1))] ?? '';
    response.writeHead(302, { location: target }).end();
  });
  try {
    for (const [index] of LINK_LOCAL_SPELLINGS.entries()) {
      const redirected = await fetchHostile(secretUrl(server.url, `/${index}`), ['--retries', '0']);
      assertFailed(
        redirected,
        4,
        /\(redirected from http:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\/\d+\?X-Amz-Signature=\*\*\*.*\) resolves to the link-local address/,
      );
    }
  } finally {
    await server.close();
  }
});

test('http: a redirect to file:// and endless redirects fail with one line and no secret', async () => {
  const server = await startHttp((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/file') response.writeHead(302, { location: 'file:///etc/passwd' }).end();
    else response.writeHead(302, { location: `/loop${Number(path.slice(5)) + 1}` }).end();
  });
  try {
    assertFailed(await fetchHostile(secretUrl(server.url, '/file')), 2, /redirect to scheme "file:" refused/);
    assertFailed(await fetchHostile(secretUrl(server.url, '/loop0')), 3, /more than --max-redirects 5 redirects/);
  } finally {
    await server.close();
  }
});

test('http: informational answers (103 Early Hints) before the real one are not taken for body bytes; exact bodies pass', async () => {
  const server = await startRawHttp((socket) => {
    socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
  });
  try {
    const outcome = await fetchHostile(`${server.url}/f`);
    assert.equal(outcome.result.code, 0, outcome.result.stderr);
    assert.equal(readFileSync(join(outcome.out, 'data.bin'), 'utf8'), 'hello');
  } finally {
    await server.close();
  }
});

test('http: a chunked body or an announced size past --max-source-bytes is exit 4 on the stream, nothing left', async () => {
  const server = await startHttp((request, response) => {
    if (request.url?.startsWith('/announced')) {
      response.writeHead(200, { 'content-length': 5 * 1024 * 1024 }).end(Buffer.alloc(5 * 1024 * 1024));
      return;
    }
    response.writeHead(200, { 'transfer-encoding': 'chunked' });
    for (let i = 0; i < 40; i++) response.write(Buffer.alloc(64 * 1024, 1));
    response.end();
  });
  try {
    assertFailed(await fetchHostile(secretUrl(server.url, '/chunked'), ['--max-source-bytes', '1MiB']), 4, /more than --max-source-bytes 1\.00 MiB received/);
    assertFailed(
      await fetchHostile(secretUrl(server.url, '/announced'), ['--max-source-bytes', '1MiB']),
      4,
      /size 5\.00 MiB exceeds --max-source-bytes 1\.00 MiB/,
    );
  } finally {
    await server.close();
  }
});
