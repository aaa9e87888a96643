import { type Checker, createChecker, type ExpectedHash } from '@staydown/verify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer } from '../fault-server/index.js';
import { expectedFor, testCheckerOptions } from './helpers.js';

let server: FaultServer;
let expected: ExpectedHash[];
let checker: Checker | undefined;

beforeAll(async () => {
  server = await startFaultServer();
  expected = await expectedFor(server.images.original);
});
beforeEach(() => server.resetStats());
afterEach(async () => {
  await checker?.close();
  checker = undefined;
});
afterAll(async () => {
  await server?.close();
});

const requestsTo = (path: string) => server.stats.requests.filter((r) => r.path.startsWith(path));

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}

describe('retries and Retry-After', () => {
  it('retries a 503 after its Retry-After and then sees the image', async () => {
    checker = createChecker(testCheckerOptions(server, { retries: 2 }));
    const obs = await checker.check(server.url('/flaky/503?key=a&fails=1&after=1'), expected);
    expect(obs).toMatchObject({ verdict: 'PRESENT', attempts: 2, status: 200 });
    const seen = requestsTo('/flaky/503');
    expect(seen).toHaveLength(2);
    expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(950);
  });

  it('pauses the whole host on 429: other requests to it wait, other hosts do not', async () => {
    checker = createChecker(testCheckerOptions(server, { retries: 1 }));
    const limited = checker.check(server.url('/flaky/429?key=b&fails=1&after=1', 'host5.test'), expected);
    await waitFor(() => requestsTo('/flaky/429').length === 1);
    await new Promise((r) => setTimeout(r, 50)); // the 429 has been answered and the host paused
    const pausedAt = Date.now();
    const sameHost = checker.check(server.url('/image.jpg', 'host5.test'), expected);
    const otherHost = checker.check(server.url('/image.jpg', 'host6.test'), expected);
    const [a, b, c] = await Promise.all([limited, sameHost, otherHost]);
    expect([a.verdict, b.verdict, c.verdict]).toEqual(['PRESENT', 'PRESENT', 'PRESENT']);
    expect(a.attempts).toBe(2);
    const first429 = requestsTo('/flaky/429')[0].at;
    const same = server.stats.requests.find((r) => r.host === 'host5.test' && r.path === '/image.jpg');
    const other = server.stats.requests.find((r) => r.host === 'host6.test' && r.path === '/image.jpg');
    expect((same?.at ?? 0) - first429).toBeGreaterThanOrEqual(900);
    expect((other?.at ?? Number.POSITIVE_INFINITY) - pausedAt).toBeLessThan(500);
  });

  it('bounds the retries and stays INCONCLUSIVE', async () => {
    checker = createChecker(testCheckerOptions(server, { retries: 2 }));
    const obs = await checker.check(server.url('/always/503?after=0'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'http_503', attempts: 3 });
    expect(requestsTo('/always/503')).toHaveLength(3);
  });

  it('backs off between retries of a timeout, with growing delays', async () => {
    checker = createChecker(testCheckerOptions(server, { retries: 2, backoffBaseMs: 200, timeouts: { bodyMs: 100 } }));
    const obs = await checker.check(server.url('/stall-body'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'body_timeout', attempts: 3 });
    const at = requestsTo('/stall-body').map((r) => r.at);
    expect(at).toHaveLength(3);
    // Each attempt stalls ~100 ms; the 1st backoff is 100–200 ms, the 2nd 200–400 ms.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(190);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(290);
  });

  it('does not wait out a Retry-After longer than maxBackoffMs within a check', async () => {
    checker = createChecker(testCheckerOptions(server, { retries: 3, maxBackoffMs: 500 }));
    const obs = await checker.check(server.url('/always/429?after=120', 'host7.test'), expected);
    expect(obs).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'http_429', attempts: 1, retryAfterMs: 120_000 });
  });

  it('does not retry deterministic failures', async () => {
    checker = createChecker(testCheckerOptions(server, { retries: 3, maxBodyBytes: 64 * 1024 }));
    const obs = await checker.check(server.url('/endless'), expected);
    expect(obs).toMatchObject({ reason: 'body_too_large', attempts: 1 });
    expect(requestsTo('/endless')).toHaveLength(1);
  });
});

describe('per-host rate', () => {
  it('spaces request starts to one host by perHostIntervalMs', async () => {
    checker = createChecker(testCheckerOptions(server, { perHostIntervalMs: 150, perHostConcurrency: 2 }));
    const urls = [1, 2, 3].map(() => server.url('/image.jpg', 'host8.test'));
    const results = await Promise.all(urls.map((u) => checker?.check(u, expected)));
    expect(results.every((r) => r?.verdict === 'PRESENT')).toBe(true);
    const at = server.stats.requests.filter((r) => r.host === 'host8.test').map((r) => r.at);
    expect(at).toHaveLength(3);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(130);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(130);
  });

  it('keeps at most perHostConcurrency requests in flight per host', async () => {
    checker = createChecker(testCheckerOptions(server, { perHostConcurrency: 1, timeouts: { bodyMs: 150 } }));
    // Each stalled body holds its slot ~150 ms; with one slot they run one after another.
    const t0 = Date.now();
    await Promise.all([1, 2, 3].map(() => checker?.check(server.url('/stall-body', 'host1.test'), expected)));
    const at = server.stats.requests.filter((r) => r.path === '/stall-body').map((r) => r.at - t0);
    expect(at).toHaveLength(3);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(130);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(130);
  });
});
