// wait-for-db against servers that misbehave: TCP that accepts and closes, stalls, sends garbage or half a
// protocol reply; HTTP bodies that make --http-body-match backtrack catastrophically or drip past the
// deadline. What waiting can fix is retried until the deadline (124, on time, one line naming the target);
// a tcp:// target is ready as soon as a connection is accepted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { msAfterWaiting } from '../helpers/run.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startHttp, type HostileHttpServer } from './lib/http-server.ts';
import { assertFailure, assertSuccess, runHostile } from './lib/run-hostile.ts';
import { startTcpFault, type FaultServer, type TcpFault } from './lib/tcp-faults.ts';

const TIMEOUT_MS = 1500;
/** A deadline is kept when the tool's last line comes within this much of it, by the tool's own clock. */
const DEADLINE_SLACK_MS = 1000;
const waitArgs = ['--timeout', `${TIMEOUT_MS}ms`, '--attempt-timeout', '400ms'];
/** A tool still running this long after its deadline is killed (the case then fails on the exit). */
const killAfter = { timeoutMs: TIMEOUT_MS + 4000 };

const protocolCases: Array<{ scheme: string; target: (port: number) => string; faults: TcpFault[] }> = [
  {
    scheme: 'postgres',
    target: (port) => `postgres://app:pw-Xy12@127.0.0.1:${port}/app`,
    faults: ['accept-and-close', 'accept-and-stall', 'garbage', 'half-postgres-reply', 'half-http-reply'],
  },
  {
    scheme: 'redis',
    target: (port) => `redis://:pw-Xy12@127.0.0.1:${port}/0`,
    faults: ['accept-and-close', 'accept-and-stall', 'garbage', 'half-redis-reply', 'half-postgres-reply'],
  },
  {
    scheme: 'http',
    target: (port) => `http://127.0.0.1:${port}/healthz`,
    faults: ['accept-and-close', 'accept-and-stall', 'garbage', 'half-http-reply', 'half-redis-reply'],
  },
];

