// The recipes of docs/wait-for-db.md ("Credentials from a Secret") on real servers that serve TLS: an
// Aurora-like PostgreSQL with sslmode=verify-full and a CA bundle file, and an ElastiCache-like Redis with
// in-transit encryption (TLS only) and an AUTH token holding "#", each password from an env var (a Secret
// through valueFrom) and from a file (a mounted Secret), never shown.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { selfSignedCertificate, startPostgres, startRedis, type PrivatePostgres, type PrivateServer, type TestCertificate } from '../../helpers/services.ts';
import { assertNeverShown, waitForDb, type WaitRun } from './fixtures.ts';

const suffix = randomBytes(4).toString('hex');
/** Every byte a URL would need escaped, and one whose NFKC form differs (U+00A0): SCRAM normalizes it. */
const PASSWORD = `p#@:/ %2F"'ü\u00a0-${suffix}`;
/** An ElastiCache AUTH token: printable ASCII, "#" and "&" included. */
const AUTH_TOKEN = `auth#token&with!special^chars-${suffix}`;
let dir: string;
let certificate: TestCertificate;

before(() => {
  dir = tempDir('wfd-recipes-');
  certificate = selfSignedCertificate(dir);
});

const wait = (args: string[], env: Record<string, string> = {}): Promise<WaitRun> => waitForDb(dir, '10s', args, env);

describe('Aurora PostgreSQL: sslmode=verify-full, --ca-file, the password from a Secret', () => {
  let server: PrivatePostgres;
  let target: string;
  before(async () => {
    server = await startPostgres({ tls: certificate });
    await server.ready;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE ROLE app LOGIN PASSWORD ${admin.escapeLiteral(PASSWORD)}`);
    await admin.end();
    target = `db=postgres://app@127.0.0.1:${server.port}/postgres?sslmode=verify-full`;
  });
  after(() => server.stop());

  // Ready only on a connection that really is TLS: the query asks the server about its own session.
  const overTls = ['--pg-query', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'];

  test('ready over verified TLS with the password from an env var and from a mounted file', async () => {
    const fromEnv = await wait([target, '--ca-file', certificate.cert, '--password-env', 'db=DB_PASSWORD', ...overTls], { DB_PASSWORD: PASSWORD });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assertNeverShown(fromEnv, PASSWORD);
    writeFileSync(join(dir, 'db-password'), PASSWORD);
    const fromFile = await wait([target, '--ca-file', certificate.cert, '--password-file', `db=${join(dir, 'db-password')}`, ...overTls]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assertNeverShown(fromFile, PASSWORD);
  });

  test('without the CA bundle the certificate is not trusted: exit 3 at once, the password never shown', async () => {
    const run = await wait([target, '--password-env', 'db=DB_PASSWORD'], { DB_PASSWORD: PASSWORD });
    assert.equal(run.code, 3, run.stderr);
    assert.match(failureLine(run).msg, /^db=postgres:\/\/app@127\.0\.0\.1:\d+\/postgres\?sslmode=verify-full: .*certificate/i);
    assertNeverShown(run, PASSWORD);
  });

  test('a wrong password is exit 3 at once, neither password shown', async () => {
    const wrong = `${PASSWORD}-old`;
    const run = await wait([target, '--ca-file', certificate.cert, '--password-env', 'db=DB_PASSWORD'], { DB_PASSWORD: wrong });
    assert.equal(run.code, 3, run.stderr);
    assert.match(failureLine(run).msg, /password authentication failed for user "app" \(28P01\)/);
    assertNeverShown(run, wrong);
    assertNeverShown(run, PASSWORD);
  });
});

describe('ElastiCache: rediss:// (TLS only) with an AUTH token holding "#", from a Secret', () => {
  let server: PrivateServer;
  let target: string;
  before(async () => {
    server = await startRedis({ tls: certificate, password: AUTH_TOKEN });
    await server.spawned;
    target = `cache=rediss://127.0.0.1:${server.port}/0`;
  });
  after(() => server.stop());

  test('ready with the token from an env var and from a mounted file; the port speaks TLS only', async () => {
    // Started just now: the tool waits for it like for a cache that is still starting.
    const fromEnv = await wait([target, '--ca-file', certificate.cert, '--password-env', 'cache=CACHE_AUTH_TOKEN'], { CACHE_AUTH_TOKEN: AUTH_TOKEN });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    // Verified against the IP address, without the warning Node gives for an IP as TLS server name.
    assert.deepEqual(
      fromEnv.logs.filter((l) => l.level === 'warn'),
      [],
    );
    assertNeverShown(fromEnv, AUTH_TOKEN);
    writeFileSync(join(dir, 'auth-token'), `${AUTH_TOKEN}\n`);
    const fromFile = await wait([target, '--ca-file', certificate.cert, '--password-file', `cache=${join(dir, 'auth-token')}`]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assertNeverShown(fromFile, AUTH_TOKEN);
    const plain = await wait([`cache=redis://127.0.0.1:${server.port}/0`, '--timeout', '2s', '--password-env', 'cache=CACHE_AUTH_TOKEN'], {
      CACHE_AUTH_TOKEN: AUTH_TOKEN,
    });
    assert.notEqual(plain.code, 0, 'a plain connection to the TLS port was ready');
    assertNeverShown(plain, AUTH_TOKEN);
  });

  test('a wrong token is exit 3 at once (WRONGPASS), never shown', async () => {
    const wrong = `${AUTH_TOKEN}-rotated`;
    const run = await wait([target, '--ca-file', certificate.cert, '--password-env', 'cache=CACHE_AUTH_TOKEN'], { CACHE_AUTH_TOKEN: wrong });
    assert.equal(run.code, 3, run.stderr);
    assert.match(failureLine(run).msg, /^cache=rediss:\/\/127\.0\.0\.1:\d+\/0: WRONGPASS/);
    assertNeverShown(run, wrong);
  });

  test('a private Redis whose requirepass holds every awkward byte, from a file', async () => {
    const awkward = await startRedis({ password: PASSWORD });
    try {
      await awkward.spawned;
      writeFileSync(join(dir, 'redis-password'), `${PASSWORD}\r\n`);
      const run = await wait([`cache=redis://127.0.0.1:${awkward.port}/0`, '--password-file', `cache=${join(dir, 'redis-password')}`]);
      assert.equal(run.code, 0, run.stderr);
      assertNeverShown(run, PASSWORD);
    } finally {
      await awkward.stop();
    }
  });
});
