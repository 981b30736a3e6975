// A MySQL server that speaks just enough of the protocol to misbehave: it greets (protocol 10, plain TCP
// only), then answers the client's login as the case says (an auth-plugin switch, "perform full
// authentication", nothing at all) and the first query likewise (LOAD DATA LOCAL, nothing). It records
// every packet the client sends, so a case can tell what left the client.
import { createServer, type Socket } from 'node:net';

export type MysqlBehaviour =
  'switch-to-clear-password' | 'switch-to-sha256-password' | 'caching-sha2-full-auth' | 'stall-after-login' | 'local-infile' | 'stall-on-query';

export interface FakeMysql {
  port: number;
  /** Every packet payload the clients sent, in order. */
  received: Buffer[];
  close: () => Promise<void>;
}

function packet(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence & 0xff;
  return Buffer.concat([header, payload]);
}

// LONG_PASSWORD, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, MULTI_RESULTS, PLUGIN_AUTH,
// CONNECT_ATTRS, PLUGIN_AUTH_LENENC_CLIENT_DATA; no SSL. LOCAL_FILES is offered, to see the client decline.
const CAPABILITIES = 0x1 | 0x8 | 0x80 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000 | 0x100000 | 0x200000;
const SCRAMBLE = Buffer.from('0123456789abcdefghij');

function greeting(plugin: string): Buffer {
  const low = Buffer.alloc(2);
  low.writeUInt16LE(CAPABILITIES & 0xffff);
  const high = Buffer.alloc(2);
  high.writeUInt16LE(CAPABILITIES >>> 16);
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from('8.0.36-hostile\0'),
    Buffer.from([7, 0, 0, 0]),
    SCRAMBLE.subarray(0, 8),
    Buffer.from([0]),
    low,
    Buffer.from([0x21, 2, 0]),
    high,
    Buffer.from([SCRAMBLE.length + 1]),
    Buffer.alloc(10),
    SCRAMBLE.subarray(8),
    Buffer.from([0]),
    Buffer.from(`${plugin}\0`),
  ]);
}

const OK = Buffer.from([0, 0, 0, 2, 0, 0, 0]);

export async function startFakeMysql(behaviour: MysqlBehaviour): Promise<FakeMysql> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const loginReply = (sequence: number): Buffer | undefined => {
    switch (behaviour) {
      case 'switch-to-clear-password':
        return packet(sequence, Buffer.from('\xfemysql_clear_password\0', 'latin1'));
      case 'switch-to-sha256-password':
        return packet(sequence, Buffer.concat([Buffer.from('\xfesha256_password\0', 'latin1'), SCRAMBLE, Buffer.from([0])]));
      case 'caching-sha2-full-auth':
        // AuthMoreData "perform full authentication": the password must now travel, encrypted or in clear.
        return packet(sequence, Buffer.from([1, 4]));
      case 'stall-after-login':
        return undefined;
      default:
        return packet(sequence, OK);
    }
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.write(packet(0, greeting(behaviour === 'caching-sha2-full-auth' ? 'caching_sha2_password' : 'mysql_native_password')));
    let pending = Buffer.alloc(0);
    let loggedIn = false;
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) break;
        const sequence = pending[3]!;
        const payload = pending.subarray(4, 4 + length);
        pending = pending.subarray(4 + length);
        received.push(Buffer.from(payload));
        if (!loggedIn) {
          loggedIn = true;
          const reply = loginReply(sequence + 1);
          if (reply) socket.write(reply);
        } else if (payload[0] === 3) {
          if (behaviour === 'local-infile') socket.write(packet(1, Buffer.from('\xfb/etc/hostname', 'latin1')));
          else if (behaviour !== 'stall-on-query') socket.write(packet(1, OK));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
