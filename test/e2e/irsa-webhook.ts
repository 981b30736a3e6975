// The part of EKS that makes IRSA work inside a pod, run on the test cluster: a mutating admission webhook
// that does what amazon-eks-pod-identity-webhook does. For a pod whose service account carries the
// `eks.amazonaws.com/role-arn` annotation it adds a projected service-account token (audience
// `sts.amazonaws.com`, 86400 s) at /var/run/secrets/eks.amazonaws.com/serviceaccount/token, mounted in
// every container and init container, with AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and
// AWS_STS_REGIONAL_ENDPOINTS; a container that already sets AWS_ROLE_ARN is left alone. The API server
// calls it over TLS (a certificate made here, its CA in the webhook configuration), only for pods in
// namespaces labelled with the test's selector.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Obj } from '../chart/helm.ts';
import { selfSignedCertificate } from '../helpers/services.ts';
import { kubectl, type Cluster } from './kube.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const execFileAsync = promisify(execFile);

export const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

export interface IrsaWebhook {
  /** The namespace label the webhook applies to. */
  readonly namespaceLabel: Record<string, string>;
  stop(): Promise<void>;
}

export async function startIrsaWebhook(cluster: Cluster, name: string): Promise<IrsaWebhook> {
  const dir = tempDir('irsa-webhook-');
  // A self-signed certificate for 127.0.0.1 is its own CA: the API server trusts it through caBundle.
  const tls = selfSignedCertificate(dir);
  const cert = readFileSync(tls.cert);
  let reviews = 0;
  const server: Server = createServer({ key: readFileSync(tls.key), cert }, (request, response) => {
    reviews++;
    let body = '';
    request.setEncoding('utf8').on('data', (d: string) => (body += d));
    request.on('end', () => {
      review(cluster, JSON.parse(body) as Obj).then(
        (answer) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const namespaceLabel = { 'e2e-irsa-webhook': name };
  const configuration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: `e2e-irsa-${name}` },
    webhooks: [
      {
        name: 'pod-identity.e2e.init-toolkit.test',
        clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: cert.toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: namespaceLabel },
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 10,
      },
    ],
  };
  const applied = kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(configuration));
  if (applied.status !== 0) throw new Error(`MutatingWebhookConfiguration: ${applied.stderr}`);
  const probe = `e2e-irsa-probe-${name}`;
  await untilCalled(cluster, probe, namespaceLabel, dir, () => reviews > 0);
  return {
    namespaceLabel,
    async stop() {
      kubectl(cluster, ['delete', 'mutatingwebhookconfiguration', configuration.metadata.name, '--ignore-not-found']);
      kubectl(cluster, ['delete', 'namespace', probe, '--wait=false', '--ignore-not-found']);
      await new Promise((done) => server.close(done));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The API server picks up a new webhook configuration a moment later: until it calls the webhook, a pod
 * created in a test namespace would not be mutated. Server-side dry runs of a pod in a labelled probe
 * namespace go through admission without creating anything; the first one the webhook sees ends the wait.
 */
async function untilCalled(cluster: Cluster, namespace: string, label: Record<string, string>, dir: string, called: () => boolean): Promise<void> {
  const created = kubectl(cluster, ['create', 'namespace', namespace]);
  if (created.status !== 0) throw new Error(`probe namespace: ${created.stderr}`);
  kubectl(cluster, ['label', 'namespace', namespace, ...Object.entries(label).map(([k, v]) => `${k}=${v}`)]);
  const podFile = join(dir, 'probe-pod.json');
  writeFileSync(
    podFile,
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe' }, spec: { containers: [{ name: 'probe', image: 'probe' }] } }),
  );
  const deadline = Date.now() + 30_000;
  while (!called()) {
    if (Date.now() > deadline) throw new Error('the API server did not call the IRSA webhook within 30 s');
    await execFileAsync(cluster.kubectlPath, ['create', '--dry-run=server', '--namespace', namespace, '-f', podFile], { env: cluster.env }).catch(
      () => undefined,
    );
    await sleep(200);
  }
}

/** The AdmissionReview answer: the pod unchanged, or with the token volume, mounts and env added. */
async function review(cluster: Cluster, admission: Obj): Promise<Obj> {
  const request = admission.request;
  const pod = request.object;
  const account = pod.spec.serviceAccountName || 'default';
  const { stdout } = await execFileAsync(cluster.kubectlPath, ['get', 'serviceaccount', account, '--namespace', request.namespace, '-o', 'json'], {
    env: cluster.env,
  });
  const roleArn = (JSON.parse(stdout) as Obj).metadata.annotations?.[ROLE_ANNOTATION];
  const response: Obj = { uid: request.uid, allowed: true };
  if (roleArn) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify([{ op: 'replace', path: '/spec', value: withWebIdentity(pod.spec, roleArn) }])).toString('base64');
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

function withWebIdentity(spec: Obj, roleArn: string): Obj {
  const env = [
    { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
    { name: 'AWS_ROLE_ARN', value: roleArn },
    { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${TOKEN_DIR}/token` },
  ];
  const mount = { name: 'aws-iam-token', mountPath: TOKEN_DIR, readOnly: true };
  const inject = (container: Obj): Obj =>
    (container.env ?? []).some((e: Obj) => e.name === 'AWS_ROLE_ARN')
      ? container
      : { ...container, env: [...(container.env ?? []), ...env], volumeMounts: [...(container.volumeMounts ?? []), mount] };
  const token = {
    name: 'aws-iam-token',
    projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] },
  };
  return {
    ...spec,
    volumes: [...(spec.volumes ?? []), token],
    initContainers: (spec.initContainers ?? []).map(inject),
    containers: spec.containers.map(inject),
  };
}
