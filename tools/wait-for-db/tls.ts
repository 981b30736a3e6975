// TLS for the targets that speak it from the first byte (rediss://, https://): the connection options, and
// why a server hung up after the handshake.

import { isIP } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import type { TlsSettings } from './settings.ts';
import type { Target } from './target.ts';

/** CA, client certificate and verification as the flags say; no SNI for an IP address (RFC 6066; Node warns). */
export function directTlsOptions(target: Target, tls: TlsSettings): ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    servername: isIP(target.host) ? undefined : target.host,
    ca: tls.ca,
    cert: tls.client?.cert,
    key: tls.client?.key,
    rejectUnauthorized: !tls.insecureSkipVerify,
  };
}

/** A server that accepts the handshake sends a session ticket at once; a second is enough to wait for it. */
const VERDICT_MS = 1000;

/**
 * With TLS 1.3 a server checks the client certificate after the client has finished its handshake and sent
 * its first request. Refusing, it sends an alert ("certificate required", "unknown ca") and closes with that
 * request unread, which resets the connection: the client mostly sees "connection reset" instead of the
 * alert, and would retry a certificate that will never do. A second handshake that sends nothing gets the
 * alert for sure (nothing is left unread). Resolves with the alert's error, or undefined: accepted (a
 * session ticket), closed or silent (not a certificate matter as far as this tells), or aborted.
 */
export function handshakeRefusal(options: ConnectionOptions, signal: AbortSignal): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect(options);
    const done = (verdict: Error | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      socket.destroy();
      resolve(verdict);
    };
    const abort = () => done(undefined);
    const timer = setTimeout(abort, VERDICT_MS);
    signal.addEventListener('abort', abort, { once: true });
    socket.once('session', () => done(undefined));
    socket.once('error', (error) => done(/ alert /.test(error.message) ? error : undefined));
    socket.once('close', () => done(undefined));
  });
}
