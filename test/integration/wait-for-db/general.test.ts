// wait-for-db behaviour that does not depend on one protocol: parallel targets, TCP/HTTP/IPv6/TLS,
// success threshold, signals and usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { runBundle, startTool } from '../../helpers/run.ts';
import { freePort, selfSignedCertificate, startPostgres, testPgUrl, testRedisUrl } from '../../helpers/services.ts';

function listen(server: Server | ReturnType<typeof createTcpServer>, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}

test('several targets are checked in parallel; the run ends when the slow one is ready', async () => {
  const port = await freePort();
  const slowUrl = `postgres://toolkit:toolkit-pass@127.0.0.1:${port}/postgres`;
  const waiting = startTool('wait-for-db', ['--timeout', '40s', testPgUrl(), testRedisUrl(), slowUrl]);
  // The fast targets are ready while the slow one is still refused; only then does it start.
  await waiting.stderrMatches(/"msg":"ready".*\n(.*\n)*.*"msg":"ready"/);
  const slow = await startPostgres({ port });
  try {
    const result = await waiting.result;
    assert.equal(result.code, 0, result.stderr);
    const readyLines = result.logs.filter((l) => l.msg === 'ready');
    assert.equal(readyLines.length, 3);
    assert.equal(readyLines.at(-1)?.target, slowUrl.replace('toolkit-pass', '***'));
  } finally {
    await slow.stop();
  }
});

test('TCP and HTTP targets on IPv6 literals, with status ranges and a body match', async () => {
  const http = createHttpServer((req, res) => {
    if (req.url === '/healthz') res.end('{"status":"ok"}');
    else if (req.url === '/starting') res.end('{"status":"starting"}');
    else res.writeHead(503).end('no');
  });
  const port = await listen(http, '::1');
  try {
    const ok = await runBundle('wait-for-db', [`tcp://[::1]:${port}`, `http://[::1]:${port}/healthz`, '--http-body-match', '"status":"ok"']);
    assert.equal(ok.code, 0, ok.stderr);
    const wrongBody = await runBundle('wait-for-db', ['--timeout', '600ms', `http://[::1]:${port}/starting`, '--http-body-match', '"status":"ok"']);
    assert.equal(wrongBody.code, 124);
    assert.match(wrongBody.stderr, /body does not match/);
    const unavailable = await runBundle('wait-for-db', ['--timeout', '600ms', `http://[::1]:${port}/other`]);
    assert.equal(unavailable.code, 124);
    assert.match(unavailable.stderr, /HTTP 503 is not an expected status/);
    const accepted = await runBundle('wait-for-db', ['--http-status', '200,500-503', `http://[::1]:${port}/other`]);
    assert.equal(accepted.code, 0, accepted.stderr);
  } finally {
    http.close();
  }
});

test('the deadline names the last real reason, not the final attempt it cut short', async () => {
  // Answers after 900 ms: the second attempt starts with ~550 ms left and is cut by the deadline; a
  // loaded machine may delay the first answer by up to ~500 ms and the cut by ~300 ms without changing that.
  const http = createHttpServer((_req, res) => setTimeout(() => res.writeHead(404).end('no'), 900));
  const port = await listen(http, '127.0.0.1');
  try {
    const args = ['--timeout', '1500ms', '--interval', '50ms', '--max-interval', '50ms', `http://127.0.0.1:${port}/ready`];
    const result = await runBundle('wait-for-db', args);
    assert.equal(result.code, 124, result.stderr);
    assert.ok(
      result.logs.some((l) => l.errorClass === 'timeout'),
      `an attempt was cut short: ${result.stderr}`,
    );
    assert.match(String(result.logs.at(-1)?.msg), /last error: HTTP 404 is not an expected status\)$/);
  } finally {
    http.close();
  }
});

test('a server that never answers takes the whole deadline in one attempt: "1 attempt", its timeout named', async () => {
  const silent = createTcpServer(() => undefined);
  const port = await listen(silent, '127.0.0.1');
  try {
    const result = await runBundle('wait-for-db', ['--timeout', '1s', `postgres://u@127.0.0.1:${port}/db`]);
    assert.equal(result.code, 124, result.stderr);
    assert.match(String(result.logs.at(-1)?.msg), /\(1 attempt, last error: no answer within \d+ms\)$/);
  } finally {
    silent.close();
  }
});

