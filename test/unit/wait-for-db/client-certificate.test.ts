// readClientCertificate: the forms a certificate and key come in (a chain, one file holding both, a
// traditional PEM key), the refusals, and the key registered for redaction, never in a message.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../../tools/core/errors.ts';
import { redactor } from '../../../tools/core/redact.ts';
import { readClientCertificate } from '../../../tools/wait-for-db/client-certificate.ts';
import { certificateAuthority, issueCertificate } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const dir = tempDir('wfd-client-cert-unit-');
const ca = certificateAuthority(dir, 'unit-ca');
const client = issueCertificate(ca, dir, 'app', 'client');
const keyLines = readFileSync(client.key, 'utf8')
  .split('\n')
  .filter((line) => line && !line.startsWith('-----'));

const read = (certPath: string | undefined, keyPath: string | undefined) =>
  readClientCertificate({ certPath, keyPath, certName: '--cert-file', keyName: '--key-file' });

function file(name: string, content: string): string {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

test('nothing named: no client certificate', async () => {
  assert.equal(await read(undefined, undefined), undefined);
});

test('a certificate with its chain, a file holding both the certificate and the key, a traditional EC key', async () => {
  const chain = file('chain.pem', readFileSync(client.cert, 'utf8') + readFileSync(ca.cert, 'utf8'));
  const both = file('both.pem', readFileSync(client.cert, 'utf8') + readFileSync(client.key, 'utf8'));
  const traditional = join(dir, 'traditional.key');
  execFileSync('openssl', ['ec', '-in', client.key, '-out', traditional], { stdio: 'ignore' });
  for (const [cert, key] of [
    [chain, client.key],
    [both, both],
    [client.cert, traditional],
  ] as const) {
    const pair = await read(cert, key);
    assert.deepEqual(pair?.key, readFileSync(key));
  }
});

test('the key is registered for redaction line by line, its BEGIN/END lines are not', async () => {
  await read(client.cert, client.key);
  for (const line of keyLines) assert.equal(redactor.redact(`x ${line} y`), 'x *** y');
  assert.equal(redactor.redact('-----BEGIN PRIVATE KEY-----'), '-----BEGIN PRIVATE KEY-----');
});

test('refusals name the setting and the file, and the fix; never a line of the key', async () => {
  const traditionalEncrypted = join(dir, 'traditional-encrypted.key');
  execFileSync('openssl', ['ec', '-in', client.key, '-aes256', '-passout', 'pass:secret', '-out', traditionalEncrypted], { stdio: 'ignore' });
  const cases: Array<[string | undefined, string | undefined, RegExp]> = [
    [client.cert, undefined, /^--cert-file is given without --key-file/],
    [client.cert, traditionalEncrypted, /is an encrypted private key, and wait-for-db takes no passphrase/],
    [
      client.cert,
      file('garbage.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      /holds no PEM private key that can be read; the key goes to --key-file/,
    ],
    [file('garbage.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), client.key, /its first certificate cannot be parsed/],
    [dir, client.key, /^--cert-file .* is a directory/],
  ];
  for (const [cert, key, message] of cases) {
    await assert.rejects(read(cert, key), (error: Error) => {
      assert.ok(error instanceof UsageError, error.message);
      assert.match(error.message, message);
      for (const line of keyLines) assert.ok(!error.message.includes(line), 'a line of the key is in the message');
      return true;
    });
  }
});
