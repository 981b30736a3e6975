// https:// and http:// sources. Every hop of a redirect chain is checked again: scheme allowed, no
// https -> http downgrade, and every address the host name resolves to (and the address actually
// connected to) outside the link-local ranges where instance metadata and EKS Pod Identity
// credentials live, unless --allow-link-local. A body cut mid-stream is resumed with a Range request
// when the server supports it, else the request is retried from the start before any byte was used.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { FatalRemoteError, InvalidInputError, UsageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { isTransientNetworkError } from '../core/network.ts';
import { retry, TransientError } from '../core/retry.ts';
import { badUserinfoEscape, displayUrl } from '../core/url.ts';
import { isLinkLocal } from './address.ts';
import type { Settings } from './plan.ts';
import { declaredLength, resumeMismatch, resumeValidator, type ResumeValidator } from './resume.ts';
import type { SourceData } from './source.ts';
import { attemptOptions } from './retries.ts';

/** Refused on purpose: a policy decision, not a network failure (never retried). */
export class BlockedAddressError extends InvalidInputError {
  constructor(url: string, address: string) {
    super(
      `${url} resolves to the link-local address ${address} (instance metadata / Pod Identity credentials); refused: pass --allow-link-local if this source is intended`,
    );
    this.name = 'BlockedAddressError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

type Resolver = (hostname: string, options: { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** A dns.lookup (for the request's `lookup` option) that fails when any resolved address is link-local. */
export function guardedLookup(url: string, allowLinkLocal: boolean, resolve: Resolver = dnsLookup) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const blocked = allowLinkLocal ? undefined : addresses.find((a) => isLinkLocal(a.address));
      if (blocked) return callback(new BlockedAddressError(url, blocked.address) as unknown as NodeJS.ErrnoException, '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

interface Response {
  url: URL;
  message: http.IncomingMessage;
  /** Bytes the socket delivered after the response head: more than Content-Length means the server lied. */
  bytesAfterHead: () => number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** Longer heads are refused by Node's parser (--max-http-header-size is 16 KiB by default) before this matters. */
const MAX_HEAD_BYTES = 256 * 1024;

/**
 * Counts what the socket delivers after the end of the final response head. Node's parser stops at
 * Content-Length and drops the rest silently, so a body longer than announced would pass as complete.
 * Each request has a socket of its own (no keep-alive), so the heads on it are this request's:
 * informational ones (1xx, e.g. 103 Early Hints) first, then the final one.
 */
function countAfterHead(socket: Socket): () => number {
  let head = Buffer.alloc(0);
  let after = -1;
  socket.on('data', (chunk: Buffer) => {
    if (after >= 0) {
      after += chunk.length;
      return;
    }
    head = Buffer.concat([head, chunk]);
    for (let end = head.indexOf(HEAD_END); end >= 0 && after < 0; end = head.indexOf(HEAD_END)) {
      const informational = /^HTTP\/\d\.\d 1\d\d /.test(head.subarray(0, 16).toString('latin1'));
      head = head.subarray(end + HEAD_END.length);
      if (!informational) after = head.length;
    }
    if (head.length > MAX_HEAD_BYTES) head = head.subarray(-3);
  });
  return () => Math.max(0, after);
}

function hostAddress(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * One GET of one URL, no redirect handling; resolves with the response head. `from` is the source a
 * redirect started at: errors name it too, since the hop's URL is nowhere in the user's configuration.
 */
function get(url: URL, headers: Record<string, string>, settings: Settings, signal: AbortSignal, from?: URL): Promise<Omit<Response, 'url'>> {
  const shown = from === undefined ? displayUrl(url) : `${displayUrl(url)} (redirected from ${displayUrl(from)})`;
  const literal = hostAddress(url);
  if (!settings.allowLinkLocal && isLinkLocal(literal)) return Promise.reject(new BlockedAddressError(shown, literal));
  // The source URL was checked by the plan; a redirect's Location comes from the server.
  const badEscape = badUserinfoEscape(url);
  if (badEscape !== undefined) {
    return Promise.reject(
      new FatalRemoteError(`${shown}: the ${badEscape} in the redirect's URL has a "%" that starts no escape (%XX); the server sent a malformed Location`),
    );
  }
  const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let bytesAfterHead = () => 0;
    const request = client.get(url, {
      headers: { 'user-agent': 'fetch-and-convert-data', 'accept-encoding': 'identity', connection: 'close', ...headers },
      lookup: guardedLookup(shown, settings.allowLinkLocal) as unknown as typeof dnsLookup,
      agent: false,
      signal,
      ...(auth ? { auth } : {}),
    });
    request.setTimeout(settings.readTimeoutMs, () => request.destroy(new TransientError(`${shown}: no data for ${settings.readTimeoutMs}ms`)));
    // The address actually connected to, checked as well (a resolver may answer differently each time).
    request.on('socket', (socket) => {
      socket.once('connect', () => {
        const remote = socket.remoteAddress ?? '';
        if (!settings.allowLinkLocal && isLinkLocal(remote)) request.destroy(new BlockedAddressError(shown, remote));
      });
      // A TLS socket's 'data' is the decrypted stream, like a plain one's.
      bytesAfterHead = countAfterHead(socket);
    });
    request.on('response', (message) => resolve({ message, bytesAfterHead }));
    request.on('error', (error: NodeJS.ErrnoException) => reject(requestError(shown, url, error)));
  });
}

/** Errors that waiting cannot fix, as exit-3 errors naming the URL; the rest unchanged (retried when transient). */
function requestError(shown: string, url: URL, error: NodeJS.ErrnoException): Error {
  const code = error.code ?? '';
  if (code === 'EPROTO' && url.protocol === 'https:') {
    return new FatalRemoteError(`${shown}: TLS handshake failed: the server does not speak TLS on this port (use http:// if it is plain HTTP)`, {
      cause: error,
    });
  }
  if (isTlsError(error))
    return new FatalRemoteError(`${shown}: TLS: ${error.message.split('\n')[0]} (a private CA is trusted with NODE_EXTRA_CA_CERTS)`, { cause: error });
  // llhttp's codes: the peer does not speak HTTP/1.x (garbage, another protocol) or breaks its framing.
  if (code.startsWith('HPE_'))
    return new FatalRemoteError(`${shown}: the server's answer is not valid HTTP (${error.message}); check the URL's scheme and port`, { cause: error });
  return error;
}

/** Certificate problems: waiting does not fix them. */
function isTlsError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return code === 'EPROTO' || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /CERT|SIGNATURE|SELF_SIGNED/.test(code);
}

function statusError(url: string, status: number): Error {
  const what = `${url}: HTTP ${status}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) return new TransientError(what);
  if (status === 401 || status === 403) return new FatalRemoteError(`${what} (access denied: check the URL's credentials or the server's permissions)`);
  if (status === 404 || status === 410) return new FatalRemoteError(`${what} (not found: check the URL)`);
  return new FatalRemoteError(what);
}

/** GET with redirects, each hop re-checked; resolves with a 200 or 206 response. */
async function getFollowing(start: URL, headers: Record<string, string>, settings: Settings, signal: AbortSignal): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const answer = await get(url, headers, settings, signal, hop > 0 ? start : undefined);
    const { message } = answer;
    const status = message.statusCode ?? 0;
    if (status >= 300 && status < 400 && message.headers.location) {
      message.resume();
      const shown = displayUrl(url);
      if (hop >= settings.maxRedirects) throw new FatalRemoteError(`${shown}: more than --max-redirects ${settings.maxRedirects} redirects`);
      let next: URL;
      try {
        next = new URL(message.headers.location, url);
      } catch {
        throw new FatalRemoteError(`${shown}: redirect to an invalid URL`);
      }
      const scheme = next.protocol.slice(0, -1);
      if ((scheme !== 'https' && scheme !== 'http') || !settings.allowedSchemes.has(scheme)) {
        throw new UsageError(`${shown}: redirect to scheme "${scheme}:" refused (allowed: http(s) within --allowed-schemes)`);
      }
      if (url.protocol === 'https:' && scheme === 'http' && !settings.allowHttpsDowngrade) {
        throw new UsageError(`${shown}: redirect from https to http (${displayUrl(next)}) refused; pass --allow-https-downgrade if intended`);
      }
      // Credentials are never forwarded to another origin.
      if (next.origin !== url.origin) {
        next.username = '';
        next.password = '';
      }
      url = next;
      continue;
    }
    if (status === 200 || status === 206) return { url, ...answer };
    message.resume();
    throw statusError(displayUrl(url), status);
  }
}

function isRetryable(error: unknown): boolean {
  return error instanceof TransientError || isTransientNetworkError(error);
}

export async function openHttp(source: URL, display: string, settings: Settings, signal: AbortSignal, log: Logger): Promise<SourceData> {
  const first = await retry(
    () => getFollowing(source, {}, settings, signal),
    attemptOptions({ retries: settings.retries, signal, log, what: display, isRetryable }),
  );
  if (first.message.statusCode !== 200) {
    first.message.resume();
    throw new FatalRemoteError(`${display}: the server answered ${first.message.statusCode} to a request for the whole resource`);
  }
  const size = declaredLength(first.message.headers);
  const validator = resumeValidator(first.message.headers);
  const finalUrl = first.url;

  /** The rest of the body from byte `from`, only when the answer provably continues the same representation. */
  async function resumeAt(from: number, resumable: ResumeValidator): Promise<Response> {
    const next = await getFollowing(finalUrl, { range: `bytes=${from}-`, 'if-range': resumable.ifRange }, settings, signal);
    const mismatch =
      next.message.statusCode === 206
        ? resumeMismatch(next.message.headers, from, resumable)
        : { kind: 'changed', reason: `the server answered ${next.message.statusCode}` };
    if (mismatch === undefined) return next;
    next.message.resume();
    const why = `the answer to resuming at byte ${from}: ${mismatch.reason}; nothing was kept`;
    // Another version: a new run fetches it whole. The same version in another range: the server is wrong.
    if (mismatch.kind === 'changed') throw new FatalRemoteError(`${display}: the resource changed while downloading (${why}); run again`);
    throw new InvalidInputError(`${display}: the server's resumed answer is not the range asked for (${why})`);
  }

  async function* body(): AsyncGenerator<Buffer> {
    let received = 0;
    let response: Response | undefined = first;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!response) {
          if (!validator) throw new Error('internal: resuming a body that cannot be resumed');
          response = await resumeAt(received, validator);
        }
        const expected = size === undefined ? undefined : size - received;
        let got = 0;
        for await (const chunk of response.message as AsyncIterable<Buffer>) {
          got += chunk.length;
          if (size !== undefined && received + chunk.length > size)
            throw new InvalidInputError(`${display}: the server sent more than the ${size} bytes it announced (Content-Length)`);
          received += chunk.length;
          yield chunk;
        }
        if (expected !== undefined && got === expected && response.bytesAfterHead() > expected) {
          throw new InvalidInputError(
            `${display}: the server sent more than the ${size} bytes it announced (Content-Length): ${response.bytesAfterHead() - expected} bytes more`,
          );
        }
        if (size !== undefined && received !== size) throw new TransientError(`${display}: body ended after ${received} of ${size} bytes`);
        return;
      } catch (error) {
        response = undefined;
        if (signal.aborted) throw signal.reason;
        const transient = isRetryable(error) || (error as Error).message === 'aborted';
        if (!transient) throw error;
        if (!validator)
          throw new FatalRemoteError(
            `${display}: transfer cut after ${received} bytes and the server does not support resuming safely (Accept-Ranges: bytes with a strong ETag or Last-Modified): ${(error as Error).message}`,
            { cause: error },
          );
        if (attempt > settings.retries)
          throw new FatalRemoteError(`${display}: transfer cut after ${received} of ${size} bytes; gave up after ${attempt} attempts`, { cause: error });
        log.warn('transfer cut, resuming', { source: display, receivedBytes: received, attempt });
      }
    }
  }
  const etag = first.message.headers.etag ?? first.message.headers['last-modified'];
  return { body: body(), size, metadata: { url: displayUrl(finalUrl), ...(etag ? { etag } : {}) } };
}
