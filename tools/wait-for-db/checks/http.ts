// http(s):// is ready when a GET answers with an expected status (and body match, when asked).
// Redirects are not followed: a 3xx is a status like any other.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from '../../core/errors.ts';
import { CheckFailure, type CheckResult } from '../outcome.ts';
import type { CheckSettings } from '../settings.ts';
import type { Target } from '../target.ts';

/** --http-body-match looks at the first MiB of the body; the rest is never read (a 10 GB body costs nothing). */
export const MAX_BODY_BYTES = 1 << 20;

/**
 * "user:password" for basic auth (RFC 7617), from the URL or --user-env/--password-env and the like;
 * checked before waiting: a ":" in the user cannot be sent, and an Authorization header would silently win.
 */
export function basicAuth(target: Target, settings: CheckSettings): string | undefined {
  if (target.user === undefined && target.password === undefined) return undefined;
  if (target.user?.includes(':')) {
    throw new UsageError(
      `the user of "${target.display}" holds a ":", which basic auth cannot send (RFC 7617); use a user without one, or pass --http-header "Authorization: ..."`,
    );
  }
  if (Object.keys(settings.httpHeaders).some((name) => name.toLowerCase() === 'authorization')) {
    throw new UsageError(`"${target.display}" has a user or password and --http-header sets Authorization too; keep one of them`);
  }
  return `${target.user ?? ''}:${target.password ?? ''}`;
}

export function checkHttp(target: Target, auth: string | undefined, settings: CheckSettings, signal: AbortSignal): Promise<CheckResult> {
  const request = target.tls ? httpsRequest : httpRequest;
  const url = new URL(target.url.href);
  url.username = '';
  url.password = '';
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { 'user-agent': 'wait-for-db', ...settings.httpHeaders },
        ...(auth ? { auth } : {}),
        signal,
        ...(target.tls
          ? { ca: settings.tls.ca, cert: settings.tls.client?.cert, key: settings.tls.client?.key, rejectUnauthorized: !settings.tls.insecureSkipVerify }
          : {}),
      },
      (response) => {
        readBody(response, settings.httpBodyMatch !== undefined).then((body) => {
          const status = response.statusCode ?? 0;
          if (status === 401 && auth !== undefined && !settings.httpStatus(status)) {
            reject(new CheckFailure('auth', 'HTTP 401: the server refused the user and password; waiting cannot fix this: check them', false));
          } else if (!settings.httpStatus(status)) {
            resolve({ ready: false, detail: `HTTP ${status} is not an expected status` });
          } else if (settings.httpBodyMatch && !settings.httpBodyMatch.test(body)) {
            resolve({ ready: false, detail: `HTTP ${status} but the body does not match ${settings.httpBodyMatch}` });
          } else {
            resolve({ ready: true, detail: `HTTP ${status}` });
          }
        }, reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** The body's first MAX_BODY_BYTES when a match needs it, else nothing; the connection is closed after. */
function readBody(response: IncomingMessage, needed: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!needed) {
      response.destroy();
      return resolve('');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      response.destroy();
      resolve(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'));
    };
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_BODY_BYTES) done();
    });
    response.once('end', done);
    response.once('error', (error) => reject(new CheckFailure('reset', `response interrupted: ${error.message}`, true, { cause: error })));
  });
}
