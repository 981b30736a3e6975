// The IAM policies the docs publish, applied as published to a role on a moto that enforces IAM
// (test/helpers/moto-iam), the tools getting that role's credentials as on EKS with IRSA: a web identity
// token (a projected service-account token's claims, signed by the test's own OIDC issuer) exchanged at
// STS through the SDK's default chain. Each policy is proven sufficient (the tool succeeds with exactly
// it) and needed (without any one of its actions the tool fails with exit 3, its line naming that
// action). kms:Decrypt is published for customer managed keys only; moto's Secrets Manager and S3 never
// call KMS, so its need cannot be shown here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createOidcProvider, MOTO_ACCOUNT, startMotoIam, testIssuer, type MotoIam } from '../../helpers/moto-iam.ts';
import { actionsOf, publishedExamples, publishedPolicies, withoutAction, type PolicyDocument } from '../../helpers/published-policies.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine, runBundle, type RunResult } from '../../helpers/run.ts';

const REGION = 'eu-west-1';
const SERVICE_ACCOUNT = 'system:serviceaccount:apps:example-app';
const issuer = testIssuer();
const credentials = { accessKeyId: 'setup', secretAccessKey: 'setup' };
let moto: MotoIam;
let trust: PolicyDocument;
let tokenFile: string;

/** The docs' sample account is moto's account here; the secrets and buckets below are the docs' names. */
const copySecretsPolicies = (): PolicyDocument[] => publishedPolicies('docs/copy-secrets.md', '## IAM', { '111122223333': MOTO_ACCOUNT });
const fetchPolicy = (): PolicyDocument => only(publishedPolicies('docs/fetch-and-convert-data.md', '## IAM policy', { '111122223333': MOTO_ACCOUNT }));
const examplePolicies = (providerArn: string): PolicyDocument[] =>
  publishedPolicies('charts/example-app/README.md', '## On a real cluster (EKS)', {
    'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/<OIDC ID>': providerArn,
    'oidc.eks.eu-west-1.amazonaws.com/id/<OIDC ID>': providerArn.slice(providerArn.indexOf('/') + 1),
  });

function only<T>(items: T[]): T {
  assert.equal(items.length, 1, 'expected one published policy in the section');
  return items[0] as T;
}

