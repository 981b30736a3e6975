// Credentials of named targets from env vars and files, against the real PostgreSQL and Redis: a
// password with every byte a URL would need escaped ("#", "@", ":", "/", "%", quotes, spaces, non-ASCII),
// as Kubernetes gives it (an env var from a Secret, a mounted key with a trailing newline), never shown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { tempDir } from '../../helpers/temp-dir.ts';
import { bundlePath, failureLine, msAfterWaiting } from '../../helpers/run.ts';
import { testPgUrl, testRedisUrl } from '../../helpers/services.ts';
import { assertNeverShown, waitForDb, type WaitRun } from './fixtures.ts';

const suffix = randomBytes(4).toString('hex');
const PASSWORD = `p#@:/ %2F"'ü-${suffix}`;
const PG_ROLE = `waiter_${suffix}`;
const REDIS_USER = `waiter-${suffix}`;
const pgTarget = `db=postgres://127.0.0.1:${new URL(testPgUrl()).port}/toolkit`;
const redisTarget = `cache=redis://127.0.0.1:${new URL(testRedisUrl()).port}/0`;
let dir: string;

before(async () => {
  dir = tempDir('wfdb-credentials-');
  const admin = new pg.Client({ connectionString: testPgUrl() });
  await admin.connect();
  await admin.query(`CREATE ROLE ${PG_ROLE} LOGIN PASSWORD ${admin.escapeLiteral(PASSWORD)}`);
  await admin.end();
  const redis = new Redis(testRedisUrl());
  await redis.call('ACL', 'SETUSER', REDIS_USER, 'on', `>${PASSWORD}`, '+ping', '+select', '+info', '+auth', '+hello');
  redis.disconnect();
});

