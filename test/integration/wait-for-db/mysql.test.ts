// mysql:// and mariadb:// targets on real MariaDB servers (Debian's 10.11): the shared one of services.sh,
// and private ones that start late, serve TLS, or require a client certificate. Ready only after a real
// query; a wrong password, an unknown user or database, refused TLS fail fast (exit 3); misuse is exit 2;
// a password is never shown.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Connection } from 'mysql2/promise';
import { adminConnection, startMariadb, testMariadbUrl, type PrivateMariadb } from '../../helpers/mariadb.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine, startTool } from '../../helpers/run.ts';
import { certificateAuthority, issueCertificate, type TestCertificate } from '../../helpers/services.ts';
import { assertNeverShown, waitForDb, type WaitRun } from './fixtures.ts';

const suffix = randomBytes(4).toString('hex');
/** Every byte a URL needs escaped, and non-ASCII. */
const PASSWORD = `p#@:/ %2F"'ü-${suffix}`;
const USER = `app_${suffix}`;
const FAST_MS = 5_000;

let dir: string;
let admin: Connection;
let host: string;

before(async () => {
  dir = tempDir('wfd-mysql-');
  admin = await adminConnection(testMariadbUrl());
  host = new URL(testMariadbUrl()).host;
  await admin.query(`CREATE DATABASE app_${suffix}`);
  await admin.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [USER, PASSWORD]);
  await admin.query(`GRANT ALL ON app_${suffix}.* TO ?@'%'`, [USER]);
});
after(async () => {
  await admin.query(`DROP USER IF EXISTS ?@'%'`, [USER]);
  await admin.query(`DROP DATABASE IF EXISTS app_${suffix}`);
  await admin.end();
});

const wait = (args: string[], env: Record<string, string> = {}, timeout = '20s'): Promise<WaitRun> => waitForDb(dir, timeout, args, env);
const target = (scheme = 'mysql', database = `app_${suffix}`) => `db=${scheme}://${USER}@${host}/${database}`;
const withPassword = ['--password-env', 'db=DB_PASSWORD'];
const passwordEnv = { DB_PASSWORD: PASSWORD };