before(async () => {
  moto = await startMotoIam({ [issuer.url]: issuer.jwks });
  tokenFile = join(tempDir('irsa-'), 'token');
  writeFileSync(tokenFile, issuer.token({ sub: SERVICE_ACCOUNT }));
  await moto.unenforced(async () => {
    const providerArn = await createOidcProvider(moto, issuer.url);
    const example = examplePolicies(providerArn);
    assert.equal(example.length, 2, 'the chart README publishes the permission policy and the trust policy');
    trust = example[1] as PolicyDocument;
    const secrets = new SecretsManagerClient({ endpoint: moto.url, region: REGION, credentials });
    const secret = (Name: string, value: string, team?: string) =>
      secrets.send(new CreateSecretCommand({ Name, SecretString: value, Tags: team ? [{ Key: 'team', Value: team }] : undefined }));
    await secret('app/db', '{"username":"app","password":"db-secret-1"}');
    await secret('app/other', 'not-for-this-role');
    await secret('app/prod/a', 'prod-a-secret');
    await secret('app/prod/b', 'prod-b-secret');
    await secret('pay/one', 'pay-one-secret', 'payments');
    await secret('pay/two', 'pay-two-secret', 'payments');
    await secret('example-app/db', '{"username":"app","password":"example-db-secret"}');
    await secret('example-app/api-key', 'example-api-key');
    const ssm = new SSMClient({ endpoint: moto.url, region: REGION, credentials });
    for (const [Name, Value] of [
      ['/app/params/db/password', 'param-pw'],
      ['/app/params/prod/a', 'param-a'],
      ['/app/params/prod/deeper/b', 'param-b'],
      ['/app/other-param', 'not-for-this-role'],
    ]) {
      await ssm.send(new PutParameterCommand({ Name, Value, Type: 'SecureString' }));
    }
    const s3 = new S3Client({ endpoint: moto.url, region: REGION, credentials, forcePathStyle: true });
    for (const Bucket of ['acme-exports', 'acme-models', 'example-app-data']) {
      await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
      // Versioned: a GET that asked for the version by id would need s3:GetObjectVersion, which is not published.
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    }
    const put = (Bucket: string, Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
    await put('acme-exports', 'daily/users.csv', 'id,name\n1,ada\n');
    await put('acme-exports', 'daily/more.csv', 'id,name\n2,bob\n');
    await put('acme-exports', 'weekly/users.csv', 'id,name\n3,cy\n');
    await put('acme-exports', 'daily/SHA256SUMS', `${createHash('sha256').update('id,name\n1,ada\n').digest('hex')}  users.csv\n`);
    await put('acme-models', 'v3/model.bin', 'weights');
    await put('acme-exports', 'odd/a*b$.csv', 'id\n1\n');
    await put('acme-exports', 'odd/aXXb$.csv', 'id\n2\n');
    await put('example-app-data', 'exports/countries.csv', 'code,name\nfr,France\n');
  });
});
after(() => moto?.stop());

/** Runs a tool with the role's web identity credentials only (no access keys in its environment). */
async function runAs(policy: PolicyDocument, tool: string, args: string[]): Promise<RunResult> {
  const roleArn = await moto.unenforced(() => moto.putRole('init', trust, policy.Statement.length > 0 ? policy : undefined));
  return runBundle(tool, ['--out', join(tempDir('iam-out-'), 'out'), ...args], {
    cleanEnv: true,
    env: { PATH: process.env.PATH, AWS_REGION: REGION, AWS_ENDPOINT_URL: moto.url, AWS_ROLE_ARN: roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile },
  });
}

function assertSucceeds(run: RunResult, what: string): void {
  assert.equal(run.code, 0, `${what}: ${run.stderr}`);
}

function assertDenied(run: RunResult, action: string, what: string): void {
  assert.equal(run.code, 3, `${what}: expected exit 3, got ${run.code}: ${run.stderr}`);
  assert.match(failureLine(run).msg, /access denied/, what);
  assert.ok(failureLine(run).msg.includes(action), `${what}: the line names ${action}: ${run.stderr}`);
}

/** One use of a published policy: a tool run, and the actions that run needs. */
interface Use {
  tool: string;
  args: string[];
  needs: string[];
}

/**
 * Every use succeeds with the policy; each use fails with exit 3 naming the action when one it needs is
 * removed; and together the uses need every action the policy allows (kms:* aside), so none is spare.
 */
async function provePolicy(policy: PolicyDocument, uses: Use[]): Promise<void> {
  const needed = new Set(uses.flatMap((u) => u.needs));
  assert.deepEqual(
    actionsOf(policy).filter((a) => !a.startsWith('kms:') && !needed.has(a)),
    [],
    'an action of the published policy that no use needs',
  );
  for (const { tool, args, needs } of uses) {
    const what = `${tool} ${args.join(' ')}`;
    assertSucceeds(await runAs(policy, tool, args), `${what} with the published policy`);
    for (const action of needs) assertDenied(await runAs(withoutAction(policy, action), tool, args), action, `${what} without ${action}`);
  }
}

const BATCH = 'secretsmanager:BatchGetSecretValue';
const GET = 'secretsmanager:GetSecretValue';
const LIST = 'secretsmanager:ListSecrets';

describe('copy-secrets: the policies of docs/copy-secrets.md#iam', () => {
  test('named secrets: BatchGetSecretValue and GetSecretValue on them, each needed; another secret is denied', async () => {
    const [named] = copySecretsPolicies();
    await provePolicy(named as PolicyDocument, [
      { tool: 'copy-secrets', args: ['app/db'], needs: [BATCH, GET] },
      { tool: 'copy-secrets', args: ['app/db#password'], needs: [BATCH, GET] },
    ]);
    assertDenied(await runAs(named as PolicyDocument, 'copy-secrets', ['app/other']), GET, 'a secret the policy does not name');
  });

  test('named secrets with a stage: GetSecretValue on them is all that is needed', async () => {
    const [, stage] = copySecretsPolicies();
    await provePolicy(stage as PolicyDocument, [{ tool: 'copy-secrets', args: ['app/db?stage=AWSCURRENT'], needs: [GET] }]);
  });

  test('--prefix app/prod/: BatchGetSecretValue, ListSecrets and GetSecretValue on the prefix, each needed', async () => {
    const [, , prefix] = copySecretsPolicies();
    await provePolicy(prefix as PolicyDocument, [{ tool: 'copy-secrets', args: ['--prefix', 'app/prod/'], needs: [BATCH, LIST, GET] }]);
    assertDenied(await runAs(prefix as PolicyDocument, 'copy-secrets', ['--prefix', 'app/']), GET, '--prefix app/ reaches secrets outside app/prod/');
  });

  test('--tag team=payments: the listing actions with GetSecretValue limited to the tag, each needed', async () => {
    const [, , , tag] = copySecretsPolicies();
    await provePolicy(tag as PolicyDocument, [{ tool: 'copy-secrets', args: ['--tag', 'team=payments'], needs: [BATCH, LIST, GET] }]);
    assertDenied(await runAs(tag as PolicyDocument, 'copy-secrets', ['app/db']), GET, 'a secret without the tag');
  });
});

describe('fetch-and-convert-data: the policy of docs/fetch-and-convert-data.md#iam-policy', () => {
  test('a prefix needs s3:ListBucket (with its s3:prefix condition) and s3:GetObject, an object s3:GetObject, on versioned buckets', async () => {
    await provePolicy(fetchPolicy(), [
      { tool: 'fetch-and-convert-data', args: ['s3://acme-exports/daily/'], needs: ['s3:ListBucket', 's3:GetObject'] },
      { tool: 'fetch-and-convert-data', args: ['s3://acme-models/v3/model.bin'], needs: ['s3:GetObject'] },
    ]);
  });

  test('outside the published resources: an object and a prefix are denied, naming what the role needs', async () => {
    assertDenied(await runAs(fetchPolicy(), 'fetch-and-convert-data', ['s3://acme-exports/weekly/users.csv']), 's3:GetObject', 'another key');
    assertDenied(await runAs(fetchPolicy(), 'fetch-and-convert-data', ['s3://acme-exports/weekly/']), 's3:ListBucket', 'another prefix');
  });
});

/** Splits a documented command line into words (plain words, '...' and "..."), as sh would. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? (m[3] as string));
}

/** Runs `[VAR=value ...] TOOL --print-iam-policy ...` with the built bundle; returns the printed policy. */
async function printed(command: string): Promise<PolicyDocument> {
  const words = shellWords(command);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name as string] = value.join('=');
  }
  const tool = words.shift() as string;
  const run = await runBundle(tool, words, { cleanEnv: true, env: { PATH: process.env.PATH, ...env } });
  assert.equal(run.code, 0, `${command}: ${run.stderr}`);
  return JSON.parse(run.stdout) as PolicyDocument;
}

