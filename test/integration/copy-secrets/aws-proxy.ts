// A counting, fault-injecting HTTP proxy in front of the moto server: it counts Secrets Manager calls by
// their X-Amz-Target (what the benchmark reports) and can answer chosen calls with an AWS-style error
// (throttling, 5xx, access denied, KMS failure) before the real server sees them.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Fault {
  status: number;
  type: string;
  message?: string;
}

export interface AwsProxy {
  url: string;
  /** Calls seen per operation, e.g. { BatchGetSecretValue: 5 }. */
  calls: Record<string, number>;
  total(): number;
  /** Most requests the proxy had open at once since the last resetInFlight(). */
  maxInFlight(): number;
  resetInFlight(): void;
  /** Decides, per call, whether to answer with a fault instead of forwarding. */
  inject(decide: ((operation: string, callNumber: number) => Fault | undefined) | undefined): void;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startAwsProxy(upstream: string): Promise<AwsProxy> {
  const calls: Record<string, number> = {};
  let count = 0;
  let inFlight = 0;
  let most = 0;
  let decide: ((operation: string, callNumber: number) => Fault | undefined) | undefined;
  const server: Server = createServer(async (request, response) => {
    inFlight++;
    most = Math.max(most, inFlight);
    response.on('close', () => inFlight--);
    try {
      const payload = await body(request);
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.split('.').pop() || 'other';
      calls[operation] = (calls[operation] ?? 0) + 1;
      count++;
      const fault = decide?.(operation, count);
      if (fault) {
        response.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.type });
        response.end(JSON.stringify({ __type: fault.type, message: fault.message ?? `injected ${fault.type}` }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
      }
      const init: RequestInit = { method: request.method ?? 'POST', headers };
      if (payload.length > 0) init.body = payload;
      const answer = await fetch(new URL(request.url ?? '/', upstream), init);
      const out = Buffer.from(await answer.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name)) outHeaders[name] = value;
      });
      response.writeHead(answer.status, outHeaders);
      response.end(out);
    } catch (error) {
      response.writeHead(502);
      response.end(String(error));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    total: () => count,
    maxInFlight: () => most,
    resetInFlight() {
      most = inFlight;
    },
    inject(next) {
      decide = next;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
