import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedIpv4, ipv6Bytes, isLinkLocal } from '../../../tools/fetch-and-convert-data/address.ts';

test('every spelling of a link-local address is refused: IPv4-compatible, -mapped (dotted and hex), -translated, NAT64, 6to4, Teredo, zones, brackets', () => {
  const blocked = [
    '169.254.169.254',
    '169.254.170.23',
    '::169.254.169.254',
    '::a9fe:a9fe',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '::ffff:0:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::169.254.170.2',
    '64:ff9b:1::a9fe:a9fe',
    '64:ff9b:1:a9fe:a9:fe00::',
    '2002:a9fe:a9fe::1',
    '2001:0:4136:e378:8000:63bf:5601:5601',
    'fe80::1',
    'fe80::1%eth0',
    'febf:ffff::1',
    '[fd00:ec2::254]',
    'fd00:ec2::23',
    '0:0:0:0:0:ffff:a9fe:a9fe',
  ];
  for (const address of blocked) assert.equal(isLinkLocal(address), true, address);
});

test('loopback, private and public addresses and host names pass', () => {
  for (const address of [
    '127.0.0.1',
    '::1',
    '::',
    '10.0.0.1',
    '192.168.1.1',
    '::ffff:127.0.0.1',
    '64:ff9b::a00:1',
    '2002:0a00:0001::1',
    'fd00:ec2::1',
    'fec0::1',
    '2001:db8::1',
    'example.com',
    '169.254.example.com',
  ]) {
    assert.equal(isLinkLocal(address), false, address);
  }
});

test('ipv6Bytes and embeddedIpv4 read the standard embeddings', () => {
  assert.deepEqual(Array.from(ipv6Bytes('::ffff:1.2.3.4') ?? []), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
  assert.equal(ipv6Bytes('not-an-address'), undefined);
  assert.deepEqual(embeddedIpv4(ipv6Bytes('2002:102:304::') as Uint8Array), ['1.2.3.4']);
  assert.deepEqual(embeddedIpv4(ipv6Bytes('2001:db8::1') as Uint8Array), []);
});