describe("--print-iam-policy: the published policies are the tools' own output, and what it prints is proven", () => {
  const published: Array<[string, string]> = [
    ['docs/copy-secrets.md', '## IAM'],
    ['docs/fetch-and-convert-data.md', '## IAM policy'],
    ['docs/wait-for-db.md', '## RDS IAM database authentication'],
    ['charts/example-app/README.md', '## On a real cluster (EKS)'],
  ];
  for (const [file, heading] of published) {
    test(`${file}: each policy shown after its commands is what they print`, async () => {
      const examples = publishedExamples(file, heading).filter((e) => e.commands.length > 0);
      assert.ok(examples.length > 0, `${file} shows the commands that print its policies`);
      for (const { commands, policy } of examples) {
        const statements = (await Promise.all(commands.map(printed))).flatMap((p) => p.Statement);
        assert.deepEqual(policy, { Version: '2012-10-17', Statement: statements }, commands.join('\n'));
      }
    });
  }

  /** The policy the tool prints for these arguments, for this moto's account and region. */
  const policyFor = (tool: string, args: string[]): Promise<PolicyDocument> =>
    printed(`AWS_REGION=${REGION} ${tool} --print-iam-policy --aws-account-id ${MOTO_ACCOUNT} ${args.map((a) => `'${a}'`).join(' ')}`);

  const configurations: Array<[string, string, string[]]> = [
    ['copy-secrets', 'named secrets, one at a version stage', ['app/db', 'app/prod/a?stage=AWSCURRENT']],
    ['copy-secrets', 'a prefix and a named secret', ['--prefix', 'app/prod/', 'app/db#password']],
    ['copy-secrets', 'a tag and a named secret', ['--tag', 'team=payments', 'example-app/api-key']],
    ['copy-secrets', 'SSM parameters by name and by path, beside a secret', ['ssm:/app/params/db/password', 'ssm:/app/params/prod/', 'app/db']],
    [
      'fetch-and-convert-data',
      'objects and a prefix in three buckets',
      ['s3://acme-exports/daily/', 's3://acme-models/v3/model.bin', 's3://example-app-data/exports/countries.csv'],
    ],
    [
      'fetch-and-convert-data',
      'an object checked against a checksum file in S3',
      ['--sha256-from', 's3://acme-exports/daily/SHA256SUMS', 's3://acme-exports/daily/users.csv'],
    ],
  ];
  for (const [tool, what, args] of configurations) {
    test(`${tool}, ${what}: the printed policy is enough, and each of its actions needed`, async () => {
      const policy = await policyFor(tool, args);
      await provePolicy(policy, [{ tool, args, needs: actionsOf(policy) }]);
    });
  }

  test('a key holding IAM wildcard characters (*, $) is printed escaped: enough for it, nothing for its look-alikes', async () => {
    const policy = await policyFor('fetch-and-convert-data', ['--name', 'odd.csv', 's3://acme-exports/odd/a*b$.csv']);
    assert.deepEqual(policy.Statement[0]?.Resource, ['arn:aws:s3:::acme-exports/odd/a${*}b${$}.csv']);
    await provePolicy(policy, [{ tool: 'fetch-and-convert-data', args: ['--name', 'odd.csv', 's3://acme-exports/odd/a*b$.csv'], needs: ['s3:GetObject'] }]);
    assertDenied(
      await runAs(policy, 'fetch-and-convert-data', ['--name', 'odd.csv', 's3://acme-exports/odd/aXXb$.csv']),
      's3:GetObject',
      'an object the unescaped pattern would have matched',
    );
  });

  test('SSM: a parameter outside the printed policy is denied, naming ssm:GetParameters', async () => {
    const policy = await policyFor('copy-secrets', ['ssm:/app/params/db/password']);
    assertDenied(
      await runAs(policy, 'copy-secrets', ['ssm:/app/params/db/password', 'ssm:/app/other-param']),
      'ssm:GetParameters',
      'a parameter the policy does not name',
    );
  });

  test('a config file with jobs: fetch-and-convert-data prints the policy of every job', async () => {
    const config = join(tempDir('iam-config-'), 'jobs.yaml');
    writeFileSync(config, 'jobs:\n  - source: s3://acme-exports/daily/users.csv\n    name: users.csv\n  - source: s3://acme-models/v3/\n    name: models\n');
    const policy = await policyFor('fetch-and-convert-data', ['--config', config]);
    assert.deepEqual(new Set(actionsOf(policy)), new Set(['s3:GetObject', 's3:ListBucket']));
    await provePolicy(policy, [{ tool: 'fetch-and-convert-data', args: ['--config', config], needs: ['s3:GetObject', 's3:ListBucket'] }]);
  });
});

