import { type Checker, createChecker, type ExpectedHash } from '@staydown/verify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer, startTunnelProxy, type TunnelProxy } from '../fault-server/index.js';
import { expectedFor, testCheckerOptions } from './helpers.js';

/**
 * The guard must refuse before any connection is made. Every checker here is wired so that a
 * connection that slipped through could only reach loopback: the fault server directly or as a
 * dead-end "proxy" (where `stats.connections` counts it), or a tunnel proxy that only opens
 * tunnels to 127.0.0.1 and records every request. Nothing ever leaves the machine.
 */
let server: FaultServer;
let tunnel: TunnelProxy;
let expected: ExpectedHash[];
const checkers: Checker[] = [];

beforeAll(async () => {
  server = await startFaultServer();
  expected = await expectedFor(server.images.original);
  server.lookup.set('private.test', '10.0.0.1');
  server.lookup.set('metadata.test', '169.254.169.254');
  server.lookup.set('mapped.test', '::ffff:10.0.0.1');
  server.lookup.set('mapped-loop.test', '::ffff:127.0.0.1');
  server.lookup.set('nat64.test', '64:ff9b::a9fe:a9fe');
  server.lookup.set('cgnat.test', '100.64.1.1');
  server.lookup.set('mixed.test', ['127.0.0.1', '192.168.1.1']);
  server.lookup.set('loop.test', '127.0.0.1');
  tunnel = await startTunnelProxy(server.lookup);
});

beforeEach(() => {
  server.resetStats();
  tunnel.tunnels.length = 0;
});

afterAll(async () => {
  await Promise.all(checkers.map((c) => c.close()));
  await tunnel?.close();
  await server?.close();
});

function make(overrides: Parameters<typeof testCheckerOptions>[1] = {}): Checker {
  const checker = createChecker(testCheckerOptions(server, overrides));
  checkers.push(checker);
  return checker;
}

describe('SSRF guard in the checker', () => {
  it.each(['private.test', 'metadata.test', 'mapped.test', 'nat64.test', 'cgnat.test', 'mixed.test'])(
    'refuses %s (stub DNS) without connecting',
    async (host) => {
      // Traffic that slipped past the guard would go to the "proxy", i.e. the fault server.
      const checker = make({ proxy: { url: server.origin, name: 'spy' } });
      const before = server.lookup.calls.get(host) ?? 0;
      const obs = await checker.check(`http://${host}/image.jpg`, expected);
      expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'address_refused', resolvedIp: null, status: null });
      expect(obs.vantage).toBe('spy');
      expect(obs.detail).toMatch(/\((private|link_local)\)/);
      expect(server.lookup.calls.get(host)).toBe(before + 1);
      expect(server.stats.connections).toBe(0);
    },
  );

  it.each([
    'http://10.0.0.1/image.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00::1]/x',
    'http://[::ffff:a00:1]/x',
    'http://[64:ff9b::a00:1]/x',
    'http://224.0.0.1/x',
  ])('refuses the IP literal %s without connecting', async (url) => {
    const checker = make({ proxy: { url: server.origin, name: 'spy' } });
    const obs = await checker.check(url, expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'address_refused' });
    expect(server.stats.connections).toBe(0);
  });

  it('refuses loopback unless allowed (names, literals and IPv4-mapped forms)', async () => {
    const closed = make({ allowLoopback: false });
    for (const url of [
      server.url('/image.jpg'),
      server.url('/image.jpg', 'loop.test'),
      server.url('/image.jpg', 'mapped-loop.test'),
      server.url('/image.jpg', '[::ffff:127.0.0.1]'),
      server.url('/image.jpg', '0x7f.1'),
      server.url('/image.jpg', 'localhost.test'),
    ]) {
      const obs = await closed.check(url, expected);
      expect(obs.verdict).not.toBe('PRESENT');
      expect(['address_refused', 'dns']).toContain(obs.reason);
    }
    expect(server.stats.connections).toBe(0);
    const open = make({ allowLoopback: true });
    expect((await open.check(server.url('/image.jpg', 'loop.test'), expected)).verdict).toBe('PRESENT');
  });

  it.each([
    ['a name in private space', 'http://private.test/x.jpg'],
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['an IPv4-mapped private address', 'http://mapped.test/x.jpg'],
    ['the unspecified address', 'http://0.0.0.0/x.jpg'],
  ])('checks every redirect hop: refuses a redirect to %s', async (_label, target) => {
    const checker = make({ proxy: { url: tunnel.url, name: 'loopback-only' } });
    const start = server.url(`/redirect/to?url=${encodeURIComponent(target)}`, 'host3.test');
    const obs = await checker.check(start, expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'address_refused', resolvedIp: null });
    expect(obs.redirects).toEqual([{ url: start, status: 302, location: new URL(target).href }]);
    expect(obs.finalUrl).toBe(new URL(target).href);
    // Only the first hop reached the (loopback) server; nothing else even asked the proxy.
    expect(server.stats.requests).toHaveLength(1);
    expect(tunnel.tunnels).toEqual([`host3.test:${server.port}`]);
  });

  it.each([
    ['/redirect/private', 'http://10.0.0.1/image.jpg'],
    ['/redirect/metadata', 'http://169.254.169.254/latest/meta-data/'],
  ])('%s is refused at the second hop', async (path, location) => {
    const checker = make({ proxy: { url: tunnel.url, name: 'loopback-only' } });
    const obs = await checker.check(server.url(path, 'host5.test'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'address_refused', finalUrl: location });
    expect(obs.redirects).toEqual([{ url: server.url(path, 'host5.test'), status: 302, location }]);
    expect(server.stats.requests).toHaveLength(1);
    expect(tunnel.tunnels).toEqual([`host5.test:${server.port}`]);
  });

  it('re-vets a host on every check, so a changed DNS answer is refused despite a warm connection', async () => {
    const checker = make();
    server.lookup.set('rebind.test', '127.0.0.1');
    expect((await checker.check(server.url('/image.jpg', 'rebind.test'), expected)).verdict).toBe('PRESENT');
    server.lookup.set('rebind.test', '10.0.0.1');
    const obs = await checker.check(server.url('/image.jpg', 'rebind.test'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'address_refused' });
    expect(server.stats.requests).toHaveLength(1);
  });

  it('page media go through the guard too', async () => {
    const checker = make();
    const obs = await checker.check(server.url('/page-private-media.html', 'host4.test'), expected);
    const refused = obs.media.find((m) => m.url === 'http://private.test/image.jpg');
    expect(refused).toMatchObject({ error: 'address_refused', distance: null, bytesRead: 0 });
    // A refused address cannot serve the public either: it does not hold the page's verdict open.
    expect(obs).toMatchObject({ verdict: 'REPLACED', reason: 'no_match' });
    expect(server.stats.requests.map((r) => r.path).sort()).toEqual(['/page-private-media.html', '/placeholder.jpg']);
  });
});
