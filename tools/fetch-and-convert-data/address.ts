// Which addresses a source may not reach: the link-local ranges where instance metadata and EKS Pod
// Identity credentials live. An IPv6 address can carry an IPv4 one inside it (IPv4-mapped, -compatible,
// -translated, NAT64, 6to4, Teredo): those are judged by the IPv4 address they embed, since a gateway on
// the path may deliver them there. IPv4 spellings such as 2852039166 or 0xa9.0xfe.0xa9.0xfe are
// canonicalised by the WHATWG URL parser before they get here; net.isIP recognises only the canonical form.

import { BlockList, isIP } from 'node:net';

/** IPv4 169.254/16 (EC2 IMDS 169.254.169.254, ECS 169.254.170.2, EKS Pod Identity 169.254.170.23), IPv6 fe80::/10, and the IPv6 IMDS / Pod Identity addresses. */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::23', 'ipv6');

/** The 16 bytes of an IPv6 address (with or without brackets, an embedded dotted IPv4 tail or a zone), or undefined. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIP(address) !== 6) return undefined;
  let head = address;
  const tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    head = address.slice(0, -(dotted[1] as string).length) + '0:0';
    tail.push(...(dotted[1] as string).split('.').map(Number));
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const before = groups(left);
  const after = right === undefined ? [] : groups(right);
  const words = [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

function dotted(bytes: ArrayLike<number>): string {
  return Array.from(bytes).join('.');
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

const ZERO_80 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Every IPv4 address an IPv6 address may stand for, by the standard embeddings. */
export function embeddedIpv4(bytes: Uint8Array): string[] {
  const last = bytes.subarray(12, 16);
  const found: string[] = [];
  // ::a.b.c.d (compatible, deprecated but still routed by some stacks), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated).
  if (startsWith(bytes, [...ZERO_80, 0, 0]) || startsWith(bytes, [...ZERO_80, 0xff, 0xff]) || startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0]))
    found.push(dotted(last));
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) found.push(dotted(last));
  // NAT64 local-use 64:ff9b:1::/48 (RFC 8215): the IPv4 address sits after the /48 (around the "u" octet) or at the end.
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 1])) found.push(dotted([bytes[6] ?? 0, bytes[7] ?? 0, bytes[9] ?? 0, bytes[10] ?? 0]), dotted(last));
  // 6to4 2002:AABB:CCDD::/48.
  if (startsWith(bytes, [0x20, 0x02])) found.push(dotted(bytes.subarray(2, 6)));
  // Teredo 2001:0::/32: the client address, inverted, in the last 32 bits.
  if (startsWith(bytes, [0x20, 0x01, 0, 0])) found.push(dotted(Array.from(last, (b) => b ^ 0xff)));
  return found;
}

/** True for a link-local address (IPv4 or IPv6, including IPv4 embedded in IPv6); false for anything else, host names included. */
export function isLinkLocal(address: string): boolean {
  const plain = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(plain);
  if (family === 4) return LINK_LOCAL.check(plain, 'ipv4');
  const bytes = ipv6Bytes(plain);
  if (!bytes) return false;
  if (LINK_LOCAL.check(plain.replace(/%.*$/, ''), 'ipv6')) return true;
  return embeddedIpv4(bytes).some((v4) => LINK_LOCAL.check(v4, 'ipv4'));
}
