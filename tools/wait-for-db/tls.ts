// TLS for the targets that speak it from the first byte (rediss://, https://): the connection options.

import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
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
