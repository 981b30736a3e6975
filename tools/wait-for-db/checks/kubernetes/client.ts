// One GET to the Kubernetes API per attempt, over node:http(s) (a client library would weigh more than the
// whole tool). The answer is classified here: 404 is "not there yet" (a Helm hook creates the Job later),
// 401 and 403 fail fast with what to fix, 429 and 5xx are retried.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CheckFailure, classifyNetworkError } from '../../outcome.ts';
import type { ApiConfig } from './config.ts';

/** What one request asks for: the path, and the verb and resource RBAC checks (for a 403's message). */
export interface ApiRequest {
  path: string;
  verb: 'get' | 'list';
  /** Plural resource with its API group: "jobs.batch", "pods", "endpointslices.discovery.k8s.io". */
  resource: string;
  namespace: string;
  /** The target's resource in words: `job "migrate" in namespace "app"`. */
  what: string;
}

export type ApiAnswer = { found: true; body: unknown } | { found: false; reason: string };

/** A list of a few thousand pods is a few MiB; an answer beyond this is not an API object we asked for. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The chart value that renders the Role and RoleBinding a 403 asks for. */
export const CHART_RBAC_OPTION = 'initToolkit.rbac.create';

export class ApiClient {
  private readonly config: ApiConfig;
  // One keep-alive connection per target: an attempt every 200 ms need not pay a TLS handshake each time.
  private readonly agent: HttpAgent;

  constructor(config: ApiConfig) {
    this.config = config;
    this.agent = config.server.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  async get(request: ApiRequest, timeoutMs: number, signal: AbortSignal): Promise<ApiAnswer> {
    const token = await this.config.token();
    const response = await this.send(request.path, token, timeoutMs, signal);
    const status = response.statusCode ?? 0;
    const body = await readBody(response);
    if (status === 200) {
      try {
        return { found: true, body: JSON.parse(body) };
      } catch (error) {
        throw new CheckFailure(
          'protocol',
          `the answer of ${this.config.server.origin} to ${request.path} is not JSON: is it the Kubernetes API server?`,
          false,
          { cause: error },
        );
      }
    }
    const message = statusMessage(body) ?? `HTTP ${status}`;
    if (status === 404) return { found: false, reason: message };
    if (status === 401) throw this.unauthorized();
    if (status === 403) throw this.forbidden(request, message);
    if (status === 429 || status >= 500) throw new CheckFailure('server', `the API server answered HTTP ${status}: ${message}`, true);
    throw new CheckFailure('api', `the API server refused GET ${request.path} (HTTP ${status}): ${message}`, false);
  }

  private send(path: string, token: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<IncomingMessage> {
    const { server } = this.config;
    const url = new URL(`${server.pathname.replace(/\/+$/, '')}${path}`, server.origin);
    const request = server.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'GET',
        agent: this.agent,
        headers: { accept: 'application/json', 'user-agent': 'wait-for-db', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal,
        timeout: timeoutMs,
        ca: this.config.ca,
        cert: this.config.cert,
        key: this.config.key,
        servername: this.config.serverName,
        rejectUnauthorized: !this.config.insecureSkipVerify,
      });
      req.once('timeout', () => req.destroy(new CheckFailure('timeout', `no answer from the API server within ${timeoutMs}ms`, true)));
      req.once('response', resolve);
      req.once('error', (error) => reject(this.transportFailure(error)));
      req.end();
    });
  }

  /** TLS verification failures name the CA this client trusts, not --ca-file (which it does not read). */
  private transportFailure(error: Error): Error {
    const failure = classifyNetworkError(error);
    if (failure?.errorClass !== 'tls') return error;
    const ca = this.config.inCluster ? "the ServiceAccount's ca.crt" : `the certificate-authority of ${this.config.source}`;
    return new CheckFailure(
      'tls',
      `the API server ${this.config.server.origin} failed TLS verification against ${ca} (${(error as { code?: string }).code ?? error.message}); waiting cannot fix this`,
      false,
      { cause: error },
    );
  }

  private unauthorized(): CheckFailure {
    const fix = this.config.inCluster
      ? 'the ServiceAccount token expired or was revoked (its ServiceAccount deleted?)'
      : `check the token or client certificate of ${this.config.source}`;
    return new CheckFailure('auth', `the API server refused the credentials (HTTP 401); waiting cannot fix this: ${fix}`, false);
  }

  private forbidden(request: ApiRequest, message: string): CheckFailure {
    const who = /User "([^"]+)"/.exec(message)?.[1] ?? (this.config.inCluster ? "the pod's ServiceAccount" : this.config.source);
    const fix = this.config.inCluster
      ? `give the ServiceAccount a Role with "${request.verb}" on ${request.resource} in namespace "${request.namespace}" and a RoleBinding (the init-toolkit chart renders both when ${CHART_RBAC_OPTION} is true, its default)`
      : 'use a kubeconfig user that has it';
    return new CheckFailure(
      'forbidden',
      `${who} may not ${request.verb} ${request.resource} in namespace "${request.namespace}" (HTTP 403); waiting cannot fix this: ${fix}`,
      false,
    );
  }
}

/** The body as text, at most MAX_BODY_BYTES. */
function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.destroy();
        reject(new CheckFailure('protocol', `the API server's answer is larger than ${MAX_BODY_BYTES} bytes; narrow the selector`, false));
      } else chunks.push(chunk);
    });
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', (error) => reject(new CheckFailure('reset', `the API server's answer was cut: ${error.message}`, true, { cause: error })));
  });
}

/** The `message` of a Kubernetes Status object (what kubectl shows), if the body is one. */
function statusMessage(body: string): string | undefined {
  try {
    const status = JSON.parse(body) as { kind?: unknown; message?: unknown };
    return status.kind === 'Status' && typeof status.message === 'string' ? status.message : undefined;
  } catch {
    return undefined;
  }
}
