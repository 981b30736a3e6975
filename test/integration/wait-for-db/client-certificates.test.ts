// TLS client certificates (mTLS) on real servers: a PostgreSQL whose role certuser logs in with a
// certificate only (pg_hba `cert`), a Redis with tls-auth-clients yes, and a node:https server that requests
// and verifies client certificates, all trusting the test CA only. The right certificate is ready; none, or
// one from another CA, is exit 3 well before the deadline; misuse is exit 2; the key is never shown.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import {
  certificateAuthority,
  freePort,
  issueCertificate,
  startPostgres,
  startRedis,
  type PrivatePostgres,
  type PrivateServer,
  type TestCertificate,
} from '../../helpers/services.ts';
import { assertNeverShown, waitForDb, type WaitRun } from './fixtures.ts';

/** A refusal must end the run at once, not at this deadline. */
const DEADLINE = '30s';
const FAST_MS = 5_000;

let dir: string;
let ca: TestCertificate;
let serverCertificate: TestCertificate;
let client: TestCertificate;
/** CN certuser as well, but signed by a CA no server here trusts. */
let foreign: TestCertificate;
/** The client key's PEM body and its lines: none may show in any output. */
let keyForms: string[];

before(() => {
  dir = tempDir('wfd-mtls-');
  ca = certificateAuthority(dir, 'test-ca');
  serverCertificate = issueCertificate(ca, dir, 'localhost', 'server');
  client = issueCertificate(ca, dir, 'certuser', 'client');
  foreign = issueCertificate(certificateAuthority(dir, 'other-ca'), dir, 'certuser', 'client');
  const body = readFileSync(client.key, 'utf8')
    .replace(/-----[A-Z ]+-----/g, '')
    .trim();
  keyForms = [body, ...body.split('\n')];
});

const wait = (args: string[], env: Record<string, string> = {}): Promise<WaitRun> => waitForDb(dir, DEADLINE, ['--ca-file', ca.cert, ...args], env);
const withCertificate = (certificate: TestCertificate): string[] => ['--cert-file', certificate.cert, '--key-file', certificate.key];

const assertKeyNeverShown = (run: WaitRun): void => assertNeverShown(run, keyForms[0]!, ...keyForms.slice(1));

function assertReady(run: WaitRun): void {
  assert.equal(run.code, 0, run.stderr);
  assertKeyNeverShown(run);
}

/** Exit 2 before any connection, the last line matching `message`. */
function assertMisuse(run: WaitRun, message: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  assert.match(failureLine(run).msg, message);
  assertKeyNeverShown(run);
}

/** Exit 3 in one attempt's time, class client-cert, the last line matching `reason`. */
function assertRefused(run: WaitRun, reason: RegExp): void {
  assert.equal(run.code, 3, run.stderr);
  assert.ok(run.durationMs < FAST_MS, `took ${Math.round(run.durationMs)}ms`);
  assert.equal(run.logs.findLast((l) => l.msg === 'not ready')?.errorClass, 'client-cert', run.stderr);
  assert.match(failureLine(run).msg, reason);
  assertKeyNeverShown(run);
}

describe('PostgreSQL: pg_hba cert (clientcert=verify-full)', () => {
  let server: PrivatePostgres;
  let base: string;
  before(async () => {
    server = await startPostgres({ tls: serverCertificate, clientCertificates: { ca: ca.cert, user: 'certuser' } });
    await server.ready;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE ROLE certuser LOGIN');
    await admin.end();
    base = `db=postgres://certuser@127.0.0.1:${server.port}/postgres?sslmode=verify-full`;
  });
  after(() => server.stop());

  // Ready only when the session really presented a client certificate.
  const presented = ['--pg-query', "SELECT client_dn = '/CN=certuser' FROM pg_stat_ssl WHERE pid = pg_backend_pid()"];

  test('ready with sslcert/sslkey in the URL, with PGSSLCERT/PGSSLKEY, and with --cert-file/--key-file', async () => {
    const query = `&sslcert=${encodeURIComponent(client.cert)}&sslkey=${encodeURIComponent(client.key)}`;
    assertReady(await wait([`${base}${query}`, ...presented]));
    assertReady(await wait([base, ...presented], { PGSSLCERT: client.cert, PGSSLKEY: client.key }));
    assertReady(await wait([base, ...withCertificate(client), ...presented]));
    // libpq's order: the URL's pair wins over the flags' (here a certificate the server does not trust).
    assertReady(await wait([`${base}${query}`, ...withCertificate(foreign), ...presented]));
  });

  test('without a certificate: exit 3 at once, "connection requires a valid client certificate"', async () => {
    assertRefused(await wait([base]), /^db=postgres:.*connection requires a valid client certificate \(28000\): the server refused the client certificate/);
  });

  test('a certificate of another CA: exit 3 at once, the server\'s alert "unknown ca"', async () => {
    assertRefused(await wait([base, ...withCertificate(foreign)]), /the server refused the client certificate \(tlsv1 alert unknown ca\)/);
  });

  test('misuse of sslcert/sslkey is exit 2 naming the parameter', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[`${base}&sslcert=${client.cert}`], {}, /sslcert of "db=postgres:.*" is given without sslkey \(a URL parameter, or PGSSLKEY\)/],
      [[base], { PGSSLKEY: client.key }, /^PGSSLKEY is given without sslcert \(a URL parameter, or PGSSLCERT\)/],
      [[base.replace('verify-full', 'disable') + `&sslcert=${client.cert}&sslkey=${client.key}`], {}, /sslcert and sslkey need TLS.*sslmode=verify-full/],
      [[`${base}&sslcert=${client.cert}&sslkey=${foreign.key}`], {}, /the private key in sslkey of .* does not belong to the certificate in sslcert of/],
    ];
    for (const [args, env, message] of cases) assertMisuse(await wait(args, env), message);
  });
});

