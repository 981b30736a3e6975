// wait-for-db: passwords of every hostile shape in target URLs (arguments, WAIT_FOR_DB_TARGETS, the config
// file), in PGPASSWORD, against closed ports, real servers that refuse them and an HTTP server that echoes
// the basic auth header; and passwords inside URLs that do not parse. No form of a password may show.
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { assertNoCanary, textCanaries } from './lib/canary.ts';
import { startHttp, type HostileHttpServer } from './lib/http-server.ts';
import { assertFailure, runHostile } from './lib/run-hostile.ts';
import { writeTree } from './lib/scratch.ts';

/** Nothing listens on port 1 of loopback (a privileged port no test binds). */
const CLOSED = '127.0.0.1:1';
const pgService = () => new URL(process.env.TEST_PG_URL ?? 'postgres://missing');
const redisService = () => new URL(process.env.TEST_REDIS_URL ?? 'redis://missing');

const schemes = [
  { scheme: 'postgres', url: (password: string) => `postgres://app:${password}@${CLOSED}/app` },
  { scheme: 'redis', url: (password: string) => `redis://app:${password}@${CLOSED}/0` },
  { scheme: 'http', url: (password: string) => `http://app:${password}@${CLOSED}/healthz` },
];

/** The three ways a target reaches the tool. */
const deliveries = [
  { via: 'argument', run: (target: string) => runHostile('wait-for-db', ['--timeout', '700ms', target]) },
  { via: 'WAIT_FOR_DB_TARGETS', run: (target: string) => runHostile('wait-for-db', ['--timeout', '700ms'], { env: { WAIT_FOR_DB_TARGETS: target } }) },
  {
    via: 'config file',
    run: (target: string) => {
      const config = join(writeTree({}), 'wait.json');
      writeFileSync(config, JSON.stringify({ timeout: '700ms', targets: [target] }));
      return runHostile('wait-for-db', ['--config', config]);
    },
  },
];

describe('wait-for-db never shows a password', { concurrency: 4 }, () => {
  for (const canary of textCanaries) {
    const password = canary.value.toString('utf8');
    for (const { scheme, url } of schemes) {
      for (const { via, run: runWith } of deliveries) {
        test(`${scheme} target with a ${canary.label} password via ${via}, port closed: exit 124 naming the target, masked`, async () => {
          const run = await runWith(url(encodeURIComponent(password)));
          assertFailure(run, 124, [`${scheme}://`, CLOSED]);
          assertNoCanary(run, canary.value, 'app');
        });
      }
    }

    test(`PostgreSQL refusing a ${canary.label} password: exit 3 at once, masked`, async () => {
      const service = pgService();
      service.password = encodeURIComponent(password);
      const run = await runHostile('wait-for-db', ['--timeout', '10s', service.href]);
      assertFailure(run, 3, [service.host]);
      assertNoCanary(run, canary.value, service.username);
    });

    test(`PGPASSWORD holding a ${canary.label} password PostgreSQL refuses: exit 3, masked`, async () => {
      const service = pgService();
      service.password = '';
      const run = await runHostile('wait-for-db', ['--timeout', '10s', service.href], { env: { PGPASSWORD: password } });
      assertFailure(run, 3, [service.host]);
      assertNoCanary(run, canary.value, service.username);
    });

    test(`Redis refusing a ${canary.label} password: exit 3 at once, masked`, async () => {
      const service = redisService();
      service.password = encodeURIComponent(password);
      const run = await runHostile('wait-for-db', ['--timeout', '10s', service.href]);
      assertFailure(run, 3, [service.host]);
      assertNoCanary(run, canary.value, service.username);
    });
  }

  describe('an HTTP server that echoes the Authorization header', () => {
    let echo: HostileHttpServer;
    before(async () => {
      echo = await startHttp((req, res) => {
        const auth = req.headers.authorization ?? '';
        res.writeHead(503, { 'x-echo-authorization': auth, 'content-type': 'text/plain' }).end(`you sent ${auth}`);
      });
    });
    after(() => echo.close());

    for (const canary of textCanaries) {
      test(`basic auth with a ${canary.label} password, echoed in a 503: exit 124, no form of it shown`, async () => {
        const target = `http://user:${encodeURIComponent(canary.value.toString('utf8'))}@127.0.0.1:${echo.port}/ready`;
        const run = await runHostile('wait-for-db', ['--timeout', '700ms', '--log-level', 'debug', target]);
        assertFailure(run, 124, [`127.0.0.1:${echo.port}`]);
        assertNoCanary(run, canary.value, 'user');
      });
    }
  });

  /**
   * URLs that do not parse, with the parts of their password that must not show. A space parses inside an
   * argument (the URL parser encodes it), so there host `h` is waited for (124) or the URL refused (2); the
   * WAIT_FOR_DB_TARGETS list splits only where a new URL starts, so a space in a password stays in it there too.
   */
  const unparsable = [
    { target: 'postgres://app:pa#ss word-X@host/db', secrets: ['pa#ss word-X', 'ss word-X'] },
    { target: 'postgres://app:corr3ct h0rse-Q@h/db', secrets: ['corr3ct', 'h0rse-Q'], whole: [2, 124] },
    { target: 'redis://:s3cr%zz-Tk@h:6379/0', secrets: ['s3cr%zz-Tk', 's3cr'] },
    { target: 'postgres://app:Zebra-Pw7@h:99999/db', secrets: ['Zebra-Pw7'] },
    { target: 'http://user:Tiger-Pw8@[::1/healthz', secrets: ['Tiger-Pw8'] },
    { target: 'postgres://app:p\\ss/wd-Jk@h:5432/db', secrets: ['p\\ss/wd-Jk', 'wd-Jk'] },
    { target: 'redis://:Lynx?Pw-5 x@h:6379/0', secrets: ['Lynx?Pw-5', 'Pw-5 x'] },
    { target: 'postgres://app:Puma-Pw6%@h/db', secrets: ['Puma-Pw6'] },
  ];
  for (const { target, secrets, whole = [2] } of unparsable as Array<{ target: string; secrets: string[]; whole?: number[] }>) {
    const scheme = target.slice(0, target.indexOf('://') + 3);
    for (const { via, run: runWith } of deliveries) {
      const codes = whole;
      test(`unparsable ${JSON.stringify(target)} via ${via}: exit ${codes.join(' or ')}, one line, the password not shown`, async () => {
        const run = await runWith(target);
        assertFailure(run, codes, [scheme]);
        for (const secret of secrets) assertNoCanary(run, Buffer.from(secret), 'app');
      });
    }
  }
});
