// What one attempt tells: ready, not ready yet (retry), or a failure that waiting cannot fix.

import { transientNetworkCode } from '../core/network.ts';

/** The result of an attempt that reached the dependency without a transport or auth error. */
export interface CheckResult {
  ready: boolean;
  /** Why it is not ready (e.g. "replica still syncing"), or what answered (e.g. "HTTP 200"). */
  detail: string;
}

/** A failed attempt, classified: `errorClass` goes into logs, `retryable` decides fail-fast. */
export class CheckFailure extends Error {
  readonly errorClass: string;
  readonly retryable: boolean;
  constructor(errorClass: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckFailure';
    this.errorClass = errorClass;
    this.retryable = retryable;
  }
}

/** Log class and text per transient code of core's list; a code without an entry here is "network". */
const NETWORK_CLASSES: Record<string, { errorClass: string; text: string }> = {
  ECONNREFUSED: { errorClass: 'refused', text: 'connection refused' },
  ECONNRESET: { errorClass: 'reset', text: 'connection reset' },
  EPIPE: { errorClass: 'reset', text: 'connection closed' },
  ETIMEDOUT: { errorClass: 'timeout', text: 'connection timed out' },
  EHOSTUNREACH: { errorClass: 'unreachable', text: 'host unreachable' },
  ENETUNREACH: { errorClass: 'unreachable', text: 'network unreachable' },
  EADDRNOTAVAIL: { errorClass: 'unreachable', text: 'address not available' },
  ENOTFOUND: { errorClass: 'dns', text: 'host name not found (yet)' },
  EAI_AGAIN: { errorClass: 'dns', text: 'DNS lookup failed temporarily' },
};

/** TLS verification failures: a wrong CA or host name does not fix itself. */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** Classifies transport-level errors shared by every protocol; undefined when it is not one. */
export function classifyNetworkError(error: unknown): CheckFailure | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_CODES.has(code)) {
    return new CheckFailure('tls', `TLS certificate verification failed (${code}); pass the right CA with --ca-file`, false, { cause: error });
  }
  const alert = tlsAlertFailure(error);
  if (alert) return alert;
  const wrongProtocol = wrongProtocolFailure(error, code);
  if (wrongProtocol) return wrongProtocol;
  const transient = transientNetworkCode(error);
  if (transient === undefined) return undefined;
  const known = NETWORK_CLASSES[transient] ?? { errorClass: 'network', text: `network error ${transient}` };
  return new CheckFailure(known.errorClass, known.text, true, { cause: error });
}

/** Alerts by which a server refuses the client's certificate (RFC 8446 section 6.2). */
const CLIENT_CERTIFICATE_ALERTS =
  /alert (bad certificate|unsupported certificate|certificate revoked|certificate expired|certificate unknown|unknown ca|access denied)$/;

/**
 * The server speaks TLS and ended the handshake with an alert (OpenSSL: "tlsv13 alert certificate required",
 * "tlsv1 alert unknown ca", "sslv3 alert bad certificate"): most often about the client certificate, which
 * waiting does not change. Not "does not speak TLS", which an alert disproves.
 */
function tlsAlertFailure(error: unknown): CheckFailure | undefined {
  const reason = /\b((?:sslv3|tlsv1|tlsv13|ssl\/tls) alert [a-z ]+)/.exec(String((error as Error | null)?.message))?.[1]?.trim();
  if (reason === undefined) return undefined;
  if (reason.endsWith('alert certificate required')) {
    return new CheckFailure(
      'client-cert',
      `the server requires a client certificate and none was sent (${reason}); waiting cannot fix this: pass --cert-file and --key-file (postgres: sslcert and sslkey)`,
      false,
      { cause: error },
    );
  }
  if (CLIENT_CERTIFICATE_ALERTS.test(reason)) {
    return new CheckFailure(
      'client-cert',
      `the server refused the client certificate (${reason}); waiting cannot fix this: check that it is signed by a CA the server trusts for clients, is valid now, and is the one meant for this server`,
      false,
      { cause: error },
    );
  }
  return new CheckFailure(
    'tls',
    `the server ended the TLS handshake (${reason}); waiting cannot fix this: check the TLS versions it accepts, and whether it requires a client certificate (--cert-file, --key-file)`,
    false,
    { cause: error },
  );
}

/**
 * The port answers, but not in the protocol the URL names: TLS to a plain port (https://, rediss://,
 * sslmode=require), or an answer that is not HTTP. A wrong scheme or port is the user's to fix, so it fails
 * fast (exit 3) with a line that says so instead of OpenSSL's or the parser's internals.
 */
function wrongProtocolFailure(error: unknown, code: unknown): CheckFailure | undefined {
  if (typeof code !== 'string') return undefined;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(String((error as Error).message))?.[1] ?? code;
    return new CheckFailure(
      'tls',
      `TLS handshake failed (${reason}): the server does not speak TLS on this port; use the plain scheme (http://, redis://, sslmode=disable) or the server's TLS port`,
      false,
      { cause: error },
    );
  }
  if (code.startsWith('HPE_')) {
    return new CheckFailure('protocol', `the answer is not HTTP (${code}): is this the service's HTTP port?`, false, { cause: error });
  }
  return undefined;
}

/**
 * What a readiness query's rows say (postgres, mysql): ready when there is a row and its first value is not
 * false, 0, "0", "f", "false", NULL or a single zero byte (a MySQL BIT(1)).
 */
export function queryReadiness(rows: readonly (readonly unknown[])[]): CheckResult {
  if (rows.length === 0) return { ready: false, detail: 'the readiness query returned no rows' };
  const first = rows[0]?.[0];
  const zeroBit = Buffer.isBuffer(first) && first.length === 1 && first[0] === 0;
  if (zeroBit || first === null || first === false || first === 0 || first === '0' || first === 'f' || first === 'false') {
    return { ready: false, detail: `the readiness query returned ${zeroBit ? "b'0'" : JSON.stringify(first)}` };
  }
  return { ready: true, detail: 'query succeeded' };
}

/** An attempt that ran out of its own time budget. */
export function attemptTimedOut(timeoutMs: number): CheckFailure {
  return new CheckFailure('timeout', `no answer within ${timeoutMs}ms`, true);
}