describe('the shared MariaDB', () => {
  test('mysql:// and mariadb:// are ready after a real query, the password from an env var or a file, never shown', async () => {
    for (const scheme of ['mysql', 'mariadb']) {
      const run = await wait([target(scheme), ...withPassword], passwordEnv);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /"detail":"query succeeded"/);
      assertNeverShown(run, PASSWORD);
    }
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    const fromFile = await wait([target(), '--password-file', `db=${join(dir, 'password')}`]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assertNeverShown(fromFile, PASSWORD);
    // The user from an env var too, and the password in the URL itself, percent-encoded.
    const inUrl = await wait([`db=mysql://${USER}:${encodeURIComponent(PASSWORD)}@${host}/app_${suffix}`]);
    assert.equal(inUrl.code, 0, inUrl.stderr);
    assertNeverShown(inUrl, PASSWORD);
    const userEnv = await wait([`db=mysql://${host}/app_${suffix}`, '--user-env', 'db=DB_USER', ...withPassword], { ...passwordEnv, DB_USER: USER });
    assert.equal(userEnv.code, 0, userEnv.stderr);
  });

  test('a wrong password is exit 3 at once, neither password shown', async () => {
    const wrong = `${PASSWORD}-old`;
    const run = await wait([target(), ...withPassword], { DB_PASSWORD: wrong }, '30s');
    assert.equal(run.code, 3, run.stderr);
    assert.ok(run.durationMs < FAST_MS, `${Math.round(run.durationMs)} ms`);
    assert.match(
      failureLine(run).msg,
      /^db=mysql:\/\/app_\w+@[\d.:]+\/app_\w+: Access denied for user .*\(ER_ACCESS_DENIED_ERROR, SQLSTATE 28000\); waiting cannot fix this/,
    );
    assert.equal(run.termination, failureLine(run).msg);
    assertNeverShown(run, wrong);
    assertNeverShown(run, PASSWORD);
  });

  test('a database the user may not see, or that does not exist, is exit 3; --wait-for-database-creation waits for it', async () => {
    const denied = await wait([target('mysql', 'mysql'), ...withPassword], passwordEnv, '30s');
    assert.equal(denied.code, 3, denied.stderr);
    assert.match(failureLine(denied).msg, /ER_DBACCESS_DENIED_ERROR/);
    // Granted before it exists, as a platform team provisions it: then the server says it is missing.
    await admin.query(`GRANT ALL ON later_${suffix}.* TO ?@'%'`, [USER]);
    const missing = await wait([target('mysql', `later_${suffix}`), ...withPassword], passwordEnv, '30s');
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(failureLine(missing).msg, /Unknown database 'later_\w+' \(ER_BAD_DB_ERROR.*--wait-for-database-creation/);

    // Created only once the tool has said it is missing: the order holds however slow the machine is.
    const waiting = startTool('wait-for-db', ['--timeout', '20s', target('mysql', `later_${suffix}`), ...withPassword, '--wait-for-database-creation'], {
      env: passwordEnv,
    });
    await waiting.stderrMatches(/"errorClass":"database-missing"/);
    await admin.query(`CREATE DATABASE later_${suffix}`);
    try {
      const run = await waiting.result;
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await admin.query(`DROP DATABASE later_${suffix}`);
    }
  });

  test('--mysql-query: a missing table is waited for, a false answer is not ready, a syntax error is exit 3', async () => {
    const query = `SELECT count(*) FROM app_${suffix}.migrations WHERE done`;
    // Each change only after the tool has seen the state before it.
    const waiting = startTool('wait-for-db', ['--timeout', '20s', target(), ...withPassword, '--mysql-query', query], { env: passwordEnv });
    await waiting.stderrMatches(/"errorClass":"schema-not-ready"/);
    await admin.query(`CREATE TABLE app_${suffix}.migrations (done BOOLEAN)`);
    await waiting.stderrMatches(/the readiness query returned 0/);
    await admin.query(`INSERT INTO app_${suffix}.migrations VALUES (TRUE)`);
    const run = await waiting.result;
    assert.equal(run.code, 0, run.stderr);

    const never = await wait([target(), ...withPassword, '--mysql-query', 'SELECT 0'], passwordEnv, '1s');
    assert.equal(never.code, 124, never.stderr);
    assert.match(failureLine(never).msg, /last error: the readiness query returned 0/);
    const broken = await wait([target(), ...withPassword, '--mysql-query', 'SELEC 1'], passwordEnv, '30s');
    assert.equal(broken.code, 3, broken.stderr);
    assert.match(failureLine(broken).msg, /ER_PARSE_ERROR/);
  });

  test('ssl-mode=REQUIRED to a server without TLS is exit 3 saying so; PREFERRED (the default) connects without', async () => {
    for (const mode of ['?ssl-mode=PREFERRED', '']) {
      const preferred = await wait([`${target()}${mode}`, ...withPassword], passwordEnv);
      assert.equal(preferred.code, 0, preferred.stderr);
    }
    const run = await wait([`${target()}?ssl-mode=REQUIRED`, ...withPassword], passwordEnv, '30s');
    assert.equal(run.code, 3, run.stderr);
    assert.match(failureLine(run).msg, /the server does not support TLS, which the ssl-mode requires: enable TLS on the server, or lower ssl-mode/);
    assertNeverShown(run, PASSWORD);
  });

  test('misuse is exit 2 before any connection: no user, an unknown parameter or ssl-mode, ssl-cert without TLS', async () => {
    const cases: Array<[string, RegExp]> = [
      [`mysql://${host}/db`, /a mysql:\/\/ target needs a user/],
      [`mariadb://app@${host}/db?sslmode=require`, /unsupported parameter "sslmode"; supported: ssl-mode, ssl-ca, ssl-cert, ssl-key/],
      [`mysql://app@${host}/db?ssl-mode=verify-full`, /ssl-mode "verify-full" is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY/],
      [`mysql://app@${host}/db?ssl-cert=/c.pem&ssl-key=/k.pem`, /ssl-cert and ssl-key need TLS/],
      [`mysql://app@${host}/db?ssl-mode=VERIFY_CA&ssl-ca=/nonexistent/ca.pem`, /ssl-ca \/nonexistent\/ca\.pem cannot be read: ENOENT/],
      [`mysql:///db`, /the URL has no host/],
    ];
    for (const [url, reason] of cases) {
      const run = await wait([url]);
      assert.equal(run.code, 2, `${url}: ${run.stderr}`);
      assert.match(failureLine(run).msg, reason);
    }
  });
});

test('a server that starts after the tool: refused at first, then ready', async () => {
  let refused = (): void => {};
  const server = await startMariadb({ startAfter: new Promise<void>((resolve) => (refused = resolve)) });
  try {
    const waiting = startTool('wait-for-db', ['--timeout', '30s', `db=mysql://toolkit@127.0.0.1:${server.port}/mysql`, '--password-env', 'db=ADMIN'], {
      env: { ADMIN: 'toolkit-pass' },
    });
    await waiting.stderrMatches(/"errorClass":"refused"/);
    refused();
    const run = await waiting.result;
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await server.stop();
  }
});

describe('a MariaDB that serves TLS and takes client certificates', () => {
  let ca: TestCertificate;
  let server: PrivateMariadb;
  let client: TestCertificate;
  /** Ready only on a connection that really is TLS: the server tells about its own session. */
  const overTls = ['--mysql-query', "SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER'"];
  const admin = ['--password-env', 'db=ADMIN'];
  const adminEnv = { ADMIN: 'toolkit-pass' };
  let url: (query: string) => string;

  before(async () => {
    ca = certificateAuthority(dir, 'mysql-ca');
    client = issueCertificate(ca, dir, 'x509user', 'client');
    server = await startMariadb({ tls: issueCertificate(ca, dir, 'localhost', 'server'), clientCa: ca, secondAddress: true });
    await server.ready;
    const connection = await adminConnection(server.url);
    await connection.query("CREATE USER 'x509user'@'%' REQUIRE X509");
    await connection.end();
    url = (query) => `db=mysql://toolkit@localhost:${server.port}/mysql?${query}`;
  });
  after(() => server.stop());

  test('VERIFY_IDENTITY with --ca-file or ssl-ca is ready over TLS; without TLS the same query is not', async () => {
    // PREFERRED (also the default) takes the TLS the server offers, unverified, as the MySQL client does.
    for (const args of [
      [url('ssl-mode=VERIFY_IDENTITY'), '--ca-file', ca.cert],
      [url(`ssl-mode=verify-identity&ssl-ca=${ca.cert}`)],
      [url('ssl-mode=REQUIRED')],
      [url('ssl-mode=PREFERRED')],
      [url('')],
    ]) {
      const run = await wait([...args, ...admin, ...overTls], adminEnv);
      assert.equal(run.code, 0, `${args[0]}: ${run.stderr}`);
    }
    const plain = await wait([url('ssl-mode=DISABLED'), ...admin, ...overTls], adminEnv, '1s');
    assert.equal(plain.code, 124, plain.stderr);
  });

  test('a certificate the CA does not vouch for, or for another name, is exit 3 at once', async () => {
    const untrusted = await wait([url('ssl-mode=VERIFY_CA'), ...admin], adminEnv, '30s');
    assert.equal(untrusted.code, 3, untrusted.stderr);
    assert.match(failureLine(untrusted).msg, /TLS handshake failed: self-signed certificate in certificate chain; check the CA/);
    const wrongName = await wait(
      [`db=mysql://toolkit@127.0.0.2:${server.port}/mysql?ssl-mode=VERIFY_IDENTITY`, '--ca-file', ca.cert, ...admin],
      adminEnv,
      '30s',
    );
    assert.equal(wrongName.code, 3, wrongName.stderr);
    assert.match(failureLine(wrongName).msg, /TLS handshake failed: Hostname\/IP does not match certificate's altnames/);
    assert.ok(wrongName.durationMs < FAST_MS);
  });

  test('a user with REQUIRE X509 is ready with a client certificate (flags or URL), exit 3 without', async () => {
    const x509 = (query: string) => `db=mysql://x509user@localhost:${server.port}/?ssl-mode=VERIFY_IDENTITY&${query}`;
    const flags = await wait([x509(''), '--ca-file', ca.cert, '--cert-file', client.cert, '--key-file', client.key]);
    assert.equal(flags.code, 0, flags.stderr);
    const inUrl = await wait([x509(`ssl-cert=${client.cert}&ssl-key=${client.key}`), '--ca-file', ca.cert]);
    assert.equal(inUrl.code, 0, inUrl.stderr);
    const without = await wait([x509(''), '--ca-file', ca.cert], {}, '30s');
    assert.equal(without.code, 3, without.stderr);
    assert.match(failureLine(without).msg, /Access denied for user 'x509user'/);
    assert.ok(without.durationMs < FAST_MS);
  });
});
