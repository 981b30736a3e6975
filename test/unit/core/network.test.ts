import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransientNetworkError, transientNetworkCode } from '../../../tools/core/network.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

test('connection, DNS and undici socket errors are transient', () => {
  const codes =
    'ECONNREFUSED ECONNRESET EPIPE ETIMEDOUT EHOSTUNREACH ENETUNREACH ENETDOWN EADDRNOTAVAIL ENOTFOUND EAI_AGAIN UND_ERR_SOCKET UND_ERR_CONNECT_TIMEOUT';
  for (const code of codes.split(' ')) {
    assert.equal(isTransientNetworkError(coded(code)), true, code);
  }
});

test('other errors are not: TLS verification, permissions, plain errors, non-errors', () => {
  for (const error of [
    coded('CERT_HAS_EXPIRED'),
    coded('EACCES'),
    coded('ENOENT'),
    new Error('ECONNRESET in the text only'),
    undefined,
    null,
    'ECONNRESET',
    42,
  ]) {
    assert.equal(isTransientNetworkError(error), false, String(error));
  }
});

test('the cause chain is walked: fetch failed -> getaddrinfo ENOTFOUND', () => {
  const wrapped = new TypeError('fetch failed', { cause: new Error('connect', { cause: coded('ENOTFOUND', 'getaddrinfo ENOTFOUND db') }) });
  assert.equal(transientNetworkCode(wrapped), 'ENOTFOUND');
});

test('a cycle of causes ends the walk', () => {
  const a = new Error('a') as Error & { cause?: unknown };
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.equal(isTransientNetworkError(a), false);
});
