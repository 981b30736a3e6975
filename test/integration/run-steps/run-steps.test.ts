// run-steps against the real services: the four tools in one process give what they give one by one,
// each step sees only its own settings, a failure names its step and keeps its exit code and
// termination message, nothing after a failing step runs, and every step's settings are checked first.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createSecret, secretsClient, uniquePrefix } from '../copy-secrets/fixtures.ts';
import { makeBucket, putObject, s3Client } from '../fetch-and-convert-data/fixtures.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { runBundle, startTool, type RunResult } from '../../helpers/run.ts';
import { freePort, selfSignedCertificate, testAwsEndpointUrl, testPgUrl, testRedisUrl } from '../../helpers/services.ts';

const CSV = 'code,name\nfr,France\nde,"Germany, Federal Republic"\n';

interface Setup {
  dir: string;
  secretName: string;
  secretValue: string;
  bucket: string;
}

/** The four jobs of the example pod, as each tool's own env (the names a separate container would get). */
function jobs(setup: Setup, out: string): Record<string, string>[] {
  return [
    { WAIT_FOR_DB_TARGETS: `${testPgUrl()}\n${testRedisUrl()}`, WAIT_FOR_DB_TIMEOUT: '20s' },
    { COPY_SECRETS_SECRETS: `${setup.secretName}?as=db_password`, COPY_SECRETS_OUT: join(out, 'secrets'), COPY_SECRETS_TIMEOUT: '20s' },
    {
      FETCH_AND_CONVERT_DATA_SOURCE: `s3://${setup.bucket}/countries.csv`,
      FETCH_AND_CONVERT_DATA_CONVERT: 'csv:ndjson',
      FETCH_AND_CONVERT_DATA_OUT: join(out, 'data'),
      FETCH_AND_CONVERT_DATA_NAME: 'countries.ndjson',
    },
    {
      RENDER_CONFIG_TEMPLATES: join(setup.dir, 'templates'),
      RENDER_CONFIG_SECRETS_DIR: join(out, 'secrets'),
      RENDER_CONFIG_OUT: join(out, 'config'),
      RENDER_CONFIG_SECRET_VARS: 'db_password',
      APP_NAME: 'billing',
    },
  ];
}
const STEPS = ['db=wait-for-db', 'secrets=copy-secrets', 'data=fetch-and-convert-data', 'config=render-config'];

/** The env of run-steps for these per-step envs: STEP<n>_<VAR>. */
function stepEnv(perStep: Record<string, string>[]): Record<string, string> {
  return Object.fromEntries(perStep.flatMap((env, i) => Object.entries(env).map(([name, value]) => [`STEP${i + 1}_${name}`, value])));
}

async function runSteps(
  args: string[],
  env: Record<string, string>,
  termination = join(tempDir('rs-term-'), 'termination-log'),
): Promise<RunResult & { termination: string }> {
  writeFileSync(termination, '');
  const result = await runBundle('run-steps', args, { env: { AWS_ENDPOINT_URL: testAwsEndpointUrl(), TERMINATION_LOG_PATH: termination, ...env } });
  return { ...result, termination: readFileSync(termination, 'utf8') };
}

function errorLines(result: RunResult): Record<string, unknown>[] {
  return result.logs.filter((l) => l.level === 'error');
}