after(async () => {
  const admin = new pg.Client({ connectionString: testPgUrl() });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${PG_ROLE}`);
  await admin.end();
  const redis = new Redis(testRedisUrl());
  await redis.call('ACL', 'DELUSER', REDIS_USER);
  redis.disconnect();
});

const wait = (args: string[], env: Record<string, string> = {}): Promise<WaitRun> => waitForDb(dir, '5s', args, env);

describe('credentials of named targets', () => {
  test('PostgreSQL: user and password from env vars (a Secret through valueFrom), any byte of the password', async () => {
    const run = await wait([pgTarget, '--user-env', 'db=DB_USER', '--password-env', 'db=DB_PASSWORD'], { DB_USER: PG_ROLE, DB_PASSWORD: PASSWORD });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.logs.at(-1)?.msg, 'all targets ready');
    assertNeverShown(run, PASSWORD);
  });

  test('Redis ACL user: user and password from files (a mounted Secret), one trailing newline dropped', async () => {
    writeFileSync(join(dir, 'user'), `${REDIS_USER}\n`);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\r\n`);
    const run = await wait([redisTarget, '--user-file', `cache=${join(dir, 'user')}`, '--password-file', `cache=${join(dir, 'password')}`]);
    assert.equal(run.code, 0, run.stderr);
    assertNeverShown(run, PASSWORD);
  });

  test('both targets at once, through the env vars of a Helm step (WAIT_FOR_DB_TARGETS, WAIT_FOR_DB_PASSWORD_ENV)', async () => {
    const run = await wait([], {
      WAIT_FOR_DB_TARGETS: `${pgTarget}\n${redisTarget}`,
      WAIT_FOR_DB_USER_ENV: 'db=DB_USER\ncache=CACHE_USER',
      WAIT_FOR_DB_PASSWORD_ENV: 'db=DB_PASSWORD\ncache=CACHE_PASSWORD',
      DB_USER: PG_ROLE,
      DB_PASSWORD: PASSWORD,
      CACHE_USER: REDIS_USER,
      CACHE_PASSWORD: PASSWORD,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((run.logs.at(-1)?.targets as Array<{ target: string }>).map((t) => t.target).sort(), [redisTarget, pgTarget].sort());
    assertNeverShown(run, PASSWORD);
  });

  test('a user from a flag is shown as the user of a URL is, never masked: "toolkit" as user and database name stays readable', async () => {
    const { username, password } = new URL(testPgUrl());
    const run = await wait([pgTarget, '--user-env', 'db=DB_USER', '--password-env', 'db=DB_PASSWORD'], { DB_USER: username, DB_PASSWORD: password });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.logs[0]?.targets, [pgTarget]);
    assert.equal((run.logs.at(-1)?.targets as Array<{ target: string }>)[0]?.target, pgTarget);
    assertNeverShown(run, password);
  });

  test('a wrong password fails fast (exit 3, waiting cannot fix it), naming the target, never the password', async () => {
    const wrong = `${PASSWORD}-wrong`;
    for (const [target, user] of [
      [pgTarget, PG_ROLE],
      [redisTarget, REDIS_USER],
    ] as const) {
      const name = target.slice(0, target.indexOf('='));
      const run = await wait([target, '--user-env', `${name}=U`, '--password-env', `${name}=P`], { U: user, P: wrong });
      assert.equal(run.code, 3, run.stderr);
      assert.match(failureLine(run).msg, new RegExp(`^${name}=`));
      assertNeverShown(run, wrong);
    }
  });

  const usage: Array<[string, string[], Record<string, string>, RegExp]> = [
    [
      'an unset env var',
      [pgTarget, '--password-env', 'db=NOT_SET_ANYWHERE'],
      {},
      /--password-env db=NOT_SET_ANYWHERE: NOT_SET_ANYWHERE is not set; in Kubernetes set it from the Secret/,
    ],
    ['an empty env var', [pgTarget, '--password-env', 'db=EMPTY'], { EMPTY: '' }, /EMPTY is empty/],
    ['an unknown target name', [pgTarget, '--password-env', 'cache=P'], { P: 'x' }, /no target is named "cache" \(named: db\)/],
    ['an unnamed target', ['postgres://127.0.0.1:1/x', '--password-env', 'db=P'], { P: 'x' }, /no target is named "db" \(name one as NAME=URL/],
    [
      'a password in the URL and by flag',
      ['db=postgres://u:pw@127.0.0.1:1/x', '--password-env', 'db=P'],
      { P: 'x' },
      /already has a password in its URL; keep one of them/,
    ],
    [
      'two sources for one password',
      [pgTarget, '--password-env', 'db=P', '--password-file', 'db=/etc/hostname'],
      { P: 'x' },
      /already given by --password-env; keep one/,
    ],
    ['a tcp target', ['mq=tcp://127.0.0.1:1', '--password-env', 'mq=P'], { P: 'x' }, /is a tcp target, which takes no credentials/],
    [
      'a missing file',
      [pgTarget, '--password-file', 'db=/nonexistent/pw'],
      {},
      /--password-file for "db": the file cannot be read: ENOENT; mount the Secret's key as a file and give its path/,
    ],
    [
      'a flag without TARGET=',
      [pgTarget, '--password-env', 'DB_PASSWORD'],
      {},
      /--password-env \(entry 1\): expected TARGET=VAR, e\.g\. --password-env db=DB_PASSWORD/,
    ],
    ['two targets with one name', ['db=postgres://127.0.0.1:1/x', 'db=redis://127.0.0.1:2/0'], {}, /two targets are named "db"/],
  ];
  for (const [what, args, env, message] of usage) {
    test(`exit 2 for ${what}, before any connection`, async () => {
      const run = await wait(args, env);
      assert.equal(run.code, 2, run.stderr);
      assert.match(failureLine(run).msg, message);
    });
  }

  test('a password pasted where a variable name or a file path belongs is refused without being shown', async () => {
    const pasted = `Sup3r-S3cret!-${suffix}`;
    for (const [args, env] of [
      [[pgTarget], { WAIT_FOR_DB_PASSWORD_ENV: `db=${pasted}` }],
      [[pgTarget, '--password-env', pasted], {}],
      [[pgTarget, '--password-file', `db=${pasted}`], {}],
      [[pgTarget, '--user-env', `db=${pasted}`], {}],
    ] as Array<[string[], Record<string, string>]>) {
      const run = await wait(args, env);
      assert.equal(run.code, 2, run.stderr);
      assertNeverShown(run, pasted);
    }
  });

  test('exit 2 for a password file that is not UTF-8, empty, too large or a directory', async () => {
    writeFileSync(join(dir, 'latin1'), Buffer.from([0x70, 0xe9, 0x0a]));
    writeFileSync(join(dir, 'empty'), '\n');
    writeFileSync(join(dir, 'large'), 'x'.repeat(64 * 1024 + 1));
    for (const [path, message] of [
      [join(dir, 'latin1'), /the file is not UTF-8 text; .*store the Secret's value in UTF-8/],
      [join(dir, 'empty'), /the file is empty/],
      [join(dir, 'large'), /the file is 65537 bytes, more than the limit of 65536/],
      [dir, /the file is a directory, not a file/],
    ] as const) {
      const run = await wait([pgTarget, '--password-file', `db=${path}`]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(failureLine(run).msg, new RegExp(`^--password-file for "db": ${message.source}`));
    }
  });

  test("exit 2 for an env var that is not UTF-8 (a Secret's bytes put into the environment as they are)", () => {
    // Through a shell: Node could only pass the environment as UTF-8 text.
    const run = spawnSync(
      'sh',
      [
        '-c',
        'DB_PASSWORD="$(printf "p\\351ss-latin1")" exec "$@"',
        'sh',
        process.execPath,
        bundlePath('wait-for-db'),
        pgTarget,
        '--password-env',
        'db=DB_PASSWORD',
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, LOG_FORMAT: 'json' },
      },
    );
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /--password-env db=DB_PASSWORD: DB_PASSWORD is not UTF-8 text/);
  });

  describe('HTTP basic auth', () => {
    const API_USER = 'api-reader';
    const basic = `Basic ${Buffer.from(`${API_USER}:${PASSWORD}`).toString('base64')}`;
    const seen: Array<string | undefined> = [];
    let server: Server;
    let apiTarget: string;
    before(async () => {
      // A real server that checks the header as a basic-auth protected health endpoint does.
      server = createServer((req, res) => {
        seen.push(req.headers.authorization);
        res.writeHead(req.headers.authorization === basic ? 200 : 401, { 'www-authenticate': 'Basic realm="api"' }).end();
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      apiTarget = `api=http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
    });
    after(() => server.close());

    test('user and password from flags become the Authorization header, byte for byte; never shown, not even base64-encoded', async () => {
      writeFileSync(join(dir, 'api-password'), `${PASSWORD}\n`);
      seen.length = 0;
      const run = await wait([apiTarget, '--user-env', 'api=API_USER', '--password-file', `api=${join(dir, 'api-password')}`], { API_USER });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(seen, [basic]);
      assertNeverShown(run, PASSWORD, basic.slice('Basic '.length));
    });

    test('a wrong password is exit 3 at once (HTTP 401 with credentials), never shown', async () => {
      const wrong = `${PASSWORD}-wrong`;
      const run = await wait([apiTarget, '--user-env', 'api=API_USER', '--password-env', 'api=API_PASSWORD'], { API_USER, API_PASSWORD: wrong });
      assert.equal(run.code, 3, run.stderr);
      assert.match(
        failureLine(run).msg,
        /^api=http:\/\/127\.0\.0\.1:\d+\/healthz: HTTP 401: the server refused the user and password; waiting cannot fix this/,
      );
      assert.ok(msAfterWaiting(run) < 2500, `failed ${msAfterWaiting(run)} ms after it started waiting, not at once`);
      assertNeverShown(run, wrong, Buffer.from(`${API_USER}:${wrong}`).toString('base64'));
    });

    test('exit 2 for a user with ":" (basic auth cannot send it) and for credentials together with --http-header Authorization', async () => {
      const colon = await wait([apiTarget, '--user-env', 'api=API_USER', '--password-env', 'api=API_PASSWORD'], { API_USER: 'a:b', API_PASSWORD: PASSWORD });
      assert.equal(colon.code, 2, colon.stderr);
      assert.match(failureLine(colon).msg, /the user of "api=http:.*" holds a ":", which basic auth cannot send/);
      const both = await wait([apiTarget, '--password-env', 'api=API_PASSWORD', '--http-header', 'authorization: Bearer x-token-1'], {
        API_PASSWORD: PASSWORD,
      });
      assert.equal(both.code, 2, both.stderr);
      assert.match(failureLine(both).msg, /has a user or password and --http-header sets Authorization too; keep one of them/);
      assertNeverShown(both, PASSWORD);
    });
  });
});
