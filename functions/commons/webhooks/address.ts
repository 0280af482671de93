import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a webhook may be delivered to: public unicast addresses only, so that a
 * webhook URL cannot make Vigil reach its own network (server-side request forgery). Checked on
 * the addresses a name resolves to, at every attempt, and the request then connects to the
 * checked address itself.
 */

/** IPv4 ranges that are not public (RFC 6890 special-purpose and private ranges). */
const v4NotPublic: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, the instance metadata service among them
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

/** IPv6: global unicast (2000::/3) only, less the special ranges inside it. */
const v6GlobalUnicast: readonly [string, number] = ['2000::', 3];
const v6NotPublic: readonly (readonly [string, number])[] = [
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address inside
  ['3fff::', 20], // documentation
];

const v4Blocked = new BlockList();
for (const [net, prefix] of v4NotPublic) v4Blocked.addSubnet(net, prefix, 'ipv4');
const v6Global = new BlockList();
v6Global.addSubnet(v6GlobalUnicast[0], v6GlobalUnicast[1], 'ipv6');
const v6Blocked = new BlockList();
for (const [net, prefix] of v6NotPublic) v6Blocked.addSubnet(net, prefix, 'ipv6');
const v4Loopback = new BlockList();
v4Loopback.addSubnet('127.0.0.0', 8, 'ipv4');

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated) and NAT64 (`64:ff9b::/96`).
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const high = groups.slice(0, 6);
  const zeros = (n: number) => high.slice(0, n).every((g) => g === 0);
  const mapped = zeros(5) && high[5] === 0xffff;
  const compatible = zeros(6) && (groups[6] !== 0 || (groups[7] ?? 0) > 1);
  const nat64 = high[0] === 0x64 && high[1] === 0xff9b && high.slice(2).every((g) => g === 0);
  if (!mapped && !compatible && !nat64) return undefined;
  const [a = 0, b = 0] = groups.slice(6);
  return [a >> 8, a & 0xff, b >> 8, b & 0xff].join('.');
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included), or undefined. */
function expandIpv6(address: string): number[] | undefined {
  let text = address.split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const bytes = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0)).toString(16)}:${(((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return undefined;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) =>
    Number.parseInt(g, 16),
  );
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

/** True for a public unicast IPv4 or IPv6 address; false for anything else, a non-address included. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !v4Blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined) return false; // an IPv4 host behind an IPv6 form: never a webhook's
  const plain = address.split('%')[0] ?? '';
  return v6Global.check(plain, 'ipv6') && !v6Blocked.check(plain, 'ipv6');
}

/** True for a loopback address: 127.0.0.0/8, ::1, and 127.x.y.z in an IPv4-mapped form. */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return v4Loopback.check(address, 'ipv4');
  if (family !== 6) return false;
  const groups = expandIpv6(address);
  if (groups?.every((g, i) => g === (i === 7 ? 1 : 0))) return true;
  const v4 = embeddedIpv4(address);
  return v4 !== undefined && v4Loopback.check(v4, 'ipv4');
}

/** Whether a webhook may reach this address: a public one, or loopback where that is allowed (locally). */
export function mayDeliverTo(address: string, allowLoopback: boolean): boolean {
  return isPublicAddress(address) || (allowLoopback && isLoopbackAddress(address));
}
