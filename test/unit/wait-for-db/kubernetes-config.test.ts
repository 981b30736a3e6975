import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../../tools/core/errors.ts';
import { redactor } from '../../../tools/core/redact.ts';
import { loadApiConfig } from '../../../tools/wait-for-db/checks/kubernetes/config.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function serviceAccountDir(files: Record<string, string>): string {
  const dir = tempDir('wfdb-sa-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('in a pod: the API server from KUBERNETES_SERVICE_HOST/PORT, the pod namespace, the token re-read at each attempt and redacted', async () => {
  const dir = serviceAccountDir({ token: 'first-token-value\n', 'ca.crt': PEM, namespace: 'shop' });
  const config = await loadApiConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
  assert.equal(config.server.href, 'https://[fd00::1]/');
  assert.equal(config.namespace, 'shop');
  assert.equal(config.ca?.toString(), PEM);
  assert.equal(await config.token(), 'first-token-value');
  writeFileSync(join(dir, 'token'), 'rotated-token-value');
  assert.equal(await config.token(), 'rotated-token-value');
  assert.equal(redactor.redact('Bearer first-token-value, then rotated-token-value'), 'Bearer ***, then ***');
});

test('in a pod without a mounted token: exit 2 saying to mount it', async () => {
  const dir = serviceAccountDir({ 'ca.crt': PEM });
  await assert.rejects(
    loadApiConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir),
    (error: unknown) => error instanceof UsageError && /ServiceAccount token cannot be read.*automountServiceAccountToken: true/.test(error.message),
  );
});

test('an explicit KUBECONFIG wins over the pod; its files are merged as kubectl does (first wins), relative paths from each file', async () => {
  const dir = serviceAccountDir({ 'ca.crt': PEM, 'user.crt': 'CERT', 'user.key': 'KEY-SECRET-VALUE' });
  writeFileSync(
    join(dir, 'a.yaml'),
    'current-context: dev\ncontexts: [{name: dev, context: {cluster: k, user: me, namespace: team}}]\nusers: [{name: me, user: {client-certificate: user.crt, client-key: user.key}}]\n',
  );
  writeFileSync(
    join(dir, 'b.yaml'),
    'current-context: other\nclusters: [{name: k, cluster: {server: "https://k.example:6443", certificate-authority: ca.crt, tls-server-name: kubernetes}}]\nusers: [{name: me, user: {token: ignored}}]\n',
  );
  const config = await loadApiConfig({
    KUBECONFIG: `${join(dir, 'a.yaml')}:${join(dir, 'missing.yaml')}:${join(dir, 'b.yaml')}`,
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  });
  assert.equal(config.server.href, 'https://k.example:6443/');
  assert.equal(config.namespace, 'team');
  assert.equal(config.serverName, 'kubernetes');
  assert.deepEqual([config.ca?.toString(), config.cert?.toString(), config.key?.toString()], [PEM, 'CERT', 'KEY-SECRET-VALUE']);
  assert.equal(await config.token(), undefined);
  assert.equal(redactor.redact('KEY-SECRET-VALUE'), '***');
});

test('kubeconfig users that need a plugin or basic auth, and broken kubeconfigs, are usage errors with the fix', async () => {
  const dir = serviceAccountDir({});
  const cases: Array<[string, RegExp]> = [
    [
      'current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "https://k"}}]\nusers: [{name: u, user: {exec: {command: aws}}}]\n',
      /exec plugin, which wait-for-db does not run; give it a token/,
    ],
    [
      'current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "https://k"}}]\nusers: [{name: u, user: {username: a, password: b}}]\n',
      /basic auth/,
    ],
    ['contexts: []\n', /has no current-context/],
    ['current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n', /names cluster "k", which is not defined/],
    ['current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: "ftp://k"}}]\n', /is not an http\(s\) URL/],
    ['users: [{name: u, user: {token: "abc\n', /is not valid YAML/],
  ];
  for (const [index, [text, expected]] of cases.entries()) {
    const path = join(dir, `${index}.yaml`);
    writeFileSync(path, text);
    await assert.rejects(loadApiConfig({ KUBECONFIG: path }), (error: unknown) => error instanceof UsageError && expected.test(error.message), text);
  }
});
