// AWS as on EKS, on the test cluster: the example chart installed with `initToolkit.serviceAccount.roleArn`
// (the service account's eks.amazonaws.com/role-arn annotation), the EKS pod identity webhook's mutation
// (irsa-webhook.ts: a projected token for audience sts.amazonaws.com and the AWS_* variables), and the
// tools' SDK exchanging that real kubelet-issued token at STS. STS is moto with IAM enforced
// (test/helpers/moto-iam): it verifies the token against the API server's own JWKS
// (/openid/v1/jwks), the IAM OIDC provider of the cluster's issuer, and the role's trust policy, which is
// the chart README's, as are the role's permissions. No access key reaches any container.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Obj } from '../chart/helm.ts';
import { createOidcProvider, startMotoIam, type MotoIam } from '../helpers/moto-iam.ts';
import { publishedPolicies, type PolicyDocument } from '../helpers/published-policies.ts';
import { freePort } from '../helpers/services.ts';
import { COUNTRIES, COUNTRIES_CSV } from './fixtures.ts';
import { startIrsaWebhook, TOKEN_DIR, type IrsaWebhook } from './irsa-webhook.ts';
import { clusterUp, execIn, isReady, kubectl, terminatedWith, waitForPod, type Cluster } from './kube.ts';
import { releases as createReleases, type Releases } from './releases.ts';
import { podValues, type FixtureNames } from './values.ts';

const REGION = 'eu-west-1';
/** The names of the chart README's policy: this moto is the test's own, so they can be used as they are. */
const fixtures: FixtureNames = {
  id: `e2e-irsa-${Date.now().toString(36)}`,
  dbSecret: 'example-app/db',
  apiKeySecret: 'example-app/api-key',
  bucket: 'example-app-data',
  csvKey: 'exports/countries.csv',
  csvSha256: createHash('sha256').update(COUNTRIES_CSV).digest('hex'),
};
const DB_PASSWORD = 'irsa-canary-db-password';

let cluster: Cluster;
let moto: MotoIam;
let webhook: IrsaWebhook;
let releases: Releases;
let providerArn: string;

