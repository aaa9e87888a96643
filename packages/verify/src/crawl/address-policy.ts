import { isIPv4, isIPv6 } from 'node:net';

/**
 * Classifies IP addresses for the SSRF guard. Only globally routable unicast addresses are
 * public; everything else is refused unless the checker explicitly allows loopback (tests, the
 * local demo) or private ranges. IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64,
 * 6to4, IPv4-translated) are judged by the embedded IPv4 address, so `::ffff:10.0.0.1` is as
 * private as `10.0.0.1`.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'invalid';

export interface AddressPolicy {
  allowLoopback: boolean;
  allowPrivate: boolean;
}

interface V4Range {
  base: number;
  bits: number;
  cls: AddressClass;
}

function v4(a: string, bits: number, cls: AddressClass): V4Range {
  return { base: parseIPv4(a) as number, bits, cls };
}

// Most specific ranges first (255.255.255.255 before 240/4).
const V4_RANGES: V4Range[] = [
  v4('255.255.255.255', 32, 'broadcast'),
  v4('0.0.0.0', 32, 'unspecified'),
  v4('0.0.0.0', 8, 'reserved'), // "this network"
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'private'), // CGNAT
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link_local'), // includes cloud metadata 169.254.169.254
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'), // IETF protocol assignments
  v4('192.0.2.0', 24, 'documentation'),
  v4('192.31.196.0', 24, 'reserved'), // AS112
  v4('192.52.193.0', 24, 'reserved'), // AMT
  v4('192.88.99.0', 24, 'reserved'), // 6to4 relay anycast
  v4('192.168.0.0', 16, 'private'),
  v4('192.175.48.0', 24, 'reserved'), // AS112
  v4('198.18.0.0', 15, 'reserved'), // benchmarking
  v4('198.51.100.0', 24, 'documentation'),
  v4('203.0.113.0', 24, 'documentation'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'),
];

/** Dotted-quad IPv4 to an unsigned 32-bit number; null when not a plain dotted quad. */
export function parseIPv4(address: string): number | null {
  if (!isIPv4(address)) return null;
  const parts = address.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function inV4(value: number, range: V4Range): boolean {
  if (range.bits === 0) return true;
  const mask = range.bits === 32 ? 0xffffffff : (0xffffffff << (32 - range.bits)) >>> 0;
  return (value & mask) >>> 0 === (range.base & mask) >>> 0;
}

export function classifyIPv4(value: number): AddressClass {
  for (const range of V4_RANGES) if (inV4(value, range)) return range.cls;
  return 'public';
}

/** IPv6 text (no brackets, optional zone id) to eight 16-bit groups; null when invalid. */
export function parseIPv6(address: string): number[] | null {
  const text = address.split('%')[0];
  if (!isIPv6(text)) return null;
  let head = text;
  let tailV4: number[] = [];
  const lastColon = head.lastIndexOf(':');
  const tail = head.slice(lastColon + 1);
  if (tail.includes('.')) {
    const value = parseIPv4(tail);
    if (value === null) return null;
    tailV4 = [value >>> 16, value & 0xffff];
    head = head.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const toGroups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  let groups: number[];
  const gap = head.indexOf('::');
  if (gap >= 0) {
    const left = toGroups(head.slice(0, gap));
    const right = [...toGroups(head.slice(gap + 2)), ...tailV4];
    const missing = 8 - left.length - right.length;
    if (missing < 0) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = [...toGroups(head), ...tailV4];
  }
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function embeddedV4(hi: number, lo: number): number {
  return ((hi << 16) | lo) >>> 0;
}

export function classifyIPv6(g: number[]): AddressClass {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (IPv4-mapped) and ::ffff:0:a.b.c.d (IPv4-translated): judge the IPv4 address.
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyIPv4(embeddedV4(g[6], g[7]));
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return classifyIPv4(embeddedV4(g[6], g[7]));
  // ::a.b.c.d (deprecated IPv4-compatible) and the rest of ::/8: never a public destination.
  if (g[0] === 0) return 'reserved';
  // NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 destination.
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) {
    return classifyIPv4(embeddedV4(g[6], g[7]));
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'private'; // local-use NAT64 64:ff9b:1::/48
  if (g[0] === 0x2002) return classifyIPv4(embeddedV4(g[1], g[2])); // 6to4 embeds an IPv4 address
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if ((g[0] & 0xfff0) === 0x3ff0) return 'documentation'; // 3fff::/20
  if ((g[0] & 0xfe00) === 0xfc00) return 'private'; // unique-local fc00::/7
  if ((g[0] & 0xffc0) === 0xfe80) return 'link_local';
  if ((g[0] & 0xffc0) === 0xfec0) return 'reserved'; // deprecated site-local
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] < 0x0200) return 'reserved'; // IETF protocol assignments incl. Teredo
  if (g[0] === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved'; // discard-only
  // Only 2000::/3 is global unicast.
  if ((g[0] & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/** Classifies an IPv4 or IPv6 address text (IPv6 without brackets). */
export function classifyAddress(address: string): AddressClass {
  const asV4 = parseIPv4(address);
  if (asV4 !== null) return classifyIPv4(asV4);
  const asV6 = parseIPv6(address);
  return asV6 === null ? 'invalid' : classifyIPv6(asV6);
}

export function isAddressAllowed(address: string, policy: AddressPolicy): boolean {
  const cls = classifyAddress(address);
  if (cls === 'public') return true;
  if (cls === 'loopback') return policy.allowLoopback;
  if (cls === 'private') return policy.allowPrivate;
  return false;
}

/** The host of a URL as an IP literal (brackets removed), or null for a DNS name. */
export function ipLiteralOf(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIPv4(bare) || isIPv6(bare) ? bare : null;
}
