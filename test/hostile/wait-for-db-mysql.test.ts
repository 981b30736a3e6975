// wait-for-db against a hostile MySQL server (lib/mysql-server.ts) on plain TCP: a server that asks for the
// password in clear text (an auth switch to mysql_clear_password) or in a form only its own RSA key opens
// (sha256_password, caching_sha2_password's full authentication) gets nothing of it, and the one line says
// what to do in the tool's terms (TLS through ssl-mode), not in mysql2's option names; a request for a
// local file (LOAD DATA LOCAL) gets no byte of it; a server that stalls is waited out to the deadline.
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeMysql, type MysqlBehaviour } from './lib/mysql-server.ts';
import { msAfterWaiting } from '../helpers/run.ts';
import { assertFailure, runHostile } from './lib/run-hostile.ts';

const PASSWORD = 'pw-Mysql-Canary-4242';
const TIMEOUT_MS = 1500;
const waitArgs = ['--timeout', `${TIMEOUT_MS}ms`, '--attempt-timeout', '400ms'];
const killAfter = { timeoutMs: TIMEOUT_MS + 4000 };
const target = (port: number) => `db=mysql://app:${PASSWORD}@127.0.0.1:${port}/app`;

/** No form of the password (as is, or NUL-terminated as the clear-text plugin sends it) reached the server. */
function assertPasswordNotSent(received: Buffer[]): void {
  const all = Buffer.concat(received);
  assert.equal(all.indexOf(PASSWORD), -1, 'the password reached the server');
}

describe('wait-for-db against a hostile MySQL server', { concurrency: 4 }, () => {
  const passwordAsks: Array<[MysqlBehaviour, string]> = [
    ['switch-to-clear-password', 'an auth switch to mysql_clear_password'],
    ['switch-to-sha256-password', 'an auth switch to sha256_password (the server would send its own RSA key)'],
    ['caching-sha2-full-auth', "caching_sha2_password's full authentication (the server would send its own RSA key)"],
  ];
  for (const [behaviour, what] of passwordAsks) {
    test(`${what} over plain TCP: the password is not sent, exit 3 at once, the line says to use TLS`, async () => {
      const server = await startFakeMysql(behaviour);
      try {
        const run = await runHostile('wait-for-db', [...waitArgs, target(server.port)], killAfter);
        const line = assertFailure(run, 3, [`127.0.0.1:${server.port}`, /ssl-mode=/]);
        // The tool has no such options: naming the driver's settings sends the reader nowhere.
        assert.doesNotMatch(line, /enableCleartextPlugin|allowPublicKeyRetrieval|serverPublicKey|authPlugins/, line);
        assert.equal(run.logs.at(-1)?.errorClass ?? run.logs.at(-2)?.errorClass, 'auth', run.stderr);
        assertPasswordNotSent(server.received);
        assert.ok(!run.stderr.includes(PASSWORD) && !run.termination.includes(PASSWORD), 'the password is shown');
      } finally {
        await server.close();
      }
    });
  }

  test('LOAD DATA LOCAL asked in answer to the readiness query: no byte of the file is sent', async () => {
    const server = await startFakeMysql('local-infile');
    try {
      const run = await runHostile('wait-for-db', [...waitArgs, target(server.port)], killAfter);
      assert.notEqual(run.code, 0, run.stderr);
      const hostname = readFileSync('/etc/hostname', 'utf8').trim();
      const all = Buffer.concat(server.received);
      assert.equal(all.indexOf(hostname), -1, 'the local file reached the server');
      // The client's login does not offer LOCAL_FILES (capability 0x80).
      assert.equal(server.received[0]![0]! & 0x80, 0, 'the client offered LOCAL_FILES');
    } finally {
      await server.close();
    }
  });

  for (const behaviour of ['stall-after-login', 'stall-on-query'] as const) {
    test(`a server that does ${behaviour}: exit 124 at the deadline naming the target`, async () => {
      const server = await startFakeMysql(behaviour);
      try {
        const run = await runHostile('wait-for-db', [...waitArgs, target(server.port)], killAfter);
        assertFailure(run, 124, [`127.0.0.1:${server.port}`]);
        assert.ok(msAfterWaiting(run) < TIMEOUT_MS + 1000, `ended ${msAfterWaiting(run)} ms after it started waiting`);
        assertPasswordNotSent(server.received);
      } finally {
        await server.close();
      }
    });
  }
});
