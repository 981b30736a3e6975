import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize } from '../../../tools/fetch-and-convert-data/size.ts';
import { isLinkLocal } from '../../../tools/fetch-and-convert-data/http-source.ts';

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
