// A kubeconfig, as kubectl reads it: the files of KUBECONFIG merged (the first file that names a cluster,
// user or context, or sets current-context, wins), the current context's cluster and user. What a static
// client can use is supported: server, certificate-authority(-data), tls-server-name,
// insecure-skip-tls-verify, client-certificate(-data), client-key(-data), token, tokenFile. Plugins
// (exec, auth-provider: aws eks get-token, gke-gcloud-auth-plugin) would run a program: refused with
// the way out.

import { parseDocument } from 'yaml';
import { UsageError } from '../../../core/errors.ts';
import { redactor } from '../../../core/redact.ts';
import { CheckFailure } from '../../outcome.ts';
import { kubeconfigPath, readFile, readKubeconfigFile, readToken, type ApiConfig } from './config.ts';

type Fields = Record<string, unknown>;
interface Entry {
  fields: Fields;
  /** The directory of the file that holds it (relative paths are relative to it). */
  dir: string;
}

interface Merged {
  currentContext: string | undefined;
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
}

export async function kubeconfigConfig(paths: readonly string[]): Promise<ApiConfig> {
  const merged: Merged = { currentContext: undefined, clusters: new Map(), users: new Map(), contexts: new Map() };
  let found = false;
  for (const path of paths) {
    const file = await readKubeconfigFile(path);
    if (!file) continue;
    found = true;
    mergeFile(merged, path, file.text, file.dir);
  }
  const named = paths.join(', ');
  if (!found) {
    throw new UsageError(
      `k8s:// targets need the Kubernetes API: not in a pod (KUBERNETES_SERVICE_HOST is not set) and no kubeconfig at ${named}; set KUBECONFIG`,
    );
  }
  const contextName = merged.currentContext;
  if (!contextName) throw new UsageError(`kubeconfig ${named} has no current-context; set one with kubectl config use-context`);
  const context = merged.contexts.get(contextName);
  if (!context) throw new UsageError(`kubeconfig ${named}: the current context "${contextName}" is not defined`);
  const clusterName = String(context.fields.cluster ?? '');
  const userName = String(context.fields.user ?? '');
  const cluster = merged.clusters.get(clusterName);
  if (!cluster) throw new UsageError(`kubeconfig ${named}: context "${contextName}" names cluster "${clusterName}", which is not defined`);
  const user = merged.users.get(userName) ?? { fields: {}, dir: cluster.dir };
  const source = `kubeconfig context "${contextName}" (user "${userName}")`;
  const bad = (problem: string): UsageError => new UsageError(`kubeconfig ${named}, ${source}: ${problem}`);

  let server: URL;
  try {
    server = new URL(String(cluster.fields.server ?? ''));
  } catch {
    throw bad(`cluster "${clusterName}" has no valid server URL`);
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') throw bad(`the server ${server.href} is not an http(s) URL`);
  for (const plugin of ['exec', 'auth-provider']) {
    if (user.fields[plugin]) {
      throw bad(
        `the user authenticates with an ${plugin} plugin, which wait-for-db does not run; give it a token (e.g. of a ServiceAccount: kubectl create token) or a client certificate`,
      );
    }
  }
  if (user.fields.username || user.fields.password) throw bad('basic auth (username/password) is not supported; give the user a token or a client certificate');
  const cert = await pem(user, 'client-certificate', bad);
  const key = await pem(user, 'client-key', bad);
  if ((cert === undefined) !== (key === undefined)) throw bad('client-certificate and client-key go together; give both');
  if (key) redactor.add(key);
  return {
    server,
    ca: await pem(cluster, 'certificate-authority', bad),
    cert,
    key,
    serverName: typeof cluster.fields['tls-server-name'] === 'string' ? cluster.fields['tls-server-name'] : undefined,
    insecureSkipVerify: cluster.fields['insecure-skip-tls-verify'] === true,
    token: tokenSource(user, bad),
    namespace: typeof context.fields.namespace === 'string' && context.fields.namespace ? context.fields.namespace : 'default',
    source,
    inCluster: false,
  };
}

function mergeFile(merged: Merged, path: string, text: string, dir: string): void {
  const parsed = parseDocument(text);
  const error = parsed.errors[0];
  if (error) {
    // The parser's message quotes the offending line, which may hold a token: only its position is shown.
    const position = error.linePos?.[0]?.line;
    throw new UsageError(`kubeconfig ${path} is not valid YAML${position ? ` (line ${position})` : ''}`);
  }
  let document: unknown;
  try {
    document = parsed.toJS();
  } catch (error) {
    // An alias bomb: the parser refuses to expand more than 100 aliases. Its other refusals may quote the file.
    const why = /alias count/i.test((error as Error).message) ? ': its aliases expand too much (an alias bomb?)' : '';
    throw new UsageError(`kubeconfig ${path} is not valid YAML${why}`);
  }
  if (document === null || document === undefined) return;
  if (typeof document !== 'object' || Array.isArray(document))
    throw new UsageError(`kubeconfig ${path} is not a kubeconfig (a YAML mapping with clusters, users and contexts)`);
  const config = document as Fields;
  if (!merged.currentContext && typeof config['current-context'] === 'string') merged.currentContext = config['current-context'];
  for (const [list, field, target] of [
    ['clusters', 'cluster', merged.clusters],
    ['users', 'user', merged.users],
    ['contexts', 'context', merged.contexts],
  ] as const) {
    const items = config[list] ?? [];
    if (!Array.isArray(items)) throw new UsageError(`kubeconfig ${path}: "${list}" is not a list`);
    for (const item of items as Fields[]) {
      const name = item?.name;
      if (typeof name !== 'string' || target.has(name)) continue;
      const fields = item[field];
      target.set(name, { fields: fields && typeof fields === 'object' ? (fields as Fields) : {}, dir });
    }
  }
}

/** A PEM from `<field>-data` (base64) or the file `<field>` names; undefined when neither is set. */
async function pem(entry: Entry, field: string, bad: (problem: string) => UsageError): Promise<Buffer | undefined> {
  const data = entry.fields[`${field}-data`];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  const path = entry.fields[field];
  if (typeof path !== 'string' || path === '') return undefined;
  try {
    return await readFile(kubeconfigPath(path, entry.dir));
  } catch (error) {
    throw bad(`${field} ${(error as Error).message}`);
  }
}

/** The user's token: inline (registered now), or a tokenFile read at every attempt (it may be rotated). */
function tokenSource(user: Entry, bad: (problem: string) => UsageError): () => Promise<string | undefined> {
  const token = user.fields.token;
  if (typeof token === 'string' && token !== '') {
    redactor.add(token);
    return () => Promise.resolve(token);
  }
  const tokenFile = user.fields.tokenFile;
  if (typeof tokenFile !== 'string' || tokenFile === '') return () => Promise.resolve(undefined);
  const path = kubeconfigPath(tokenFile, user.dir);
  return () =>
    readToken(path).catch((error: unknown) => {
      throw new CheckFailure('config', bad(`tokenFile ${(error as Error).message}`).message, false, { cause: error });
    });
}