describe('wait-for-db against faulty servers', { concurrency: 4 }, () => {
  for (const { scheme, target, faults } of protocolCases) {
    for (const fault of faults) {
      test(`${scheme} target on a server that does ${fault}: exit 124 at the deadline naming the target`, async () => {
        const server = await startTcpFault(fault);
        try {
          const run = await runHostile('wait-for-db', [...waitArgs, target(server.port)], killAfter);
          // Garbage or another protocol's reply may be judged "not this protocol" at once (3); a cut reply of
          // the right protocol is a reset, retried. Either way one line, never a hang or exit 1.
          const foreign = fault === 'garbage' || (fault.startsWith('half-') && !fault.startsWith(`half-${scheme}`));
          assertFailure(run, foreign ? [3, 124] : 124, [`127.0.0.1:${server.port}`]);
          assert.ok(msAfterWaiting(run) < TIMEOUT_MS + DEADLINE_SLACK_MS, `ended ${msAfterWaiting(run)} ms after it started waiting, past the deadline`);
        } finally {
          await server.close();
        }
      });
    }
  }

  for (const fault of ['accept-and-close', 'accept-and-stall', 'garbage'] as const) {
    test(`tcp target on a server that does ${fault}: exit 0, the port accepts`, async () => {
      const server = await startTcpFault(fault);
      try {
        const run = await runHostile('wait-for-db', [...waitArgs, `tcp://127.0.0.1:${server.port}`]);
        assertSuccess(run);
        assert.equal(run.logs.at(-1)?.msg, 'all targets ready');
      } finally {
        await server.close();
      }
    });
  }

  describe('--http-body-match on hostile bodies', () => {
    let bodies: HostileHttpServer;
    before(async () => {
      bodies = await startHttp((req, res) => {
        const body: Record<string, string> = {
          '/as': `${'a'.repeat(30_000)}!`,
          '/xs': 'x'.repeat(30_000),
          '/words': `${'word '.repeat(6_000)}!`,
          '/drip': '',
        };
        if (req.url === '/drip') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          const timer = setInterval(() => res.write('a'), 100);
          res.on('close', () => clearInterval(timer));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end(body[req.url ?? ''] ?? 'nothing');
      });
    });
    after(() => bodies.close());

    const catastrophic = [
      { regex: '^(a+)+$', path: '/as' },
      { regex: '^(a|a)+$', path: '/as' },
      { regex: '^(a|aa)+$', path: '/as' },
      { regex: '^(a*)*b$', path: '/as' },
      { regex: '(x+x+)+y', path: '/xs' },
      { regex: '^(\\w+\\s?)*$', path: '/words' },
    ];
    for (const { regex, path } of catastrophic) {
      test(`--http-body-match ${regex} on ${path}: exit 124 at the deadline, the matcher does not hold it`, async () => {
        const run = await runHostile('wait-for-db', [...waitArgs, '--http-body-match', regex, bodies.url(path)], killAfter);
        assertFailure(run, 124, [bodies.url(path)]);
        assert.ok(msAfterWaiting(run) < TIMEOUT_MS + DEADLINE_SLACK_MS, `ended ${msAfterWaiting(run)} ms after it started waiting, past the deadline`);
      });
    }

    test('a body dripping one byte per 100 ms with --http-body-match: exit 124 at the deadline', async () => {
      const run = await runHostile('wait-for-db', [...waitArgs, '--http-body-match', 'never-there', bodies.url('/drip')], killAfter);
      assertFailure(run, 124, [bodies.url('/drip')]);
      assert.ok(msAfterWaiting(run) < TIMEOUT_MS + DEADLINE_SLACK_MS, `ended ${msAfterWaiting(run)} ms after it started waiting, past the deadline`);
    });

    // A pattern the linear-time engine cannot run (a large counted repetition, a backreference, a lookahead)
    // is refused up front rather than run on a backtracking engine.
    for (const regex of ['^(.*a){25}$', '(a)\\1', '(?=a)a']) {
      test(`--http-body-match ${regex}: exit 2, refused as not matchable in linear time`, async () => {
        const run = await runHostile('wait-for-db', [...waitArgs, '--http-body-match', regex, bodies.url('/as')]);
        assertFailure(run, 2, ['http-body-match', 'linear time']);
      });
    }

    for (const regex of ['(', '[a-', '(?<name', 'a{2,1}', '\\']) {
      test(`invalid --http-body-match ${JSON.stringify(regex)}: exit 2 naming the flag`, async () => {
        const run = await runHostile('wait-for-db', [...waitArgs, '--http-body-match', regex, bodies.url('/as')]);
        assertFailure(run, 2, ['http-body-match']);
      });
    }
  });
});

describe('a CA file a target URL names (sslrootcert, ssl-ca) is read like --ca-file: bounded, a regular file, PEM', () => {
  const dir = tempDir('wfdb-ca-');
  execFileSync('mkfifo', [join(dir, 'fifo.pem')]);
  writeFileSync(join(dir, 'huge.pem'), Buffer.alloc(2 * 1024 * 1024, 'A'));
  writeFileSync(join(dir, 'not-pem.pem'), 'hello\n');
  const cases: Array<[string, string, RegExp]> = [
    ['a FIFO (nobody writes to it)', join(dir, 'fifo.pem'), /is not a regular file/],
    ['/dev/zero (endless)', '/dev/zero', /is not a regular file/],
    ['a 2 MiB file', join(dir, 'huge.pem'), /more than the limit of 1048576/],
    ['a file without a certificate', join(dir, 'not-pem.pem'), /holds no PEM certificate/],
  ];
  const targets = [
    (ca: string) => ({ parameter: 'sslrootcert', url: `postgres://app:pw-Xy12@127.0.0.1:9/app?sslmode=verify-full&sslrootcert=${ca}` }),
    (ca: string) => ({ parameter: 'ssl-ca', url: `mysql://app:pw-Xy12@127.0.0.1:9/app?ssl-mode=VERIFY_CA&ssl-ca=${ca}` }),
  ];
  for (const [label, path, reason] of cases) {
    for (const target of targets) {
      const { parameter, url } = target(path);
      test(`${parameter} naming ${label}: exit 2 at once, naming the parameter and the file`, async () => {
        const run = await runHostile('wait-for-db', ['--timeout', '30s', url], { timeoutMs: 10_000 });
        const message = assertFailure(run, 2, [`${parameter} ${path}`]);
        assert.match(message, reason);
      });
    }
  }
});