before(async () => {
  cluster = clusterUp();
  const jwks = kubectl(cluster, ['get', '--raw', '/openid/v1/jwks']);
  assert.equal(jwks.status, 0, jwks.stderr);
  const discovery = kubectl(cluster, ['get', '--raw', '/.well-known/openid-configuration']);
  assert.equal(discovery.status, 0, discovery.stderr);
  const issuer = (JSON.parse(discovery.stdout) as Obj).issuer as string;
  moto = await startMotoIam({ [issuer]: JSON.parse(jwks.stdout) });
  webhook = await startIrsaWebhook(cluster, fixtures.id);
  releases = createReleases(cluster, fixtures.id);
  const credentials = { accessKeyId: 'setup', secretAccessKey: 'setup' };
  await moto.unenforced(async () => {
    providerArn = await createOidcProvider(moto, issuer);
    const secrets = new SecretsManagerClient({ endpoint: moto.url, region: REGION, credentials });
    await secrets.send(new CreateSecretCommand({ Name: fixtures.dbSecret, SecretString: JSON.stringify({ username: 'app', password: DB_PASSWORD }) }));
    await secrets.send(new CreateSecretCommand({ Name: fixtures.apiKeySecret, SecretString: 'irsa-canary-api-key' }));
    const s3 = new S3Client({ endpoint: moto.url, region: REGION, credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: fixtures.bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await s3.send(new PutObjectCommand({ Bucket: fixtures.bucket, Key: fixtures.csvKey, Body: COUNTRIES_CSV }));
  });
});

after(async () => {
  releases?.cleanup();
  await webhook?.stop();
  await moto?.stop();
});

/** The chart README's permission and trust policies, for the service account `namespace/account`. */
function readmePolicies(namespace: string, account: string): { policy: PolicyDocument; trust: PolicyDocument } {
  const provider = providerArn.slice(providerArn.indexOf('/') + 1);
  const [policy, trust] = publishedPolicies('charts/example-app/README.md', '## On a real cluster (EKS)', {
    'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/<OIDC ID>': providerArn,
    'oidc.eks.eu-west-1.amazonaws.com/id/<OIDC ID>': provider,
    'system:serviceaccount:apps:example-app': `system:serviceaccount:${namespace}:${account}`,
  });
  assert.ok(policy && trust, 'the chart README publishes a permission policy and a trust policy');
  return { policy, trust };
}

/** The e2e values with IRSA instead of access keys: the role on the service account, the region, moto. */
async function irsaValues(roleArn: string, account: string): Promise<Obj> {
  const values = podValues(fixtures, { port: await freePort() });
  values.serviceAccount = { create: true, name: account };
  values.initToolkit.serviceAccount = { roleArn };
  values.initToolkit.aws = { region: REGION, endpointUrl: moto.url };
  for (const step of [values.initToolkit.steps.secrets, values.initToolkit.steps.data, values.initToolkit.workloads.export.steps.data]) step.env = [];
  return values;
}

describe('IRSA on the real cluster, as on EKS', () => {
  it("the annotated service account, the webhook's projected token and the README's policies: the pod becomes Ready", async () => {
    const namespace = `${fixtures.id}-irsa`;
    const { policy, trust } = readmePolicies(namespace, 'example-app');
    const roleArn = await moto.unenforced(() => moto.putRole('example-app-init', trust, policy));
    releases.install('irsa', await irsaValues(roleArn, 'example-app'), webhook.namespaceLabel);
    const pod = await waitForPod(cluster, namespace, 'the app pod Ready', isReady);

    // What the webhook added, and that nothing else carries credentials.
    const token = pod.spec.volumes.find((v: Obj) => v.name === 'aws-iam-token');
    assert.deepEqual(token?.projected?.sources?.[0]?.serviceAccountToken, { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' });
    for (const container of [...pod.spec.initContainers, ...pod.spec.containers]) {
      const env = Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e.value]));
      assert.equal(env.AWS_ROLE_ARN, roleArn, container.name);
      assert.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, `${TOKEN_DIR}/token`, container.name);
      assert.equal(env.AWS_ACCESS_KEY_ID, undefined, `${container.name} has an access key`);
      assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined, `${container.name} has a secret key`);
    }
    // What the tools fetched with the role's credentials.
    const found = JSON.parse(
      execIn(
        cluster,
        namespace,
        pod.metadata.name,
        'app',
        `
      const fs = require('fs');
      process.stdout.write(JSON.stringify({
        db: JSON.parse(fs.readFileSync('/secrets/db.json', 'utf8')).password,
        apiKey: fs.readFileSync('/secrets/api_key', 'utf8'),
        rows: fs.readFileSync('/data/countries.ndjson', 'utf8').trim().split('\\n').map((l) => JSON.parse(l)),
      }));`,
      ),
    );
    assert.equal(found.db, DB_PASSWORD);
    assert.equal(found.apiKey, 'irsa-canary-api-key');
    assert.deepEqual(found.rows, COUNTRIES);
  });

  it('a service account the trust policy does not name: copy-secrets exits 3 naming AssumeRoleWithWebIdentity, the app never starts', async () => {
    const namespace = `${fixtures.id}-untrusted`;
    const { policy, trust } = readmePolicies(namespace, 'example-app');
    const roleArn = await moto.unenforced(() => moto.putRole('example-app-init-2', trust, policy));
    releases.install('untrusted', await irsaValues(roleArn, 'another-app'), webhook.namespaceLabel);
    const pod = await waitForPod(
      cluster,
      namespace,
      'the secrets step terminated with exit code 3',
      (p) => terminatedWith(p, 'secrets', 3) !== undefined,
      120_000,
    );
    const message = String(terminatedWith(pod, 'secrets', 3)?.message);
    assert.match(message, /AssumeRoleWithWebIdentity/, message);
    assert.ok(!message.includes(DB_PASSWORD));
    const app = (pod.status.containerStatuses ?? []).find((s: Obj) => s.name === 'app');
    assert.ok(!app?.state?.running && !app?.lastState?.terminated, 'the app never started');
  });
});
