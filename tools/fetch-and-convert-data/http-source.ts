// https:// and http:// sources. Every hop of a redirect chain is checked again: scheme allowed, no
// https -> http downgrade, and every address the host name resolves to (and the address actually
// connected to) outside the link-local ranges where instance metadata and EKS Pod Identity
// credentials live, unless --allow-link-local. A body cut mid-stream is resumed with a Range request
// when the server supports it, else the request is retried from the start before any byte was used.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { FatalRemoteError, InvalidInputError, UsageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { isTransientNetworkError } from '../core/network.ts';
import { badUserinfoEscape, displayUrl } from '../core/url.ts';
import type { Settings } from './plan.ts';
import type { SourceData } from './source.ts';
import { TransientError, withRetries } from './transient.ts';

/** Link-local ranges: IPv4 169.254/16 (EC2 IMDS 169.254.169.254, ECS 169.254.170.2, EKS Pod Identity 169.254.170.23), IPv6 fe80::/10, and the IPv6 IMDS / Pod Identity addresses. */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::23', 'ipv6');

export function isLinkLocal(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return LINK_LOCAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Refused on purpose: a policy decision, not a network failure (never retried). */
export class BlockedAddressError extends InvalidInputError {
  constructor(url: string, address: string) {
    super(`${url} resolves to the link-local address ${address} (instance metadata / Pod Identity credentials); refused: pass --allow-link-local if this source is intended`);
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
}

function hostAddress(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * One GET of one URL, no redirect handling; resolves with the response head. `from` is the source a
 * redirect started at: errors name it too, since the hop's URL is nowhere in the user's configuration.
 */
function get(url: URL, headers: Record<string, string>, settings: Settings, signal: AbortSignal, from?: URL): Promise<http.IncomingMessage> {
  const shown = from === undefined ? displayUrl(url) : `${displayUrl(url)} (redirected from ${displayUrl(from)})`;
  const literal = hostAddress(url);
  if (!settings.allowLinkLocal && isLinkLocal(literal)) return Promise.reject(new BlockedAddressError(shown, literal));
  // The source URL was checked by the plan; a redirect's Location comes from the server.
  const badEscape = badUserinfoEscape(url);
  if (badEscape !== undefined) {
    return Promise.reject(new FatalRemoteError(`${shown}: the ${badEscape} in the redirect's URL has a "%" that starts no escape (%XX); the server sent a malformed Location`));
  }
  const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, {
      headers: { 'user-agent': 'fetch-and-convert-data', 'accept-encoding': 'identity', ...headers },
      lookup: guardedLookup(shown, settings.allowLinkLocal) as unknown as typeof dnsLookup,
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
    });
    request.on('response', resolve);
    request.on('error', (error: NodeJS.ErrnoException) => reject(isTlsError(error) ? new FatalRemoteError(`${shown}: TLS: ${error.message} (a private CA is trusted with NODE_EXTRA_CA_CERTS)`, { cause: error }) : error));
  });
}

/** Certificate problems: waiting does not fix them. */
function isTlsError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /CERT|SIGNATURE|SELF_SIGNED/.test(code);
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
    const message = await get(url, headers, settings, signal, hop > 0 ? start : undefined);
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
    if (status === 200 || status === 206) return { url, message };
    message.resume();
    throw statusError(displayUrl(url), status);
  }
}

function isRetryable(error: unknown): boolean {
  return error instanceof TransientError || isTransientNetworkError(error);
}

export async function openHttp(source: URL, display: string, settings: Settings, signal: AbortSignal, log: Logger): Promise<SourceData> {
  const retryOptions = { retries: settings.retries, signal, log, what: display, isRetryable };
  const first = await withRetries(() => getFollowing(source, {}, settings, signal), retryOptions);
  const length = first.message.headers['content-length'];
  const size = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  const validator = first.message.headers.etag ?? first.message.headers['last-modified'];
  const resumable = first.message.headers['accept-ranges'] === 'bytes' && validator !== undefined && size !== undefined;
  const finalUrl = first.url;

  async function* body(): AsyncGenerator<Buffer> {
    let received = 0;
    let response: http.IncomingMessage | undefined = first.message;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!response) {
          const headers: Record<string, string> = { range: `bytes=${received}-`, 'if-range': validator as string };
          const next = await getFollowing(finalUrl, headers, settings, signal);
          if (next.message.statusCode !== 206) {
            next.message.resume();
            throw new FatalRemoteError(`${display}: the object changed while downloading (server answered ${next.message.statusCode} to a resume request)`);
          }
          response = next.message;
        }
        for await (const chunk of response as AsyncIterable<Buffer>) {
          received += chunk.length;
          yield chunk;
        }
        if (size !== undefined && received !== size) throw new TransientError(`${display}: body ended after ${received} of ${size} bytes`);
        return;
      } catch (error) {
        response = undefined;
        if (signal.aborted) throw signal.reason;
        const transient = isRetryable(error) || (error as Error).message === 'aborted';
        if (!transient) throw error;
        if (!resumable) throw new FatalRemoteError(`${display}: transfer cut after ${received} bytes and the server does not support resuming (Range): ${(error as Error).message}`, { cause: error });
        if (attempt > settings.retries) throw new FatalRemoteError(`${display}: transfer cut after ${received} of ${size} bytes; gave up after ${attempt} attempts`, { cause: error });
        log.warn('transfer cut, resuming', { source: display, receivedBytes: received, attempt });
      }
    }
  }
  return { body: body(), size, metadata: { url: displayUrl(finalUrl), ...(validator ? { etag: validator } : {}) } };
}