describe('the example chart README: its policy and its IRSA trust policy', () => {
  const providerArn = `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${issuer.url.replace('https://', '')}`;

  test("the chart's copy-secrets and fetch-and-convert-data settings: the published policy is enough, each action needed", async () => {
    const [policy] = examplePolicies(providerArn);
    await provePolicy(policy as PolicyDocument, [
      { tool: 'copy-secrets', args: ['example-app/db?as=db.json', 'example-app/api-key?as=api_key'], needs: [BATCH, GET] },
      { tool: 'fetch-and-convert-data', args: ['s3://example-app-data/exports/countries.csv'], needs: ['s3:GetObject'] },
    ]);
  });

  test('the trust policy admits exactly the service account and audience: any other token is exit 3, nothing written', async () => {
    const [policy] = examplePolicies(providerArn);
    const other = testIssuer(issuer.url);
    const tokens: Record<string, string> = {
      'another service account': issuer.token({ sub: 'system:serviceaccount:apps:other' }),
      'another namespace': issuer.token({ sub: 'system:serviceaccount:default:example-app' }),
      'another audience': issuer.token({ sub: SERVICE_ACCOUNT, aud: 'vault' }),
      'an expired token': issuer.token({ sub: SERVICE_ACCOUNT, exp: Math.floor(Date.now() / 1000) - 60 }),
      'a token signed by another key': other.token({ sub: SERVICE_ACCOUNT }),
    };
    const roleArn = await moto.unenforced(() => moto.putRole('init', trust, policy));
    for (const [what, token] of Object.entries(tokens)) {
      const file = join(tempDir('irsa-bad-'), 'token');
      writeFileSync(file, token);
      const out = join(tempDir('iam-out-'), 'out');
      const run = await runBundle('copy-secrets', ['--out', out, 'example-app/api-key'], {
        cleanEnv: true,
        env: { PATH: process.env.PATH, AWS_REGION: REGION, AWS_ENDPOINT_URL: moto.url, AWS_ROLE_ARN: roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: file },
      });
      assert.equal(run.code, 3, `${what}: ${run.stderr}`);
      assert.match(failureLine(run).msg, /AssumeRoleWithWebIdentity|InvalidIdentityToken|ExpiredToken/, what);
      assert.ok(!run.stderr.includes(token.split('.')[1] as string), `${what}: the token's claims never reach the log`);
    }
  });
});
