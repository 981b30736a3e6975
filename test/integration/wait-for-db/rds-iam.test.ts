// RDS IAM auth on real servers: a PostgreSQL and a MariaDB that serve TLS, whose user's password is the
// token the tool must send. The tool runs with its clock fixed (test/helpers/fixed-clock.cjs), so the
// token it signs with the AWS credentials of its environment is known in advance: the server accepting the
// login proves it received exactly that token as the password, over TLS. The token never shows.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createSigner, rdsAuthToken } from '../../../tools/wait-for-db/rds-token.ts';
import { adminConnection, startMariadb, type PrivateMariadb } from '../../helpers/mariadb.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { selfSignedCertificate, startPostgres, type PrivatePostgres, type TestCertificate } from '../../helpers/services.ts';
import { assertNeverShown, waitForDb, type WaitRun } from './fixtures.ts';

const NOW = '2026-12-05T10:20:30.000Z';
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'irsa-session-token' };
const REGION = 'eu-west-1';
/** The AWS settings of a pod with IRSA credentials resolved, and nothing else the chain could find. */
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
  AWS_REGION: REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
};
const FIXED_CLOCK = { NODE_OPTIONS: `--require ${resolve(import.meta.dirname, '../../helpers/fixed-clock.cjs')}`, TEST_FIXED_NOW: NOW };

let dir: string;
let certificate: TestCertificate;

before(() => {
  dir = tempDir('wfd-rds-iam-');
  certificate = selfSignedCertificate(dir);
});

/** The token of `user` at 127.0.0.1:port, signed at `at`: what a server must receive. */
async function tokenFor(port: number, user: string, at = NOW): Promise<string> {
  const signer = await createSigner('rds-db', REGION, async () => CREDENTIALS);
  return rdsAuthToken(signer, '127.0.0.1', port, user, new Date(at));
}

const wait = (args: string[], env: Record<string, string> = {}, timeout = '20s'): Promise<WaitRun> =>
  waitForDb(dir, timeout, ['--ca-file', certificate.cert, '--rds-iam-auth', 'db', ...args], { ...AWS_ENV, ...FIXED_CLOCK, ...env });

describe('PostgreSQL (RDS for PostgreSQL, Aurora)', () => {
  let server: PrivatePostgres;
  let target: string;
  let token: string;
  before(async () => {
    server = await startPostgres({ tls: certificate });
    await server.ready;
    token = await tokenFor(server.port, 'iam_user');
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE ROLE iam_user LOGIN PASSWORD ${admin.escapeLiteral(token)}`);
    await admin.end();
    target = `db=postgres://iam_user@127.0.0.1:${server.port}/postgres?sslmode=verify-full`;
  });
  after(() => server.stop());

  test('the server receives the token as the password, over TLS; the token is never shown', async () => {
    const run = await wait([target, '--pg-query', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()']);
    assert.equal(run.code, 0, run.stderr);
    assertNeverShown(run, token);
    assertNeverShown(run, new URL(`https://${token}`).searchParams.get('X-Amz-Signature')!);
  });

  test('a token signed at another second is refused: exit 3 at once', async () => {
    const run = await wait([target], { TEST_FIXED_NOW: '2026-12-05T10:20:31.000Z' }, '30s');
    assert.equal(run.code, 3, run.stderr);
    assert.match(failureLine(run).msg, /password authentication failed for user "iam_user" \(28P01\)/);
  });

  test('no AWS credentials anywhere: exit 3 saying the token cannot be signed', async () => {
    const run = await wait(
      [target],
      {
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_CONFIG_FILE: join(dir, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      },
      '30s',
    );
    assert.equal(run.code, 3, run.stderr);
    assert.match(failureLine(run).msg, /cannot sign an RDS IAM auth token: .*check the pod's AWS credentials/);
  });
});

describe('MariaDB (RDS for MySQL and MariaDB, Aurora MySQL)', () => {
  let server: PrivateMariadb;
  let token: string;
  before(async () => {
    server = await startMariadb({ tls: certificate });
    await server.ready;
    token = await tokenFor(server.port, 'iam_user');
    const admin = await adminConnection(server.url);
    await admin.query("CREATE USER 'iam_user'@'%' IDENTIFIED BY ?", [token]);
    await admin.end();
  });
  after(() => server.stop());

  test('the server receives the token as the password, over TLS', async () => {
    const run = await wait([
      `db=mysql://iam_user@127.0.0.1:${server.port}/?ssl-mode=VERIFY_IDENTITY`,
      '--mysql-query',
      "SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER'",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assertNeverShown(run, token);
  });
});
