// Where the Kubernetes API is and how to authenticate: a kubeconfig when KUBECONFIG names one (explicit
// wins), else the pod's ServiceAccount when KUBERNETES_SERVICE_HOST says we run in a pod, else
// ~/.kube/config. Read once before waiting (a bad kubeconfig is a usage error), except the token file,
// which is read at every attempt: the kubelet rotates projected ServiceAccount tokens (about hourly).

import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { redactor } from '../../../core/redact.ts';
import { readSmallFile, SmallFileError } from '../../../core/small-file.ts';
import { CheckFailure } from '../../outcome.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ApiConfig {
  server: URL;
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  /** The TLS server name to verify, when it differs from the server's host (kubeconfig tls-server-name). */
  serverName: string | undefined;
  insecureSkipVerify: boolean;
  /** The bearer token of this attempt, registered with the redactor; undefined with a client certificate. */
  token: () => Promise<string | undefined>;
  /** The namespace of targets without ?namespace=: the pod's own, or the kubeconfig context's. */
  namespace: string;
  /** Whose credentials these are, for messages: the ServiceAccount, or the kubeconfig's context and user. */
  source: string;
  inCluster: boolean;
}

/** Kubeconfigs with embedded certificates are a few KiB; tokens and CA bundles far less. */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
const MAX_CREDENTIAL_BYTES = 1024 * 1024;

export async function loadApiConfig(env: NodeJS.ProcessEnv, serviceAccountDir = SERVICE_ACCOUNT_DIR): Promise<ApiConfig> {
  if (!env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    return inClusterConfig(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, serviceAccountDir);
  }
  // In a pod (the usual case) the YAML parser is never loaded.
  const { kubeconfigConfig } = await import('./kubeconfig.ts');
  const paths = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(env.HOME || homedir(), '.kube', 'config')];
  return kubeconfigConfig(paths);
}

async function inClusterConfig(host: string, port: string, dir: string): Promise<ApiConfig> {
  const tokenPath = join(dir, 'token');
  const missing = (what: string, error: unknown): UsageError =>
    new UsageError(
      `k8s:// targets: KUBERNETES_SERVICE_HOST is set (running in a pod) but ${what}: ${(error as Error).message}; mount the ServiceAccount token (automountServiceAccountToken: true; the init-toolkit chart sets it for a wait-for-db step with k8s:// targets), or point KUBECONFIG at a kubeconfig`,
      { cause: error },
    );
  // Checked now, so that a pod without a token fails at once with the fix instead of at every attempt.
  await readToken(tokenPath).catch((error: unknown) => {
    throw missing('the ServiceAccount token cannot be read', error);
  });
  const ca = await readFile(join(dir, 'ca.crt')).catch((error: unknown) => {
    throw missing("the cluster's CA cannot be read", error);
  });
  const namespace = (await readFile(join(dir, 'namespace')).catch(() => undefined))?.toString('utf8').trim() || 'default';
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    ca,
    cert: undefined,
    key: undefined,
    serverName: undefined,
    insecureSkipVerify: false,
    token: () =>
      readToken(tokenPath).catch((error: unknown) => {
        throw new CheckFailure('config', `the ServiceAccount token cannot be read: ${(error as Error).message}`, false, { cause: error });
      }),
    namespace,
    source: "the pod's ServiceAccount",
    inCluster: true,
  };
}

/** A token file's content, trimmed and registered with the redactor before anything can log it. */
export async function readToken(path: string): Promise<string> {
  const token = (await readFile(path)).toString('utf8').trim();
  if (token === '') throw new SmallFileError(path, 'is empty');
  redactor.add(token);
  return token;
}

export function readFile(path: string): Promise<Buffer> {
  return readSmallFile(path, MAX_CREDENTIAL_BYTES);
}

/** The kubeconfig files as read: each file's directory resolves the relative paths in it. */
export async function readKubeconfigFile(path: string): Promise<{ text: string; dir: string } | undefined> {
  try {
    const text = (await readSmallFile(path, MAX_KUBECONFIG_BYTES)).toString('utf8');
    return { text, dir: dirname(resolve(path)) };
  } catch (error) {
    // As kubectl does: a file of a KUBECONFIG list that does not exist is skipped.
    if ((error as { cause?: { code?: string } }).cause?.code === 'ENOENT') return undefined;
    throw new UsageError(`kubeconfig ${(error as Error).message}`, { cause: error });
  }
}

/** A path of a kubeconfig, relative to the file that names it. */
export function kubeconfigPath(path: string, dir: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}
