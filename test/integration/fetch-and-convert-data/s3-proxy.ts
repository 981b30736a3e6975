// A streaming, fault-injecting HTTP proxy in front of the moto server for the S3 tests. Each request is
// forwarded as it comes unless `decide` says otherwise: answer with an S3 error, cut the body after some
// bytes, or stall the body after some bytes until the client gives up. Every request is recorded with
// how it ended, so a test can tell a download the tool aborted from one that completed.
// (copy-secrets' aws-proxy.ts buffers whole bodies for Secrets Manager's JSON calls; S3 bodies must
// stream to be cut or stalled midway, hence this one.)
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { startHttp } from './fixtures.ts';

export type ProxyAction =
  | { kind: 'forward' }
  /** An S3-style XML error instead of the real answer. */
  | { kind: 'error'; status: number; code: string }
  /** Forwards the first `afterBytes` of the body, then drops the connection. */
  | { kind: 'cut'; afterBytes: number }
  /** Forwards the first `afterBytes` of the body, then sends nothing more until the client closes. */
  | { kind: 'stall'; afterBytes: number }
  /** Forwards the answer with some of its headers replaced (a store that lies about what it sends). */
  | { kind: 'rewrite'; headers: Record<string, string> };

export interface ProxiedRequest {
  method: string;
  /** Path and query as the client sent them, e.g. "/bucket/key?x-id=GetObject". */
  url: string;
  range: string | undefined;
  action: ProxyAction['kind'];
  bodyBytes: number;
  /** open: still running; completed: the whole answer was sent; closed by client: the client hung up first; cut: the proxy dropped it. */
  outcome: 'open' | 'completed' | 'closed by client' | 'cut';
  /** Resolves once `bodyBytes` reached n (or never). */
  bodyReached(n: number): Promise<void>;
}

export interface S3Proxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

export type Decide = (request: IncomingMessage) => ProxyAction | Promise<ProxyAction>;

function s3Error(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the test proxy</Message><RequestId>proxy</RequestId></Error>`;
}

export async function startS3Proxy(upstream: string, decide: Decide = () => ({ kind: 'forward' })): Promise<S3Proxy> {
  const requests: ProxiedRequest[] = [];
  const server = await startHttp(async (request, response) => {
    const waiters: Array<{ n: number; resolve: () => void }> = [];
    const record: ProxiedRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      range: request.headers.range,
      action: 'forward',
      bodyBytes: 0,
      outcome: 'open',
      bodyReached: (n) => (record.bodyBytes >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    };
    requests.push(record);
    const counted = (bytes: number) => {
      record.bodyBytes += bytes;
      for (const waiter of waiters.filter((w) => record.bodyBytes >= w.n)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    response.on('close', () => {
      if (record.outcome === 'open') record.outcome = response.writableFinished ? 'completed' : 'closed by client';
    });
    const action = await decide(request);
    record.action = action.kind;
    if (action.kind === 'error') {
      request.resume();
      response.writeHead(action.status, { 'content-type': 'application/xml' }).end(s3Error(action.code));
      return;
    }
    const forward = httpRequest(new URL(request.url ?? '/', upstream), { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, action.kind === 'rewrite' ? { ...answer.headers, ...action.headers } : answer.headers);
      if (action.kind === 'forward' || action.kind === 'rewrite') {
        answer.on('data', (chunk: Buffer) => counted(chunk.length));
        answer.pipe(response);
        return;
      }
      response.on('close', () => answer.destroy());
      answer.on('data', (chunk: Buffer) => {
        const room = action.afterBytes - record.bodyBytes;
        if (room <= 0) return;
        const part = chunk.subarray(0, room);
        response.write(part);
        counted(part.length);
        if (record.bodyBytes < action.afterBytes) return;
        if (action.kind === 'cut') {
          record.outcome = 'cut';
          answer.destroy();
          response.destroy();
        } else answer.pause();
      });
    });
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  return { url: server.url, requests, close: server.close };
}