test('HTTPS with an untrusted certificate fails fast; --ca-file or an explicit --insecure-skip-verify work', async () => {
  const dir = tempDir('wfd-tls-');
  const tls = selfSignedCertificate(dir);
  const https = createHttpsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (_req, res) => res.end('ok'));
  const port = await listen(https as unknown as Server, '127.0.0.1');
  try {
    const url = `https://127.0.0.1:${port}/`;
    const untrusted = await runBundle('wait-for-db', ['--timeout', '30s', url]);
    assert.equal(untrusted.code, 3, untrusted.stderr);
    assert.match(untrusted.stderr, /TLS certificate verification failed.*--ca-file/);
    const trusted = await runBundle('wait-for-db', ['--ca-file', tls.cert, url]);
    assert.equal(trusted.code, 0, trusted.stderr);
    const insecure = await runBundle('wait-for-db', ['--insecure-skip-verify', url]);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.ok(insecure.logs.some((l) => l.level === 'warn' && /verification is disabled/.test(String(l.msg))));
  } finally {
    https.close();
  }
});

test('--success-threshold needs that many good checks in a row', async () => {
  const tcp = createTcpServer((socket) => socket.destroy());
  const port = await listen(tcp, '127.0.0.1');
  try {
    const result = await runBundle('wait-for-db', ['--success-threshold', '3', `tcp://127.0.0.1:${port}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      result.logs.filter((l) => l.msg === 'ready').map((l) => l.successes),
      [1, 2, 3],
    );
  } finally {
    tcp.close();
  }
});

test('targets and flags come from env vars and from a config file', async () => {
  const fromEnv = await runBundle('wait-for-db', [], { env: { WAIT_FOR_DB_TARGETS: `${testPgUrl()}\n${testRedisUrl()}`, WAIT_FOR_DB_TIMEOUT: '20s' } });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.equal(fromEnv.logs[0]?.timeout, '20s');
  const dir = tempDir('wfd-config-');
  const config = join(dir, 'wait.yaml');
  execFileSync('sh', ['-c', `printf 'timeout: 15s\\ntargets:\\n  - ${testPgUrl()}\\n' > ${config}`]);
  const fromFile = await runBundle('wait-for-db', ['--config', config]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.logs[0]?.timeout, '15s');
});

test('a failure that repeats is logged once, then every 10 s; each attempt only at debug level', async () => {
  const port = await freePort();
  const target = `tcp://127.0.0.1:${port}`;
  const info = await runBundle('wait-for-db', ['--timeout', '11s', target]);
  assert.equal(info.code, 124, info.stderr);
  // Not the last attempt: when the deadline leaves it a few ms, it may end "no answer within 2ms" (a new
  // reason, logged at once) before the refusal arrives, more often on a loaded machine.
  const lines = info.logs.filter((l) => l.msg === 'not ready' && l.errorClass === 'refused');
  assert.equal(lines.length, 2, `the first attempt and one ~10 s later: ${JSON.stringify(lines.map((l) => l.attempt))}`);
  const attempts = Number(/\((\d+) attempts/.exec(String(info.logs.at(-1)?.msg))?.[1]);
  assert.ok(attempts > 20, `${attempts} attempts in all, named in the final line`);

  const debug = await runBundle('wait-for-db', ['--timeout', '1s', target], { env: { LOG_LEVEL: 'debug' } });
  const everyAttempt = debug.logs.filter((l) => l.msg === 'not ready').map((l) => l.attempt);
  assert.ok(everyAttempt.length > 3, `debug: ${everyAttempt.join(',')}`);
  assert.deepEqual(
    everyAttempt,
    everyAttempt.map((_, i) => i + 1),
    'debug logs every attempt',
  );
});

test('a config file that is not valid YAML: exit 2 naming the line, without quoting the file (it may hold tokens)', async () => {
  const dir = tempDir('wfd-badcfg-');
  const path = join(dir, 'config.yaml');
  writeFileSync(path, 'http-header:\n  - "Authorization: Bearer cfg-canary-token"\n bad: [\n');
  const result = await runBundle('wait-for-db', ['--config', path]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.logs.at(-1)?.msg, `config file ${path} is not valid YAML or JSON: All mapping items must start at the same column at line 3, column 1`);
  assert.doesNotMatch(result.stderr, /cfg-canary-token/);
});

test('SIGTERM while waiting exits 143 quickly', async () => {
  const port = await freePort();
  const waiting = startTool('wait-for-db', ['--timeout', '60s', `tcp://127.0.0.1:${port}`]);
  // Signal only once the tool is waiting (its handlers are installed by then).
  await waiting.stderrMatches(/"msg":"not ready"/);
  const child = await waiting.child;
  const sent = performance.now();
  child.kill('SIGTERM');
  const result = await waiting.result;
  assert.equal(result.code, 143, result.stderr);
  assert.ok(performance.now() - sent < 1000, 'exited within a second of SIGTERM');
  assert.match(String(result.logs.at(-1)?.msg), /interrupted by SIGTERM/);
});

test('malformed URLs and flags exit 2 with one clear line', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['not a url'], /invalid target "not a url": not a URL/],
    [['mongodb://db:27017'], /unsupported scheme "mongodb:"/],
    [['tcp://host-without-port'], /a tcp target needs a host and a port/],
    [['postgres://u:pw@db/x?schema=public'], /unsupported parameter "schema"/],
    [['--timeout', 'soon', 'tcp://a:1'], /invalid value "soon" for --timeout/],
    [['--pg-qery', 'SELECT 1', 'tcp://a:1'], /unknown flag --pg-qery \(did you mean --pg-query\?\)/],
    [['--http-status', '2xx', 'http://a/'], /invalid --http-status "2xx"/],
    [[], /no target given/],
    [['redis://a:6379/x'], /the path of a redis URL is the database number/],
    [['--http-header', 'Authorization Bearer hdr-secret-token', 'http://a/'], /invalid --http-header number 1: write it as "Name: value"/],
    [['postgres://u:pa/ss#word@db:5432/x'], /invalid target "postgres:\/\/u:\*\*\*@db:5432\/x": not a URL/],
    // A typo in the "://" leaves a password that URL masking does not see.
    [['postgres//u:loose-canary@db:5432/x'], /invalid target "postgres\/\/u:\*\*\*@db:5432\/x": not a URL/],
    [['redis:/:loose-canary@cache:6379'], /invalid target "redis:\*\*\*@cache:6379": "\/\/" must follow "redis:", e.g. redis:\/\/host:port/],
    // Without "//" the rest parses as a path: libpq's default host would be waited for instead.
    [['postgres:app:loose-canary@db:5432/app'], /invalid target "postgres:\*\*\*@db:5432\/app": "\/\/" must follow "postgres:"/],
    // A "://" in the password: never registered (not a URL), so only the URL masking hides it.
    [['postgres://u:pa://loose-canary@db:5432/x'], /invalid target "postgres:\/\/u:\*\*\*@db:5432\/x": not a URL/],
    [['postgres//u:pa://loose-canary@db:5432/x'], /invalid target "postgres\/\/u:\*\*\*@db:5432\/x": not a URL/],
    [
      ['postgres://u:pw@db:5432/bad%zz'],
      /invalid target "postgres:\/\/u:\*\*\*@db:5432\/bad%zz": the database name has a "%" that does not start an escape; write it as %25/,
    ],
  ];
  for (const [args, expected] of cases) {
    const result = await runBundle('wait-for-db', args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.logs.length, 1, result.stderr);
    assert.match(String(result.logs[0]?.msg), expected);
    assert.ok(!/hdr-secret-token|pa\/ss#word|loose-canary/.test(result.stderr), result.stderr);
  }
  const typoEnv = await runBundle('wait-for-db', ['tcp://a:1'], { env: { WAIT_FOR_DB_TIMOUT: '5s' } });
  assert.equal(typoEnv.code, 2);
  assert.match(typoEnv.stderr, /unknown environment variable WAIT_FOR_DB_TIMOUT \(did you mean WAIT_FOR_DB_TIMEOUT\?\)/);
});

test('--help lists every flag with its env var; --version prints the version', async () => {
  const help = await runBundle('wait-for-db', ['--help']);
  assert.equal(help.code, 0);
  for (const needle of ['--timeout', 'WAIT_FOR_DB_TIMEOUT', '--pg-query', 'WAIT_FOR_DB_PG_QUERY', 'WAIT_FOR_DB_TARGETS', '--success-threshold']) {
    assert.ok(help.stdout.includes(needle), needle);
  }
  const version = await runBundle('wait-for-db', ['--version']);
  assert.match(version.stdout, /^wait-for-db \d+\.\d+\.\d+/);
});