describe('Redis: tls-auth-clients yes', () => {
  let server: PrivateServer;
  let target: string;
  before(async () => {
    server = await startRedis({ tls: serverCertificate, clientCa: ca.cert });
    await server.spawned;
    target = `cache=rediss://127.0.0.1:${server.port}/0`;
  });
  after(() => server.stop());

  test('ready with --cert-file/--key-file', async () => {
    assertReady(await wait([target, ...withCertificate(client)]));
  });

  // Redis reads the client's first command before it refuses the certificate, so the alert mostly comes
  // behind a reset: several runs, each of which must still fail at once.
  test('without a certificate, or with one of another CA: exit 3 at once, every time', async () => {
    for (let run = 0; run < 3; run++) {
      assertRefused(
        await wait([target]),
        /^cache=rediss:.*: the server requires a client certificate and none was sent \(tlsv13 alert certificate required\); .*--cert-file and --key-file/,
      );
      assertRefused(await wait([target, ...withCertificate(foreign)]), /the server refused the client certificate \(tlsv1 alert unknown ca\)/);
    }
  });
});

describe('HTTPS: a server that requests and verifies client certificates', () => {
  let server: Server;
  let url: string;
  before(async () => {
    const pem = (file: string) => readFileSync(file);
    server = createServer(
      { key: pem(serverCertificate.key), cert: pem(serverCertificate.cert), ca: pem(ca.cert), requestCert: true, rejectUnauthorized: true },
      (request, response) => {
        response.end(`hello ${(request.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN}`);
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));

  test('ready with --cert-file/--key-file (the server saw the certificate)', async () => {
    assertReady(await wait([url, ...withCertificate(client), '--http-body-match', '^hello certuser$']));
  });

  test('without a certificate: exit 3 at once', async () => {
    assertRefused(await wait([url]), /the server requires a client certificate and none was sent/);
  });

  // Node's own server checks the certificate after the handshake and hangs up without an alert: nothing
  // tells that apart from a server going away, so it is retried (docs: "Client certificates (mTLS)").
  test("a certificate of another CA, to Node's server (no alert): retried until the deadline", async () => {
    const run = await waitForDb(dir, '1s', ['--ca-file', ca.cert, url, ...withCertificate(foreign)]);
    assert.equal(run.code, 124, run.stderr);
    assert.match(failureLine(run).msg, /connection reset|socket hang up/);
  });

  test('a certificate of another CA, to a server that sends the alert (openssl s_server): exit 3 at once', async () => {
    const port = await freePort();
    const server = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        String(port),
        '-cert',
        serverCertificate.cert,
        '-key',
        serverCertificate.key,
        '-CAfile',
        ca.cert,
        '-Verify',
        '1',
        '-verify_return_error',
        '-www',
        '-quiet',
      ],
      { stdio: 'ignore' },
    );
    try {
      await listening(port);
      assertRefused(await wait([`https://127.0.0.1:${port}/`, ...withCertificate(foreign)]), /tlsv1 alert unknown ca/);
      assertReady(await wait([`https://127.0.0.1:${port}/`, ...withCertificate(client)]));
    } finally {
      server.kill();
    }
  });
});

describe('misuse of --cert-file/--key-file: exit 2 before any connection, the key never shown', () => {
  test('a missing file, half a pair, a key of another certificate, an encrypted key, a key as the certificate', async () => {
    const encrypted = join(dir, 'encrypted.key');
    execFileSync('openssl', ['pkey', '-in', client.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    const missing = join(dir, 'missing.pem');
    const target = 'https://127.0.0.1:9/';
    const cases: Array<[string[], RegExp]> = [
      [['--cert-file', missing, '--key-file', client.key], new RegExp(`^--cert-file ${missing} cannot be read: ENOENT`)],
      [['--cert-file', client.cert], /^--cert-file is given without --key-file: .*give --key-file too/],
      [['--key-file', client.key], /^--key-file is given without --cert-file/],
      [['--cert-file', client.cert, '--key-file', foreign.key], /^the private key in --key-file .* does not belong to the certificate in --cert-file/],
      [
        ['--cert-file', client.cert, '--key-file', encrypted],
        new RegExp(`^--key-file ${encrypted} is an encrypted private key, and wait-for-db takes no passphrase`),
      ],
      [['--cert-file', client.key, '--key-file', client.cert], /^--cert-file .* holds no PEM certificate/],
    ];
    for (const [args, message] of cases) assertMisuse(await wait([target, ...args]), message);
  });
});

async function listening(port: number): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const open = await new Promise<boolean>((ok) => {
      const socket = connect(port, '127.0.0.1', () => ok(true)).once('error', () => ok(false));
      socket.once('connect', () => socket.destroy());
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`openssl s_server is not listening on ${port}`);
}
