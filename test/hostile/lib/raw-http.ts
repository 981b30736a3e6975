// An HTTP server on 127.0.0.1 written by hand on a TCP socket, so a case can lie in ways node:http forbids:
// a Content-Length that does not match the body, a cut body, a wrong Content-Range, garbage.
import { createServer, type Socket } from 'node:net';

export interface RawRequest {
  /** The request line and headers as sent. */
  head: string;
  path: string;
  /** Lower-case header name -> value. */
  headers: Record<string, string>;
}

export interface RawHttpServer {
  port: number;
  url(path?: string): string;
  requests: RawRequest[];
  close(): Promise<void>;
}

/** Calls `respond` once per request head received (attempt counts from 1 across connections). */
export async function startRawHttp(respond: (socket: Socket, request: RawRequest, attempt: number) => void): Promise<RawHttpServer> {
  const sockets = new Set<Socket>();
  const requests: RawRequest[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      const [requestLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const request = { head, path: requestLine.split(' ')[1] ?? '/', headers };
      requests.push(request);
      respond(socket, request, requests.length);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    url: (path = '/') => `http://127.0.0.1:${address.port}${path}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => ok());
      }),
  };
}

/** A response head from a status line and headers. */
export function responseHead(status: string, headers: Record<string, string | number>): string {
  return `HTTP/1.1 ${status}\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}