describe('run-steps', () => {
  const setup = {} as Setup;
  before(async () => {
    setup.dir = tempDir('rs-');
    mkdirSync(join(setup.dir, 'templates'));
    writeFileSync(join(setup.dir, 'templates', 'app.env'), 'APP=${APP_NAME}\nDB_PASSWORD=${db_password}\n');
    setup.secretName = `${uniquePrefix('run-steps')}db`;
    setup.secretValue = `pw-${Date.now().toString(36)}-s3cr3t`;
    await createSecret(secretsClient(), setup.secretName, setup.secretValue);
    const s3 = s3Client();
    setup.bucket = await makeBucket(s3, 'run-steps');
    await putObject(s3, setup.bucket, 'countries.csv', CSV);
  });

  test('the four tools in one process write exactly what they write as four processes', async () => {
    const alone = tempDir('rs-alone-');
    const tools = ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config'];
    for (const [i, env] of jobs(setup, alone).entries()) {
      const result = await runBundle(tools[i] as string, [], { env: { AWS_ENDPOINT_URL: testAwsEndpointUrl(), ...env } });
      assert.equal(result.code, 0, result.stderr);
    }
    const together = tempDir('rs-together-');
    const result = await runSteps(STEPS, stepEnv(jobs(setup, together)));
    assert.equal(result.code, 0, result.stderr);
    for (const volume of ['secrets', 'data', 'config']) {
      // fetch-and-convert-data writes plain files, not a set.
      const a = readPublished(join(alone, volume), { set: volume !== 'data' });
      const b = readPublished(join(together, volume), { set: volume !== 'data' });
      assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), volume);
      // Manifests carry the time of the run.
      for (const [name, bytes] of a) if (!name.endsWith('manifest.json')) assert.deepEqual(b.get(name), bytes, `${volume}/${name}`);
    }
    assert.equal(readPublished(join(together, 'config')).get('app.env')?.toString(), `APP=billing\nDB_PASSWORD=${setup.secretValue}\n`);
    // Every line of a step names it; the runner's summary lists the steps in order.
    for (const line of result.logs.filter((l) => l.tool !== 'run-steps'))
      assert.ok(['db', 'secrets', 'data', 'config'].includes(line.step as string), JSON.stringify(line));
    const summary = result.logs.at(-1) as { tool: string; msg: string; steps: { step: string; tool: string }[] };
    assert.equal(summary.tool, 'run-steps');
    assert.equal(summary.msg, 'all 4 steps done');
    assert.deepEqual(
      summary.steps.map((s) => `${s.step}=${s.tool}`),
      STEPS,
    );
    assert.ok(!result.stderr.includes(setup.secretValue), 'a secret value reached the log');
  });

  test("two AWS clients in one run compile the SDK's shared core once, and each package once", async () => {
    const out = tempDir('rs-shared-');
    const [, secrets, data] = jobs(setup, out);
    const result = await runSteps(['secrets=copy-secrets', 'data=fetch-and-convert-data'], {
      NODE_OPTIONS: `--require ${new URL('../../helpers/lazy-compile-report.cjs', import.meta.url).pathname}`,
      ...stepEnv([secrets as Record<string, string>, data as Record<string, string>]),
    });
    assert.equal(result.code, 0, result.stderr);
    const compiled = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('lazy-compile '))
      .map((line) => line.split(' ')[1])
      .sort();
    assert.deepEqual(compiled, ['(shared)', '@aws-sdk/client-s3', '@aws-sdk/client-secrets-manager']);
  });

  test("a step sees its own settings and the shared ones, never another step's", async () => {
    const out = tempDir('rs-env-');
    mkdirSync(join(out, 'templates'));
    writeFileSync(join(out, 'templates', 'a.txt'), 'shared=${SHARED}\n');
    writeFileSync(join(out, 'templates', 'b.txt'), 'leak=${ONLY_FIRST}\n');
    const first = {
      RENDER_CONFIG_TEMPLATES: join(out, 'templates'),
      RENDER_CONFIG_INCLUDE: 'a.txt',
      RENDER_CONFIG_OUT: join(out, 'first'),
      ONLY_FIRST: 'from-step-1',
    };
    const second = { RENDER_CONFIG_TEMPLATES: join(out, 'templates'), RENDER_CONFIG_INCLUDE: 'b.txt', RENDER_CONFIG_OUT: join(out, 'second') };
    const result = await runSteps(['one=render-config', 'two=render-config'], { SHARED: 'for-all', ...stepEnv([first, second]) });
    assert.equal(readFileSync(join(out, 'first', 'a.txt'), 'utf8'), 'shared=for-all\n');
    // Step 2 renders with its own include and out, and ONLY_FIRST is not set for it.
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.termination, /^step two \(render-config\): .*variable ONLY_FIRST is not set/);
    assert.ok(!existsSync(join(out, 'second')));
  });

  test('a failing step ends the run with its exit code, one line naming it and its termination message; later steps never run', async () => {
    const out = tempDir('rs-fail-');
    const [wait, , fetch, render] = jobs(setup, out);
    const missing = { COPY_SECRETS_SECRETS: `${uniquePrefix('run-steps')}missing`, COPY_SECRETS_OUT: join(out, 'secrets'), COPY_SECRETS_TIMEOUT: '20s' };
    const result = await runSteps(STEPS, stepEnv([wait as Record<string, string>, missing, fetch as Record<string, string>, render as Record<string, string>]));
    assert.equal(result.code, 3, result.stderr);
    const errors = errorLines(result);
    assert.equal(errors.length, 1, result.stderr);
    assert.equal(errors[0]?.tool, 'run-steps');
    assert.equal(errors[0]?.step, 'secrets');
    assert.match(String(errors[0]?.msg), /^step secrets \(copy-secrets\): .*missing/);
    assert.equal(result.termination, errors[0]?.msg);
    assert.ok(
      result.logs.some((l) => l.step === 'db' && l.msg === 'all targets ready'),
      'step 1 ran',
    );
    assert.ok(!result.logs.some((l) => l.step === 'data' || l.step === 'config'), 'a step after the failure ran');
    assert.ok(!existsSync(join(out, 'data')) && !existsSync(join(out, 'config')));
  });

  test("each tool's exit code is kept: invalid input 4, deadline 124", async () => {
    const dir = tempDir('rs-codes-');
    writeFileSync(join(dir, 'bad.json'), '{"a": ');
    const bad = await runSteps(
      ['convert=fetch-and-convert-data'],
      stepEnv([
        {
          FETCH_AND_CONVERT_DATA_SOURCE: `file://${join(dir, 'bad.json')}`,
          FETCH_AND_CONVERT_DATA_CONVERT: 'json:yaml',
          FETCH_AND_CONVERT_DATA_OUT: join(dir, 'out'),
        },
      ]),
    );
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(bad.termination, /^step convert \(fetch-and-convert-data\): /);
    const port = await freePort();
    const late = await runSteps(['db=wait-for-db'], stepEnv([{ WAIT_FOR_DB_TARGETS: `tcp://127.0.0.1:${port}`, WAIT_FOR_DB_TIMEOUT: '1s' }]));
    assert.equal(late.code, 124, late.stderr);
    assert.match(late.termination, new RegExp(`^step db \\(wait-for-db\\): deadline of 1s reached.*127\\.0\\.0\\.1:${port}`));
  });

  test('a whole-document conversion runs its worker thread from the run-steps bundle', async () => {
    const dir = tempDir('rs-worker-');
    writeFileSync(join(dir, 'in.json'), JSON.stringify({ b: [1, 2], a: 'x' }));
    const result = await runSteps(
      ['convert=fetch-and-convert-data'],
      stepEnv([
        {
          FETCH_AND_CONVERT_DATA_SOURCE: `file://${join(dir, 'in.json')}`,
          FETCH_AND_CONVERT_DATA_CONVERT: 'json:yaml',
          FETCH_AND_CONVERT_DATA_OUT: join(dir, 'out'),
          FETCH_AND_CONVERT_DATA_NAME: 'in.yaml',
        },
      ]),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(dir, 'out', 'in.yaml'), 'utf8'), 'b:\n  - 1\n  - 2\na: x\n');
  });

  test('a liquid template that outgrows the main thread renders on its worker thread from the run-steps bundle', async () => {
    const dir = tempDir('rs-liquid-worker-');
    // 900,000 writes grow the heap past the main thread's heap budget; the worker renders the 9 MB.
    writeFileSync(join(dir, 'big.txt.liquid'), '{% for a in (1..300) %}{% for b in (1..3000) %}{{ word }}{% endfor %}{% endfor %}');
    const result = await runSteps(['config=render-config'], {
      ...stepEnv([{ RENDER_CONFIG_TEMPLATES: dir, RENDER_CONFIG_OUT: join(dir, 'out'), RENDER_CONFIG_ENV_VARS: 'word' }]),
      word: 'xxxxxxxxxx',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(dir, 'out', 'big.txt'), 'utf8'), 'x'.repeat(9_000_000));
  });

  test("a mistake in a later step's settings fails the run before the first step starts", async () => {
    const port = await freePort();
    const started = performance.now();
    const result = await runSteps(
      ['db=wait-for-db', 'config=render-config'],
      stepEnv([{ WAIT_FOR_DB_TARGETS: `tcp://127.0.0.1:${port}`, WAIT_FOR_DB_TIMEOUT: '30s' }, { RENDER_CONFIG_SYNTAX: 'jinja' }]),
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.termination, /^step config \(render-config\): .*jinja/);
    assert.ok(!result.logs.some((l) => l.step === 'db'), 'step 1 started');
    assert.ok(performance.now() - started < 10_000, 'the run waited for step 1');
  });

  test("every tool's own plan checks (not only its flags) run for every step before the first starts", async () => {
    const port = await freePort();
    const dir = tempDir('rs-plan-');
    const later: [string, Record<string, string>, RegExp][] = [
      [
        'data=fetch-and-convert-data',
        {
          FETCH_AND_CONVERT_DATA_SOURCE: `file://${join(dir, 'in.csv')}`,
          FETCH_AND_CONVERT_DATA_CONVERT: 'csv:nope',
          FETCH_AND_CONVERT_DATA_OUT: join(dir, 'data'),
        },
        /^step data \(fetch-and-convert-data\): .*nope/,
      ],
      [
        'secrets=copy-secrets',
        { COPY_SECRETS_SECRETS: 'app/db', COPY_SECRETS_STRIP_PREFIX: 'true', COPY_SECRETS_OUT: join(dir, 'secrets') },
        /^step secrets \(copy-secrets\): --strip-prefix needs --prefix/,
      ],
      ['config=render-config', { RENDER_CONFIG_TEMPLATES: dir }, /^step config \(render-config\): --out is required/],
      ['db2=wait-for-db', { WAIT_FOR_DB_TARGETS: 'postgres://app@db:notaport/app' }, /^step db2 \(wait-for-db\): .*postgres:\/\/app@db:notaport\/app/],
    ];
    for (const [step, env, message] of later) {
      const started = performance.now();
      const result = await runSteps(['db=wait-for-db', step], stepEnv([{ WAIT_FOR_DB_TARGETS: `tcp://127.0.0.1:${port}`, WAIT_FOR_DB_TIMEOUT: '20s' }, env]));
      assert.equal(result.code, 2, `${step}: ${result.stderr}`);
      assert.match(result.termination, message, step);
      assert.ok(!result.logs.some((l) => l.step === 'db'), `${step}: step 1 started before the mistake in step 2 was found`);
      assert.ok(performance.now() - started < 10_000, `${step}: the run waited for step 1`);
    }
  });

  test('a config file an earlier step writes is read when its step starts, not before the first step', async () => {
    const dir = tempDir('rs-config-');
    mkdirSync(join(dir, 'templates'));
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'old.csv'), 'a\nold\n');
    writeFileSync(join(dir, 'in', 'new.csv'), 'a\nnew\n');
    writeFileSync(join(dir, 'templates', 'fetch.yaml'), 'out: ${OUT}\nname: picked.csv\nsources:\n  - file://${SOURCE}\n');
    const render = {
      RENDER_CONFIG_TEMPLATES: join(dir, 'templates'),
      RENDER_CONFIG_OUT: join(dir, 'config'),
      OUT: join(dir, 'data'),
      SOURCE: join(dir, 'in', 'new.csv'),
    };
    const fetch = { FETCH_AND_CONVERT_DATA_CONFIG: join(dir, 'config', 'fetch.yaml') };
    // The first run: the file does not exist before step 1 writes it.
    const first = await runSteps(['config=render-config', 'data=fetch-and-convert-data'], stepEnv([render, fetch]));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(readFileSync(join(dir, 'data', 'picked.csv'), 'utf8'), 'a\nnew\n');
    // A rerun (the container restarted over the same volumes) with another source: step 2 reads the file
    // step 1 wrote now, not the one it found before step 1 ran.
    const second = await runSteps(['config=render-config', 'data=fetch-and-convert-data'], stepEnv([{ ...render, SOURCE: join(dir, 'in', 'old.csv') }, fetch]));
    assert.equal(second.code, 0, second.stderr);
    assert.equal(readFileSync(join(dir, 'data', 'picked.csv'), 'utf8'), 'a\nold\n');
  });

  test('a secret fetched by one step is masked in the failure of a later one', async () => {
    const out = tempDir('rs-mask-');
    const [, secrets] = jobs(setup, out);
    const leak = { FETCH_AND_CONVERT_DATA_SOURCE: `file:///nonexistent/${setup.secretValue}.csv`, FETCH_AND_CONVERT_DATA_OUT: join(out, 'data') };
    const result = await runSteps(['secrets=copy-secrets', 'data=fetch-and-convert-data'], stepEnv([secrets as Record<string, string>, leak]));
    assert.notEqual(result.code, 0);
    assert.match(result.termination, /^step data \(fetch-and-convert-data\): /);
    assert.ok(!result.stderr.includes(setup.secretValue), `secret in the log: ${result.stderr}`);
    assert.ok(!result.termination.includes(setup.secretValue), `secret in the termination message: ${result.termination}`);
  });

  test('SIGTERM during a step ends the run with 143 and no later step runs', async () => {
    const port = await freePort();
    const dir = tempDir('rs-term-');
    const termination = join(dir, 'termination-log');
    writeFileSync(termination, '');
    const run = startTool('run-steps', ['db=wait-for-db', 'config=render-config'], {
      env: {
        TERMINATION_LOG_PATH: termination,
        ...stepEnv([
          { WAIT_FOR_DB_TARGETS: `tcp://127.0.0.1:${port}`, WAIT_FOR_DB_TIMEOUT: '60s' },
          { RENDER_CONFIG_TEMPLATES: dir, RENDER_CONFIG_OUT: join(dir, 'out') },
        ]),
      },
    });
    await run.stderrMatches(/"step":"db"/);
    (await run.child).kill('SIGTERM');
    const result = await run.result;
    assert.equal(result.code, 143, result.stderr);
    // The line and the termination message say which step was stopped, as a container of its own would.
    assert.equal(readFileSync(termination, 'utf8'), 'step db (wait-for-db): interrupted by SIGTERM');
    assert.deepEqual(
      errorLines(result).map((l) => [l.msg, l.step]),
      [['step db (wait-for-db): interrupted by SIGTERM', 'db']],
    );
    assert.ok(!result.logs.some((l) => l.step === 'config'));
    assert.ok(!existsSync(join(dir, 'out')));
  });

  test('bad step lists and stray STEP<n>_ variables are usage errors that say what to fix', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], {}, /no steps: name them in order as arguments NAME=TOOL \(or in RUN_STEPS_STEPS\)/],
      [['db=wait-for-bd'], {}, /step "db=wait-for-bd": unknown tool "wait-for-bd" \(did you mean wait-for-db\?\)/],
      [['Db=wait-for-db'], {}, /the name "Db" must be lowercase/],
      [['a=wait-for-db', 'a=render-config'], {}, /step name "a" is given twice/],
      [['a=wait-for-db'], { STEP2_WAIT_FOR_DB_TIMEOUT: '1s' }, /env STEP2_WAIT_FOR_DB_TIMEOUT is for no step: .*\(1: a\)/],
      [['a=wait-for-db'], { STEP01_X: '1' }, /env STEP01_X is for no step/],
      [['a=wait-for-db'], { STEP1_WAIT_FOR_DB_TIMOUT: '1s' }, /step a \(wait-for-db\): .*WAIT_FOR_DB_TIMOUT/],
    ];
    for (const [args, env, message] of cases) {
      const result = await runSteps(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.termination, message);
      assert.equal(errorLines(result).length, 1, result.stderr);
    }
  });

  test('two S3 steps each use their own endpoint and credentials (no S3 client is kept from the step before)', async () => {
    // A recording proxy in front of moto: the second step's endpoint. Moto takes any access key.
    const seen: string[] = [];
    const moto = new URL(testAwsEndpointUrl());
    const proxy = createServer((req, res) => {
      seen.push(/Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'none');
      const upstream = request({ host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    try {
      const port = (proxy.address() as { port: number }).port;
      const out = tempDir('rs-s3-');
      const fetch = (name: string) => ({ FETCH_AND_CONVERT_DATA_SOURCE: `s3://${setup.bucket}/countries.csv`, FETCH_AND_CONVERT_DATA_OUT: join(out, name) });
      const result = await runSteps(
        ['one=fetch-and-convert-data', 'two=fetch-and-convert-data'],
        stepEnv([fetch('one'), { ...fetch('two'), AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'STEPTWOKEY' }]),
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(readFileSync(join(out, 'two', 'countries.csv'), 'utf8'), CSV);
      assert.ok(seen.length > 0, "step two's requests did not go to its own endpoint");
      assert.deepEqual([...new Set(seen)], ['STEPTWOKEY'], "step two's requests were not signed with its own access key");
    } finally {
      proxy.close();
    }
  });

  test("Node's start-up variables (NODE_EXTRA_CA_CERTS, NODE_OPTIONS) are refused as one step's own: the process has started already", async () => {
    const dir = tempDir('rs-ca-');
    const tls = selfSignedCertificate(dir);
    const server = createHttpsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (_request, response) => response.end('{"a":1}\n'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const fetch = {
        FETCH_AND_CONVERT_DATA_SOURCE: `https://127.0.0.1:${(server.address() as { port: number }).port}/a.ndjson`,
        FETCH_AND_CONVERT_DATA_OUT: join(dir, 'out'),
      };
      const own = await runSteps(['data=fetch-and-convert-data'], stepEnv([{ ...fetch, NODE_EXTRA_CA_CERTS: tls.cert }]));
      assert.equal(own.code, 2, own.stderr);
      assert.match(own.termination, /^env STEP1_NODE_EXTRA_CA_CERTS: Node\.js reads NODE_EXTRA_CA_CERTS once for the whole process.*shared/);
      assert.ok(!existsSync(join(dir, 'out')));
      const options = await runSteps(['data=fetch-and-convert-data'], stepEnv([{ ...fetch, NODE_OPTIONS: '--max-old-space-size=64' }]));
      assert.equal(options.code, 2, options.stderr);
      assert.match(options.termination, /^env STEP1_NODE_OPTIONS: /);
      // Shared, it is the process's, and the step trusts the certificate.
      const shared = await runSteps(['data=fetch-and-convert-data'], { NODE_EXTRA_CA_CERTS: tls.cert, ...stepEnv([fetch]) });
      assert.equal(shared.code, 0, shared.stderr);
      assert.equal(readFileSync(join(dir, 'out', 'a.ndjson'), 'utf8'), '{"a":1}\n');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  test('the steps can also come from RUN_STEPS_STEPS', async () => {
    const dir = tempDir('rs-list-');
    writeFileSync(join(dir, 't.txt'), 'x=${X}\n');
    const result = await runSteps([], {
      RUN_STEPS_STEPS: 'one=render-config,two=render-config',
      ...stepEnv([
        { RENDER_CONFIG_TEMPLATES: join(dir, 't.txt'), RENDER_CONFIG_OUT: join(dir, 'a'), X: '1' },
        { RENDER_CONFIG_TEMPLATES: join(dir, 't.txt'), RENDER_CONFIG_OUT: join(dir, 'b'), X: '2' },
      ]),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(dir, 'a', 't.txt'), 'utf8'), 'x=1\n');
    assert.equal(readFileSync(join(dir, 'b', 't.txt'), 'utf8'), 'x=2\n');
  });
});
