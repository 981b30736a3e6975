// SIGTERM and SIGINT while a tool is busy: waiting on a dead port, matching a catastrophic regex, downloading
// a dripping body, parsing a big document, rendering a runaway template, waiting on a stalled AWS endpoint.
// The tool exits 143 / 130 promptly with one line, and the output directory keeps the old set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareOldFetchOutput, type OldFetchOutput } from './lib/fetch-old-output.ts';
import { startHttp, type HostileHttpServer } from './lib/http-server.ts';
import { assertOldSet, readSet, type SetSnapshot } from './lib/output-set.ts';
import { assertFailure, assertSuccess, runHostile, startHostile, type Tool } from './lib/run-hostile.ts';
import { copyOf, writeTree } from './lib/scratch.ts';
import { startTcpFault, type FaultServer } from './lib/tcp-faults.ts';

/** The signal must end the run within this long, whatever is in flight. */
const PROMPT_MS = 1500;
const signals = [
  { signal: 'SIGTERM', code: 143 },
  { signal: 'SIGINT', code: 130 },
] as const;

interface Scenario {
  what: string;
  tool: Tool;
  args: () => string[];
  env?: () => NodeJS.ProcessEnv;
  /** Time to let the tool get busy before the signal. */
  busyAfterMs: number;
  /** Checks the output directory afterwards. */
  assertOutput?: () => void;
}

describe('signals while busy', { concurrency: 2 }, () => {
  let http: HostileHttpServer;
  let stall: FaultServer;
  let oldFetch: OldFetchOutput;
  let renderOut = '';
  let renderOld: SetSnapshot = new Map();
  let secretsOut = '';
  let secretsOld: SetSnapshot = new Map();
  before(async () => {
    http = await startHttp((req, res) => {
      if (req.url === '/drip') {
        res.writeHead(200, { 'content-length': 1_000_000 });
        const timer = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(200).end(`${'a'.repeat(30_000)}!`);
    });
    stall = await startTcpFault('accept-and-stall');
    oldFetch = await prepareOldFetchOutput();
    renderOut = join(writeTree({}), 'out');
    assertSuccess(await runHostile('render-config', ['--templates', writeTree({ 'app.conf': 'old\n' }), '--out', renderOut]));
    renderOld = readSet(renderOut);
    secretsOut = join(writeTree({}), 'out');
    assertSuccess(await runHostile('copy-secrets', ['--from-dir', writeTree({ previous: 'old-value' }), '--out', secretsOut]));
    secretsOld = readSet(secretsOut);
  });
  after(async () => {
    await http.close();
    await stall.close();
  });

  const bigYaml = () => join(writeTree({ 'big.yaml': Array.from({ length: 400_000 }, (_, i) => `key${i}: [${i}, {a: b, c: [d, e]}]`).join('\n') }), 'big.yaml');

  const scenarios = (): Scenario[] => {
    let fetchOut = '';
    let render = '';
    let secrets = '';
    return [
      {
        what: 'wait-for-db waiting on a closed port',
        tool: 'wait-for-db',
        args: () => ['--timeout', '30s', 'postgres://app:pw-Sig1@127.0.0.1:1/app'],
        busyAfterMs: 500,
      },
      {
        what: 'wait-for-db matching a catastrophic regex',
        tool: 'wait-for-db',
        args: () => ['--timeout', '30s', '--http-body-match', '^(a+)+$', http.url('/as')],
        busyAfterMs: 700,
      },
      {
        what: 'fetch-and-convert-data downloading a dripping body',
        tool: 'fetch-and-convert-data',
        args: () => ['--out', (fetchOut = oldFetch.copy()), '--name', 'data.bin', http.url('/drip')],
        busyAfterMs: 700,
        assertOutput: () => oldFetch.assertKept(fetchOut),
      },
      {
        what: 'fetch-and-convert-data parsing a 15 MB YAML document',
        tool: 'fetch-and-convert-data',
        args: () => ['--out', (fetchOut = oldFetch.copy()), '--name', 'data.bin', '--convert', 'yaml:json', `file://${bigYaml()}`],
        busyAfterMs: 800,
        assertOutput: () => oldFetch.assertKept(fetchOut),
      },
      {
        what: 'render-config rendering a runaway liquid loop',
        tool: 'render-config',
        // Two nested loops with an empty body: busy for long, without reaching the memory limit.
        args: () => [
          '--templates',
          writeTree({ 'app.conf.liquid': 'x{% for a in (1..100000) %}{% for b in (1..100000) %}{% endfor %}{% endfor %}' }),
          '--out',
          (render = copyOf(renderOut)),
          '--render-timeout',
          '20s',
        ],
        busyAfterMs: 700,
        assertOutput: () => assertOldSet(render, renderOld),
      },
      // 20,000 nested {% if %} no longer keep render-config busy: the nesting limit refuses them at once
      // (render-config-templates.test.ts).
      {
        what: 'copy-secrets waiting on a stalled Secrets Manager endpoint',
        tool: 'copy-secrets',
        args: () => ['--out', (secrets = copyOf(secretsOut)), 'app/db', '--timeout', '30s'],
        env: () => ({ AWS_ENDPOINT_URL: `http://127.0.0.1:${stall.port}` }),
        busyAfterMs: 700,
        assertOutput: () => assertOldSet(secrets, secretsOld),
      },
    ];
  };

  for (const { signal, code } of signals) {
    for (const index of scenarios().keys()) {
      const label = scenarios()[index]?.what;
      test(`${signal} during ${label}: exit ${code} within ${PROMPT_MS} ms, one line, old set kept`, async () => {
        const scenario = scenarios()[index] as Scenario;
        // Killed 5 s after the signal at the latest: a tool that ignores it fails here, not at the suite's timeout.
        const started = startHostile(scenario.tool, scenario.args(), { env: scenario.env?.(), timeoutMs: scenario.busyAfterMs + 5000 });
        const child = await started.child;
        await sleep(scenario.busyAfterMs);
        const signalledAt = performance.now();
        child.kill(signal);
        const run = await started.finished;
        const afterSignal = performance.now() - signalledAt;
        assertFailure(run, code, [signal]);
        assert.ok(afterSignal < PROMPT_MS, `exited ${Math.round(afterSignal)} ms after ${signal}`);
        scenario.assertOutput?.();
      });
    }
  }
});
