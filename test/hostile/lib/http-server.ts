// A plain HTTP server on 127.0.0.1 whose handler the case writes, closed (connections too) at the end.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface HostileHttpServer {
  port: number;
  url(path?: string): string;
  /** Requests seen so far (method, url, headers). */
  requests: IncomingMessage[];
  close(): Promise<void>;
}

export async function startHttp(handler: (req: IncomingMessage, res: ServerResponse, attempt: number) => void): Promise<HostileHttpServer> {
  const sockets = new Set<Socket>();
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
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
