import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Verdict } from '../crawl/types.js';
import { verifyChain } from '../evidence/chain.js';
import { parseOrder } from '../orders/schema.js';
import { buildOrderReport } from '../report/build.js';
import { VerifyStore } from '../store/store.js';
import { LmdbDueCheckQueue } from './queue.js';
import { ScriptedChecker } from './scripted-checker.js';
import { runWorker } from './worker.js';

const MD5 = { signal: 'md5', hash: '0'.repeat(32) };

function shortOrder(issuedAt: number, items: string[], extra: Record<string, unknown> = {}) {
  return parseOrder({
    id: 'ORD-1',
    kind: 'terrorist',
    issuedAt: new Date(issuedAt).toISOString(),
    deadline: 'PT1.2S',
    addressee: { name: 'Host' },
    items: items.map((url) => ({ url, expect: [MD5] })),
    checks: { every: 'PT0.4S', followUps: ['PT0.6S'] },
    ...extra,
  });
}

let dir: string;
let store: VerifyStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'staydown-verify-'));
  store = VerifyStore.open(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('store', () => {
  it('stores an order idempotently and rejects the same id with other content', () => {
    const t0 = Date.now();
    const order = shortOrder(t0, ['https://a.example/1']);
    expect(store.putOrder(order, t0)).toEqual({ created: true, checks: 5 });
    expect(store.putOrder(order, t0).created).toBe(false);
    const changed = shortOrder(t0, ['https://a.example/2']);
    expect(() => store.putOrder(changed, t0)).toThrow(/already stored with different content/);
    expect(store.listChecks('ORD-1')).toHaveLength(5);
  });

  it('names an unknown order', () => {
    expect(() => store.requireOrder('NOPE')).toThrow(expect.objectContaining({ code: 'UNKNOWN_ORDER' }));
  });

  it('does not record a check twice', async () => {
    const t0 = Date.now();
    store.putOrder(shortOrder(t0, ['https://a.example/1']), t0);
    const queue = new LmdbDueCheckQueue(store);
    const [check] = await queue.claim(t0, 1);
    const checker = new ScriptedChecker(() => 'PRESENT');
    const obs = await checker.check(check.url, check.expect);
    expect((await queue.complete(check, obs, t0)).appended).toBe(true);
    expect((await queue.complete(check, obs, t0)).appended).toBe(false);
    expect(store.listEvidence('ORD-1')).toHaveLength(1);
  });

  it('finds the due checks of one order without mixing in an order whose id it prefixes', async () => {
    const t0 = Date.now();
    const a = shortOrder(t0 + 5000, ['https://a.example/1']);
    const b = { ...shortOrder(t0, ['https://a.example/1']), id: 'ORD-10' };
    store.putOrder({ ...a, id: 'ORD-1' }, t0);
    store.putOrder(b, t0);
    const queue = new LmdbDueCheckQueue(store);
    expect(await queue.nextDueAt('ORD-1')).toBe(t0 + 5000);
    expect(await queue.nextDueAt('ORD-10')).toBe(t0);
    expect(await queue.nextDueAt()).toBe(t0);
    expect(await queue.claim(t0 + 100, 10, 'ORD-1')).toEqual([]);
    const claimed = await queue.claim(t0 + 100, 10, 'ORD-10');
    expect(claimed.map((c) => [c.orderId, c.kind])).toEqual([['ORD-10', 'baseline']]);
  });

  it('does not hand a leased check to a second claimer until released', async () => {
    const t0 = Date.now();
    store.putOrder(shortOrder(t0, ['https://a.example/1']), t0);
    const a = new LmdbDueCheckQueue(store);
    const b = new LmdbDueCheckQueue(store);
    const [claimed] = await a.claim(t0, 5);
    expect(await b.claim(t0, 5)).toEqual([]);
    await a.release(claimed);
    expect(await b.claim(t0, 5)).toHaveLength(1);
  });
});

describe('runWorker', () => {
  it('runs a whole order of about two seconds and records a linked chain', async () => {
    const t0 = Date.now();
    const removedAt = t0 + 500;
    store.putOrder(shortOrder(t0, ['https://a.example/gone', 'https://a.example/stays']), t0);
    const checker = new ScriptedChecker(
      (url, at): Verdict => (url.endsWith('gone') && at >= removedAt ? 'NOT_FOUND' : 'PRESENT'),
    );
    const stats = await runWorker(new LmdbDueCheckQueue(store), checker, { untilDone: true, orderId: 'ORD-1' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1800);
    expect(stats.completed).toBe(10);
    const evidence = store.listEvidence('ORD-1');
    expect(evidence).toHaveLength(10);
    expect(new Set(evidence.map((e) => `${e.record.checkId}/${e.record.attempt}`)).size).toBe(10);
    expect(verifyChain('ORD-1', store.requireOrder('ORD-1').orderHash, evidence).intact).toBe(true);
    for (const e of evidence)
      expect(Date.parse(e.record.observation.requestedAt)).toBeGreaterThanOrEqual(Date.parse(e.record.dueAt));
    const report = buildOrderReport(store, 'ORD-1');
    expect(report.running).toBe(false);
    expect(report.items.map((i) => i.compliant)).toEqual([true, false]);
    expect(report.compliant).toBe(false);
    const gone = report.items[0];
    expect(Date.parse(gone.removal.lastSeenPresentAt!)).toBeLessThan(removedAt);
    expect(Date.parse(gone.removal.firstSeenAbsentAt!)).toBeGreaterThanOrEqual(removedAt);
    expect(report.evidence).toMatchObject({ intact: true, records: 10, firstBad: null });
  });

  it('retries an inconclusive deadline check and reports it inconclusive when it stays so', async () => {
    const t0 = Date.now();
    store.putOrder(shortOrder(t0, ['https://a.example/flaky'], { checks: { every: 'PT0.4S', followUps: [] } }), t0);
    const deadline = t0 + 1200;
    const checker = new ScriptedChecker((_url, at): Verdict => (at >= deadline ? 'INCONCLUSIVE' : 'PRESENT'));
    const queue = new LmdbDueCheckQueue(store, { retry: { maxAttempts: 3, minMs: 50 } });
    const stats = await runWorker(queue, checker, { untilDone: true });
    expect(stats.retriesScheduled).toBe(2);
    const report = buildOrderReport(store, 'ORD-1');
    const item = report.items[0];
    expect(item.checks.filter((c) => c.slotKind === 'deadline').map((c) => [c.kind, c.attempt])).toEqual([
      ['deadline', 1],
      ['retry', 2],
      ['retry', 3],
    ]);
    expect(item.atDeadline?.verdict).toBe('INCONCLUSIVE');
    expect(item.compliant).toBeNull();
    expect(report.compliant).toBeNull();
  });

  it('takes the first conclusive retry of an inconclusive deadline check', async () => {
    const t0 = Date.now();
    store.putOrder(shortOrder(t0, ['https://a.example/x'], { checks: { every: 'PT0.4S', followUps: [] } }), t0);
    let deadlineCalls = 0;
    const checker = new ScriptedChecker((_url, at): Verdict => {
      if (at < t0 + 1200) return 'PRESENT';
      deadlineCalls += 1;
      return deadlineCalls === 1 ? 'INCONCLUSIVE' : 'NOT_FOUND';
    });
    await runWorker(new LmdbDueCheckQueue(store, { retry: { minMs: 50 } }), checker, { untilDone: true });
    const item = buildOrderReport(store, 'ORD-1').items[0];
    expect(item.atDeadline?.verdict).toBe('NOT_FOUND');
    expect(item.compliant).toBe(true);
  });

  it('abandons in-flight checks on stop without recording them, and they stay due', async () => {
    const t0 = Date.now();
    store.putOrder(shortOrder(t0, ['https://a.example/slow']), t0);
    const stop = new AbortController();
    const checker = new ScriptedChecker(
      () =>
        new Promise<Verdict>((resolve) => {
          stop.abort();
          setTimeout(() => resolve('PRESENT'), 300);
        }),
    );
    const stats = await runWorker(new LmdbDueCheckQueue(store), checker, { signal: stop.signal, graceMs: 50 });
    expect(stats).toMatchObject({ completed: 0, released: 1 });
    expect(store.listEvidence('ORD-1')).toHaveLength(0);
    expect(store.pendingCount('ORD-1')).toBe(5);
    expect(await new LmdbDueCheckQueue(store).claim(Date.now(), 1)).toHaveLength(1);
  });

  it('lets in-flight checks finish within the grace period', async () => {
    const t0 = Date.now();
    store.putOrder(shortOrder(t0, ['https://a.example/slow']), t0);
    const stop = new AbortController();
    const checker = new ScriptedChecker(
      () =>
        new Promise<Verdict>((resolve) => {
          stop.abort();
          setTimeout(() => resolve('PRESENT'), 50);
        }),
    );
    const stats = await runWorker(new LmdbDueCheckQueue(store), checker, { signal: stop.signal, graceMs: 5000 });
    expect(stats.completed).toBe(1);
    expect(store.listEvidence('ORD-1')).toHaveLength(1);
  });
});
