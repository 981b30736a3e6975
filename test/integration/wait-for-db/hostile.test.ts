// wait-for-db against servers that misbehave on purpose, patterns that would backtrack forever and
// targets whose passwords break URL parsing: every run ends by its deadline (124), fails fast when waiting
// cannot help (3), or refuses the input (2); never exit 0 without a ready line, never a hang, never a password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { msAfterWaiting, runBundle, startTool, type RunResult } from '../../helpers/run.ts';

type Behaviour = 'close' | 'stall' | 'garbage' | 'half';

/** A TCP server on 127.0.0.1 that treats every connection the same way. */
async function faultyServer(behaviour: Behaviour): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (behaviour === 'close') socket.destroy();
    else if (behaviour === 'garbage') socket.end('\x00\xffgarbage that is no protocol\r\n\r\n');
    else if (behaviour === 'half') {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab');
      setTimeout(() => socket.destroy(), 20);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

function withTermination(): { env: NodeJS.ProcessEnv; read: () => string; path: string } {
  const path = join(tempDir('wfd-term-'), 'termination-log');
  writeFileSync(path, '');
  return { path, env: { TERMINATION_LOG_PATH: path }, read: () => readFileSync(path, 'utf8') };
}

function assertNoPassword(result: RunResult, password: string): void {
  for (const form of [password, encodeURIComponent(password), ...password.split(/[\s#/?]+/).filter((p) => p.length >= 4)]) {
    assert.ok(!result.stderr.includes(form) && !result.stdout.includes(form), `"${form}" shown: ${result.stderr.slice(0, 400)}`);
  }
}

const URLS: Record<string, (port: number) => string> = {
  postgres: (port) => `postgres://u:pw-canary-1@127.0.0.1:${port}/db`,
  'postgres TLS': (port) => `postgres://u:pw-canary-1@127.0.0.1:${port}/db?sslmode=require`,
  mysql: (port) => `mysql://u:pw-canary-1@127.0.0.1:${port}/db`,
  'mysql TLS': (port) => `mariadb://u:pw-canary-1@127.0.0.1:${port}/db?ssl-mode=REQUIRED`,
  redis: (port) => `redis://:pw-canary-1@127.0.0.1:${port}`,
  rediss: (port) => `rediss://:pw-canary-1@127.0.0.1:${port}`,
  http: (port) => `http://u:pw-canary-1@127.0.0.1:${port}/healthz`,
  https: (port) => `https://u:pw-canary-1@127.0.0.1:${port}/healthz`,
};

for (const behaviour of ['close', 'stall', 'garbage', 'half'] as const) {
  test(`a server that answers with "${behaviour}": every kind of target ends with 124 or 3 and one line (or is ready on a 200 status line)`, async () => {
    const server = await faultyServer(behaviour);
    try {
      const runs = await Promise.all(
        Object.entries(URLS).map(async ([kind, url]) => {
          const termination = withTermination();
          const result = await runBundle('wait-for-db', ['--timeout', '1500ms', '--attempt-timeout', '400ms', url(server.port)], {
            env: termination.env,
            timeoutMs: 15_000,
          });
          return { kind, result, termination: termination.read() };
        }),
      );
      for (const { kind, result, termination } of runs) {
        const label = `${behaviour} ${kind}: ${result.stderr.slice(-400)}`;
        assertNoPassword(result, 'pw-canary-1');
        // A 200 status line is the readiness answer of an HTTP target; the body it then cuts is not read.
        if (behaviour === 'half' && kind === 'http') {
          assert.equal(result.code, 0, label);
          assert.match(result.stderr, /"detail":"HTTP 200"/);
          continue;
        }
        assert.ok(result.code === 124 || result.code === 3, label);
        assert.ok(msAfterWaiting(result) < 8_000, `${label} took ${msAfterWaiting(result)} ms`);
        const errors = result.logs.filter((line) => line.level === 'error');
        assert.equal(errors.length, 1, label);
        assert.equal(termination, errors[0]?.msg, label);
        assert.doesNotMatch(String(errors[0]?.msg), /unexpected error|Please report|SSL routines|openssl/, label);
      }
    } finally {
      server.close();
    }
  });
}

test('a PostgreSQL port that accepts and closes never reads as ready (it did in about half of the runs)', async () => {
  const server = await faultyServer('close');
  try {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runBundle('wait-for-db', ['--timeout', '700ms', URLS.postgres!(server.port)], { timeoutMs: 15_000 })),
    );
    for (const result of results) {
      assert.equal(result.code, 124, result.stderr);
      assert.match(
        result.stderr,
        /deadline of 700ms reached.*last error: (Connection terminated unexpectedly|connection reset|the server closed the connection)/,
      );
    }
  } finally {
    server.close();
  }
});

test('TLS to a plain port and a reply that is not the protocol fail fast (exit 3) saying what is wrong', async () => {
  const server = await faultyServer('garbage');
  try {
    const expectations: Array<[string, RegExp]> = [
      [URLS.https!(server.port), /does not speak TLS on this port/],
      [URLS.rediss!(server.port), /does not speak TLS on this port/],
      [URLS.http!(server.port), /the answer is not HTTP/],
      [URLS.redis!(server.port), /the answer is not the Redis protocol/],
      [URLS['postgres TLS']!(server.port), /is this the PostgreSQL port/],
    ];
    for (const [url, reason] of expectations) {
      const result = await runBundle('wait-for-db', ['--timeout', '5s', url]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, reason);
      assert.ok(msAfterWaiting(result) < 2_500, `${url}: failed ${msAfterWaiting(result)} ms after it started waiting, not at once`);
    }
  } finally {
    server.close();
  }
});

test('--http-body-match runs in linear time: a pattern that backtracks forever cannot hold the deadline or SIGTERM', async () => {
  const http = createHttpServer((_req, res) => res.end(`${'a'.repeat(5_000)}!`));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
  try {
    for (const pattern of ['^(a+)+$', '^(a|aa)+$', '^(\\w+\\s?)*$', '(x+x+)+y']) {
      const result = await runBundle('wait-for-db', ['--timeout', '1s', '--http-body-match', pattern, url], { timeoutMs: 20_000 });
      assert.equal(result.code, 124, `${pattern}: ${result.stderr.slice(-300)}`);
      assert.ok(msAfterWaiting(result) < 2_000, `${pattern}: ${msAfterWaiting(result)} ms after it started waiting`);
      assert.match(result.stderr, /the body does not match/);
    }
    const waiting = startTool('wait-for-db', ['--timeout', '60s', '--http-body-match', '^(a+)+$', url]);
    await waiting.stderrMatches(/not ready/);
    (await waiting.child).kill('SIGTERM');
    const interrupted = await waiting.result;
    assert.equal(interrupted.code, 143, interrupted.stderr);
    const refused = await runBundle('wait-for-db', ['--http-body-match', '(a)\\1', url]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--http-body-match .* cannot be matched in linear time/);
  } finally {
    http.close();
  }
});

test('a body of gigabytes is not read: the status decides, or the first MiB for a body match', async () => {
  const http = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (res.write(chunk));
    };
    res.on('drain', pump);
    res.write('READY ');
    pump();
    res.on('close', () => res.off('drain', pump));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
  try {
    for (const args of [[url], ['--http-body-match', '^READY', url]]) {
      const result = await runBundle('wait-for-db', ['--timeout', '10s', ...args]);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(msAfterWaiting(result) < 5_000, `${msAfterWaiting(result)} ms after it started waiting`);
    }
  } finally {
    http.closeAllConnections();
    http.close();
  }
});

test('an --http-header with CR, LF or NUL is a usage error before any request, its value never shown', async () => {
  // NUL cannot reach argv or the environment; \x01 and DEL stand for the other control characters.
  for (const header of ['X-Token: abc\rInjected: 1', 'X-Token: tok-canary\u0001x', 'Authorization: Bearer tok-canary\u007f']) {
    const result = await runBundle('wait-for-db', ['--http-header', header, 'http://127.0.0.1:9/']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /invalid --http-header number 1 .*control character/);
    assert.ok(!result.stderr.includes('canary'), result.stderr);
  }
});

test('a target whose password breaks URL parsing is refused without showing any part of the password', async () => {
  const dir = tempDir('wfd-hostile-');
  const cases: Array<{ password: string; args?: string[]; env?: NodeJS.ProcessEnv; config?: string }> = [
    { password: 'pa#ss word-Xq', args: ['postgres://app:pa#ss word-Xq@db/x'] },
    { password: 'Lynx?Pw-5 x', args: ['postgres://app:Lynx?Pw-5 x@db/x'] },
    { password: '1234/5678', args: ['postgres://app:1234/5678@db/x'] },
    { password: 'pw#frag-Kq', args: ['redis://:pw#frag-Kq@cache:6379'] },
    { password: 'corr3ct#h0rse', env: { WAIT_FOR_DB_TARGETS: 'postgres://app:corr3ct#h0rse@db/x, redis://cache:6379' } },
    { password: 'no-host-secret', args: ['postgres://app:no-host-secret'] },
    { password: 'cfg#qz9 wrd7', config: 'targets:\n  - "postgres://app:cfg#qz9 wrd7@db/x"\n' },
  ];
  for (const { password, args = [], env = {}, config } of cases) {
    const termination = withTermination();
    const extra: string[] = [];
    if (config !== undefined) {
      writeFileSync(join(dir, 'config.yaml'), config);
      extra.push('--config', join(dir, 'config.yaml'));
    }
    const result = await runBundle('wait-for-db', ['--timeout', '1s', ...extra, ...args], { env: { ...env, ...termination.env } });
    assert.equal(result.code, 2, `${password}: ${result.stderr}`);
    assertNoPassword(result, password);
    assert.ok(!termination.read().includes(password.slice(0, 4)), termination.read());
    assert.match(result.stderr, /invalid target .*\*\*\*/);
  }
  // A space in a password given through the env list no longer cuts the target in two: it is one target.
  const spaced = await runBundle('wait-for-db', ['--timeout', '500ms'], { env: { WAIT_FOR_DB_TARGETS: 'postgres://app:correct horse@127.0.0.1:9/db' } });
  assert.equal(spaced.code, 124, spaced.stderr);
  assertNoPassword(spaced, 'correct horse');
  assert.match(spaced.stderr, /1 of 1 targets not ready/);
});
