import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashImage } from '@staydown/hashing';
import { type Checker, createChecker, type ExpectedHash } from '@staydown/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer, startTunnelProxy } from '../fault-server/index.js';
import { expectedFor, testCheckerOptions } from './helpers.js';

let server: FaultServer;
let checker: Checker;
let expected: ExpectedHash[];
let clock = Date.parse('2026-11-28T12:00:00Z');

beforeAll(async () => {
  server = await startFaultServer({ now: () => clock });
  expected = await expectedFor(server.images.original);
  checker = createChecker(testCheckerOptions(server, { maxBodyBytes: 1024 * 1024 }));
});

afterAll(async () => {
  await checker?.close();
  await server?.close();
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('checker against the fault server: images', () => {
  it('finds the image itself: PRESENT at distance 0, with the whole observation recorded', async () => {
    const obs = await checker.check(server.url('/image.jpg', 'host1.test'), expected);
    expect(obs).toMatchObject({
      url: server.url('/image.jpg', 'host1.test'),
      finalUrl: server.url('/image.jpg', 'host1.test'),
      redirects: [],
      resolvedIp: '127.0.0.1',
      vantage: null,
      status: 200,
      contentType: 'image/jpeg',
      bytesRead: server.images.original.length,
      sha256: sha256(server.images.original),
      bestDistance: 0,
      verdict: 'PRESENT',
      reason: 'match',
      retryAfterMs: null,
      attempts: 1,
    });
    expect(obs.hashes.pdq).toBe(expected[0].hash);
    expect(obs.quality).toBeGreaterThan(50);
    expect(obs.headers['content-length']).toBe(String(server.images.original.length));
    expect(Date.parse(obs.respondedAt as string)).toBeGreaterThanOrEqual(Date.parse(obs.requestedAt));
    const seen = server.stats.requests.find((r) => r.path === '/image.jpg');
    expect(seen?.userAgent).toMatch(/^Staydown\/0\.1 \(\+removal-order verification\)/);
  });

  it('keeps the URL exactly as given and reports the normalised final URL', async () => {
    const given = `HTTP://HOST1.test:${server.port}/image.jpg#top`;
    const obs = await checker.check(given, expected);
    expect(obs).toMatchObject({ url: given, finalUrl: server.url('/image.jpg', 'host1.test'), verdict: 'PRESENT' });
  });

  it('finds a resized, re-encoded copy by PDQ: PRESENT', async () => {
    const obs = await checker.check(server.url('/resized.webp'), expected);
    expect(obs.verdict).toBe('PRESENT');
    expect(obs.bestDistance).toBeGreaterThan(0);
    expect(obs.bestDistance).toBeLessThanOrEqual(31);
    expect(obs.sha256).not.toBe(expected[1].hash);
  });

  it('finds an image served with a wrong content type by sniffing it', async () => {
    const obs = await checker.check(server.url('/image.png'), expected);
    expect(obs).toMatchObject({ verdict: 'PRESENT', contentType: 'text/plain', bestDistance: 0 });
  });

  it('decodes gzip content-encoding before hashing', async () => {
    const obs = await checker.check(server.url('/gzip-image'), expected);
    expect(obs).toMatchObject({ verdict: 'PRESENT', bytesRead: server.images.original.length });
  });

  it('calls a placeholder image REPLACED, with its distance', async () => {
    const obs = await checker.check(server.url('/placeholder.jpg'), expected);
    expect(obs).toMatchObject({ verdict: 'REPLACED', reason: 'no_match', status: 200 });
    expect(obs.bestDistance).toBeGreaterThan(31);
  });

  it('does not trust a PDQ-only match on a featureless image', async () => {
    const flat = await hashImage(server.images.flat, { signals: ['pdq', 'sha256'] });
    expect(flat.lowQuality).toBe(true);
    const pdqOnly = await checker.check(server.url('/flat.png'), [{ signal: 'pdq', hash: flat.pdq as string }]);
    expect(pdqOnly).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'low_quality', bestDistance: 0, quality: 0 });
    const withDigest = await checker.check(server.url('/flat.png'), [
      { signal: 'pdq', hash: flat.pdq as string },
      { signal: 'sha256', hash: flat.sha256 as string },
    ]);
    expect(withDigest).toMatchObject({ verdict: 'PRESENT', reason: 'match' });
  });

  it('a complete but empty 200 body is REPLACED (nothing there), not a decode failure', async () => {
    const obs = await checker.check(server.url('/empty.jpg'), expected);
    expect(obs).toMatchObject({ verdict: 'REPLACED', reason: 'no_match', status: 200, bytesRead: 0 });
  });

  it('never calls an undecodable image REPLACED', async () => {
    const obs = await checker.check(server.url('/corrupt.jpg'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'decode_failed', status: 200 });
    expect(obs.bestDistance).toBeNull();
  });
});

