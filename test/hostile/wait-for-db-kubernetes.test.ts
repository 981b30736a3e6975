// wait-for-db k8s:// targets against an API server that lies (a kubeconfig with a token pointing at a local
// HTTP server): answers of the wrong shape are a protocol failure naming the request (exit 3, never an
// internal TypeError), a redirect is not followed (the bearer token goes nowhere else), a stalled or
// dripping answer ends at the deadline; the token is never shown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startHttp } from './lib/http-server.ts';
import { msAfterWaiting } from '../helpers/run.ts';
import { assertFailure, runHostile } from './lib/run-hostile.ts';
import { writeTree } from './lib/scratch.ts';

const TOKEN = 'k8s-Token-Canary-7319';
const TIMEOUT_MS = 1500;
const waitArgs = ['--timeout', `${TIMEOUT_MS}ms`, '--attempt-timeout', '400ms'];

function kubeconfig(port: number): string {
  const dir = writeTree({
    kubeconfig: [
      'apiVersion: v1',
      'kind: Config',
      'current-context: c',
      `clusters: [{name: k, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      `users: [{name: u, user: {token: ${TOKEN}}}]`,
      'contexts: [{name: c, context: {cluster: k, user: u, namespace: app}}]',
      '',
    ].join('\n'),
  });
  return join(dir, 'kubeconfig');
}

const targets = ['k8s://job/migrate', 'k8s://deployment/web', 'k8s://service/db', 'k8s://pods?selector=app%3Ddb'];
/**
 * JSON that is no API object of the kind asked for. (Whether a lying server can make a target ready is not
 * asked: it can always send a real object that says so.)
 */
const wrongShapes = ['null', '"text"', '[1,2]', '{"status":{"conditions":"nope"}}', '{"items":"nope"}', '{"items":[null]}', '{"items":[{"endpoints":[null]}]}'];

describe('wait-for-db k8s:// against a lying API server', { concurrency: 4 }, () => {
  for (const target of targets) {
    for (const body of wrongShapes) {
      test(`${target} answered 200 with ${body}: exit 3 or not ready until the deadline, never an internal error`, async () => {
        const server = await startHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
        try {
          const run = await runHostile('wait-for-db', [...waitArgs, target], { timeoutMs: TIMEOUT_MS + 4000, env: { KUBECONFIG: kubeconfig(server.port) } });
          const line = assertFailure(run, [3, 124], [target]);
          assert.doesNotMatch(line, /is not a function|Cannot read prop|undefined|null/, line);
          if (run.code === 3) assert.match(line, /127\.0\.0\.1/, line);
          assert.ok(!run.stderr.includes(TOKEN) && !run.termination.includes(TOKEN), 'the token is shown');
        } finally {
          await server.close();
        }
      });
    }
  }

  test('a redirect to another host is not followed: the token is sent to the configured server only, exit 3', async () => {
    const elsewhere = await startHttp((_req, res) => res.writeHead(200).end('{}'));
    const server = await startHttp((_req, res) => res.writeHead(307, { location: elsewhere.url('/steal') }).end());
    try {
      const run = await runHostile('wait-for-db', [...waitArgs, 'k8s://job/migrate'], { env: { KUBECONFIG: kubeconfig(server.port) } });
      assertFailure(run, 3, ['k8s://job/migrate', /307/]);
      assert.equal(elsewhere.requests.length, 0, 'the redirect was followed');
      assert.equal(server.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
    } finally {
      await server.close();
      await elsewhere.close();
    }
  });

  for (const [label, handler] of [
    ['headers and then nothing', (res: import('node:http').ServerResponse) => res.writeHead(200).flushHeaders()],
    [
      'a body that drips a byte every 100 ms',
      (res: import('node:http').ServerResponse) => {
        res.writeHead(200);
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
      },
    ],
  ] as const) {
    test(`an answer of ${label}: exit 124 at the deadline`, async () => {
      const server = await startHttp((_req, res) => handler(res));
      try {
        const run = await runHostile('wait-for-db', [...waitArgs, 'k8s://job/migrate'], {
          timeoutMs: TIMEOUT_MS + 4000,
          env: { KUBECONFIG: kubeconfig(server.port) },
        });
        assertFailure(run, 124, ['k8s://job/migrate']);
        assert.ok(msAfterWaiting(run) < TIMEOUT_MS + 1000, `ended ${msAfterWaiting(run)} ms after it started waiting`);
      } finally {
        await server.close();
      }
    });
  }
});
