import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, ipLiteralOf, isAddressAllowed, parseIPv6 } from './address-policy.js';

const closed = { allowLoopback: false, allowPrivate: false };

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['169.254.169.254', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['fec0::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['::10.0.0.1', 'reserved'],
    // IPv4-mapped, IPv4-translated, NAT64 and 6to4 forms are judged by the IPv4 inside.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'link_local'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:0:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::8.8.4.4', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', 'public'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['not-an-ip', 'invalid'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it('parses compressed and dotted IPv6 forms', () => {
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(parseIPv6('1:2')).toBeNull();
  });
});

describe('isAddressAllowed', () => {
  it('refuses everything but public unicast by default', () => {
    expect(isAddressAllowed('8.8.8.8', closed)).toBe(true);
    for (const a of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1', 'fc00::1', '0.0.0.0']) {
      expect(isAddressAllowed(a, closed)).toBe(false);
    }
  });
  it('opens loopback and private ranges only when asked, never link-local or metadata', () => {
    const loop = { allowLoopback: true, allowPrivate: false };
    expect(isAddressAllowed('127.0.0.1', loop)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.1', loop)).toBe(true);
    expect(isAddressAllowed('10.0.0.1', loop)).toBe(false);
    const priv = { allowLoopback: false, allowPrivate: true };
    expect(isAddressAllowed('10.0.0.1', priv)).toBe(true);
    expect(isAddressAllowed('fd00::1', priv)).toBe(true);
    expect(isAddressAllowed('127.0.0.1', priv)).toBe(false);
    const all = { allowLoopback: true, allowPrivate: true };
    expect(isAddressAllowed('169.254.169.254', all)).toBe(false);
    expect(isAddressAllowed('224.0.0.1', all)).toBe(false);
  });
});

describe('ipLiteralOf', () => {
  it('recognises URL host IP literals, including the forms the URL parser normalises', () => {
    expect(ipLiteralOf(new URL('http://[::1]:8080/').hostname)).toBe('::1');
    expect(ipLiteralOf(new URL('http://0x7f.1/').hostname)).toBe('127.0.0.1');
    expect(ipLiteralOf(new URL('http://2130706433/').hostname)).toBe('127.0.0.1');
    expect(ipLiteralOf(new URL('http://[::ffff:10.0.0.1]/').hostname)).toBe('::ffff:a00:1');
    expect(classifyAddress(ipLiteralOf(new URL('http://[::ffff:10.0.0.1]/').hostname) as string)).toBe('private');
    expect(ipLiteralOf('example.test')).toBeNull();
  });
});

describe('embedded IPv4 forms (property)', () => {
  it('judges IPv4-mapped, IPv4-translated, NAT64 and 6to4 forms exactly like the IPv4 address', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), ([a, b, c, d]) => {
        const v4 = `${a}.${b}.${c}.${d}`;
        const hi = ((a << 8) | b).toString(16);
        const lo = ((c << 8) | d).toString(16);
        const expected = classifyAddress(v4);
        expect(classifyAddress(`::ffff:${v4}`)).toBe(expected);
        expect(classifyAddress(`::ffff:${hi}:${lo}`)).toBe(expected);
        expect(classifyAddress(`::ffff:0:${v4}`)).toBe(expected);
        expect(classifyAddress(`64:ff9b::${v4}`)).toBe(expected);
        expect(classifyAddress(`2002:${hi}:${lo}::1`)).toBe(expected);
        const url = new URL(`http://[::ffff:${v4}]/`);
        expect(classifyAddress(ipLiteralOf(url.hostname) as string)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