describe('checker against the fault server: statuses', () => {
  it.each([
    [404, 'NOT_FOUND'],
    [410, 'NOT_FOUND'],
    [451, 'LEGAL_BLOCK'],
    [401, 'ACCESS_DENIED'],
    [403, 'ACCESS_DENIED'],
    [500, 'INCONCLUSIVE'],
    [400, 'INCONCLUSIVE'],
  ])('%i is %s', async (status, verdict) => {
    const obs = await checker.check(server.url(`/status/${status}`), expected);
    expect(obs).toMatchObject({ status, verdict, reason: `http_${status}`, bestDistance: null, bytesRead: 0 });
  });

  it('503 with Retry-After is INCONCLUSIVE and reports the delay', async () => {
    const obs = await checker.check(server.url('/always/503?after=7', 'host3.test'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'http_503', status: 503, retryAfterMs: 7000 });
    expect(obs.headers['retry-after']).toBe('7');
  });

  it('429 with Retry-After is INCONCLUSIVE', async () => {
    const obs = await checker.check(server.url('/always/429?after=0', 'host2.test'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'http_429', retryAfterMs: 0 });
  });
});

describe('checker against the fault server: pages', () => {
  it('finds the image among a page srcset candidates: PRESENT', async () => {
    const obs = await checker.check(server.url('/page.html'), expected);
    expect(obs).toMatchObject({ verdict: 'PRESENT', reason: 'match', contentType: 'text/html; charset=utf-8' });
    expect(obs.media.map((m) => m.url)).toEqual([
      server.url('/decoy-0.jpg'),
      server.url('/decoy-1.jpg'),
      server.url('/image.jpg'),
    ]);
    const hit = obs.media.find((m) => m.url.endsWith('/image.jpg'));
    expect(hit).toMatchObject({ status: 200, distance: 0, bytesRead: server.images.original.length });
    expect(obs.bestDistance).toBe(0);
  });

  it('a page whose image was swapped for a placeholder is REPLACED', async () => {
    const obs = await checker.check(server.url('/page-placeholder.html'), expected);
    expect(obs).toMatchObject({ verdict: 'REPLACED', reason: 'no_match' });
    expect(obs.media).toHaveLength(2);
    // The page's own digest mismatch does not pose as a distance; the media PDQ distances count.
    expect(obs.bestDistance).toBeGreaterThan(31);
  });

  it('a soft-404 page (200 "not found") is REPLACED', async () => {
    const obs = await checker.check(server.url('/soft-404.html'), expected);
    expect(obs).toMatchObject({ verdict: 'REPLACED', reason: 'no_media', status: 200, media: [] });
  });

  it('a page whose media cannot be read is INCONCLUSIVE, not REPLACED', async () => {
    const obs = await checker.check(server.url('/page-media-503.html'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'media_inconclusive' });
    expect(obs.media[0]).toMatchObject({ status: 503, error: 'http_503', distance: null });
  });

  it('more candidates than maxMedia and no match is INCONCLUSIVE', async () => {
    const limited = createChecker(testCheckerOptions(server, { maxMedia: 1 }));
    try {
      const obs = await limited.check(server.url('/page-placeholder.html'), expected);
      expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'media_limit' });
      expect(obs.media).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});

describe('checker against the fault server: broken transfers', () => {
  it('a stalled body is INCONCLUSIVE body_timeout', async () => {
    const obs = await checker.check(server.url('/stall-body'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'body_timeout', status: 200 });
    expect(obs.bytesRead).toBe(1024);
  });

  it('a server that never answers is INCONCLUSIVE headers_timeout', async () => {
    const obs = await checker.check(server.url('/stall-headers'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'headers_timeout', status: null });
  });

  it('an endless body is cut at maxBodyBytes: INCONCLUSIVE body_too_large', async () => {
    const obs = await checker.check(server.url('/endless'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'body_too_large', status: 200 });
    expect(obs.bytesRead).toBeGreaterThan(1024 * 1024);
    expect(obs.bytesRead).toBeLessThan(1024 * 1024 + 256 * 1024);
  });

  it('a gzip bomb is cut by its decoded size', async () => {
    const obs = await checker.check(server.url('/gzip-bomb'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'body_too_large' });
  });

  it('a 200 with a truncated body is INCONCLUSIVE truncated, never REPLACED', async () => {
    const obs = await checker.check(server.url('/truncated.jpg'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'truncated', status: 200, sha256: null });
    expect(obs.bytesRead).toBeLessThan(server.images.original.length);
  });
});

describe('checker against the fault server: redirects', () => {
  it('follows a chain and records every hop', async () => {
    const obs = await checker.check(server.url('/redirect/chain/3'), expected);
    expect(obs.verdict).toBe('PRESENT');
    expect(obs.finalUrl).toBe(server.url('/image.jpg'));
    expect(obs.redirects).toEqual([
      { url: server.url('/redirect/chain/3'), status: 301, location: server.url('/redirect/chain/2') },
      { url: server.url('/redirect/chain/2'), status: 301, location: server.url('/redirect/chain/1') },
      { url: server.url('/redirect/chain/1'), status: 301, location: server.url('/image.jpg') },
    ]);
  });

  it('stops past maxRedirects: INCONCLUSIVE redirect_limit', async () => {
    const obs = await checker.check(server.url('/redirect/chain/9'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'redirect_limit' });
    expect(obs.redirects).toHaveLength(6);
  });

  it('detects a loop: INCONCLUSIVE redirect_loop', async () => {
    const obs = await checker.check(server.url('/redirect/loop-a'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'redirect_loop', status: 302 });
    expect(obs.redirects.map((h) => h.location)).toEqual([
      server.url('/redirect/loop-b'),
      server.url('/redirect/loop-a'),
    ]);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const obs = await checker.check(server.url('/redirect/to?url=file:///etc/passwd'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'scheme_refused' });
  });
});

describe('checker against the fault server: content over time', () => {
  it('sees content disappear and reappear at set times', async () => {
    const t0 = clock;
    server.setPresence('gone-later', { presentUntil: t0 + 60_000 });
    server.setPresence('back-later', { presentUntil: t0 + 60_000, presentFrom: t0 + 120_000 });
    const gone = server.url('/timed/gone-later');
    const back = server.url('/timed/back-later');
    expect((await checker.check(gone, expected)).verdict).toBe('PRESENT');
    expect((await checker.check(back, expected)).verdict).toBe('PRESENT');
    clock = t0 + 90_000;
    expect((await checker.check(gone, expected)).verdict).toBe('NOT_FOUND');
    expect((await checker.check(back, expected)).verdict).toBe('NOT_FOUND');
    clock = t0 + 150_000;
    expect((await checker.check(gone, expected)).verdict).toBe('NOT_FOUND');
    expect((await checker.check(back, expected)).verdict).toBe('PRESENT');
  });
});

describe('checker: unreachable hosts and caller errors', () => {
  it('NXDOMAIN is UNREACHABLE dns', async () => {
    const obs = await checker.check('http://nowhere.test/x.jpg', expected);
    expect(obs).toMatchObject({ verdict: 'UNREACHABLE', reason: 'dns', resolvedIp: null, status: null });
  });

  it('a refused connection is UNREACHABLE connection_refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const obs = await checker.check(`http://127.0.0.1:${port}/x.jpg`, expected);
    expect(obs).toMatchObject({ verdict: 'UNREACHABLE', reason: 'connection_refused', resolvedIp: '127.0.0.1' });
  });

  it('a TLS failure is INCONCLUSIVE tls', async () => {
    // https:// to the plain-HTTP server: the handshake fails.
    const obs = await checker.check(server.url('/image.jpg', 'host1.test').replace('http:', 'https:'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'tls', status: null });
  });

  it('goes through a proxy (vantage point) and records its name', async () => {
    const proxy = await startTunnelProxy(server.lookup);
    const viaProxy = createChecker(testCheckerOptions(server, { proxy: { url: proxy.url, name: 'vantage-eu-1' } }));
    try {
      const obs = await viaProxy.check(server.url('/image.jpg', 'host2.test'), expected);
      expect(obs).toMatchObject({ verdict: 'PRESENT', vantage: 'vantage-eu-1', resolvedIp: '127.0.0.1' });
      expect(proxy.tunnels).toEqual([`host2.test:${server.port}`]);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('throws for what the caller got wrong', async () => {
    await expect(checker.check(server.url('/image.jpg'), [])).rejects.toMatchObject({ code: 'INVALID_ORDER' });
    await expect(checker.check('ftp://host1.test/x', expected)).rejects.toMatchObject({ code: 'INVALID_ORDER' });
    await expect(checker.check('not a url', expected)).rejects.toMatchObject({ code: 'INVALID_ORDER' });
    await expect(checker.check(server.url('/image.jpg'), [{ signal: 'pdq', hash: 'xyz' }])).rejects.toMatchObject({
      code: 'INVALID_HASH',
    });
  });

  it('an aborted check throws ABORTED', async () => {
    const controller = new AbortController();
    const pending = checker.check(server.url('/stall-headers'), expected, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('a closed checker refuses new checks', async () => {
    const short = createChecker(testCheckerOptions(server));
    await short.close();
    await expect(short.check(server.url('/image.jpg'), expected)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
