// TCP servers on 127.0.0.1 that misbehave in one chosen way, for the readiness checks of wait-for-db.
import { createServer, type Server, type Socket } from 'node:net';

export type TcpFault = 'accept-and-close' | 'accept-and-stall' | 'garbage' | 'half-postgres-reply' | 'half-redis-reply' | 'half-http-reply';

const behaviours: Record<TcpFault, (socket: Socket) => void> = {
  'accept-and-close': (socket) => socket.destroy(),
  'accept-and-stall': () => undefined,
  garbage: (socket) => {
    socket.write(Buffer.from('\x00\xff\xfeGARBAGE\r\n\x1b[31m not a protocol \x00'));
  },
  // An AuthenticationRequest message header that announces 8 bytes of body and sends 2, then closes.
  'half-postgres-reply': (socket) => socket.once('data', () => socket.end(Buffer.from([0x52, 0, 0, 0, 12, 0, 0]))),
  'half-redis-reply': (socket) => socket.once('data', () => socket.end('+PO')),
  'half-http-reply': (socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Le')),
};

export interface FaultServer {
  port: number;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 (random port) answering every connection with `fault`. */
export async function startTcpFault(fault: TcpFault): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    behaviours[fault](socket);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((ok) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => ok());
      }),
  };
}
