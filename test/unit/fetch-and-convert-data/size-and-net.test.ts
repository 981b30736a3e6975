import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize } from '../../../tools/core/size.ts';
import { isLinkLocal } from '../../../tools/fetch-and-convert-data/address.ts';
import { guardedLookup } from '../../../tools/fetch-and-convert-data/http-source.ts';

test('parseSize reads bytes, binary and decimal units', () => {
  assert.equal(parseSize('1024'), 1024);
  assert.equal(parseSize('8MiB'), 8 * 2 ** 20);
  assert.equal(parseSize('1.5 GiB'), 1.5 * 2 ** 30);
  assert.equal(parseSize('2GB'), 2e9);
  assert.equal(parseSize('12 parsecs'), undefined);
  assert.equal(parseSize('-1'), undefined);
  assert.equal(formatSize(1536), '1.50 KiB');
});

test('isLinkLocal covers IMDS, ECS, EKS Pod Identity (v4 and v6) and mapped addresses, not loopback or private ranges', () => {
  for (const address of ['169.254.169.254', '169.254.170.2', '169.254.170.23', 'fd00:ec2::254', 'fd00:ec2::23', 'fe80::1', '::ffff:169.254.169.254']) {
    assert.equal(isLinkLocal(address), true, address);
  }
  for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', 'fd00:ec2::1', 'example.com']) {
    assert.equal(isLinkLocal(address), false, address);
  }
});

test('guardedLookup refuses a host name when any resolved address is link-local, and passes the others', async () => {
  const fakeDns =
    (answers: Record<string, string[]>) =>
    (
      hostname: string,
      _options: { all: true },
      callback: (error: NodeJS.ErrnoException | null, addresses: Array<{ address: string; family: number }>) => void,
    ) =>
      callback(
        null,
        (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
  const dns = fakeDns({
    'metadata.attacker.example': ['203.0.113.7', '169.254.169.254'],
    'v6.attacker.example': ['fd00:ec2::254'],
    'nat64.attacker.example': ['2001:db8::1', '64:ff9b::a9fe:a9fe'],
    'ok.example': ['127.0.0.1'],
  });
  const lookup = (host: string, allow: boolean, all = false) =>
    new Promise<unknown>((resolve, reject) =>
      guardedLookup(`http://${host}/`, allow, dns)(host, { all }, (error, address) => (error ? reject(error) : resolve(address))),
    );

  await assert.rejects(lookup('metadata.attacker.example', false), /link-local address 169\.254\.169\.254 .* refused: pass --allow-link-local/);
  await assert.rejects(lookup('v6.attacker.example', false), /link-local address fd00:ec2::254/);
  await assert.rejects(lookup('nat64.attacker.example', false), /link-local address 64:ff9b::a9fe:a9fe/);
  assert.equal(await lookup('ok.example', false), '127.0.0.1');
  assert.deepEqual(await lookup('ok.example', false, true), [{ address: '127.0.0.1', family: 4 }]);
  assert.equal(await lookup('metadata.attacker.example', true), '203.0.113.7');
});
