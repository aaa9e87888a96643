import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import {
  buildOrderReport,
  type Checker,
  createChecker,
  exportBundle,
  LmdbDueCheckQueue,
  parseOrder,
  runWorker,
  VerifyStore,
  verifyBundle,
} from '@staydown/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer } from '../fault-server/index.js';

/**
 * A whole order of a few seconds, run by the real checker against the fault server on
 * loopback: one item disappears before the deadline, one disappears and comes back during the
 * follow-ups, one is never removed and one is blocked from the start.
 */
describe('end to end: an order of seconds against the fault server', () => {
  let server: FaultServer;
  let dir: string;
  let store: VerifyStore;
  let checker: Checker;
  const ORDER_ID = 'E2E-1';
  /** Timetable (ms): checks at 0, 1, 2 s, deadline 3 s, follow-ups 4 and 5 s. */
  const REMOVED_AFTER = 1500;
  const BACK_AFTER = 1500;
  /** Checks are 500 ms away from every switch; this much lateness of a request is tolerated. */
  const SKEW_MS = 300;
  let t0: number;
  let deadline: number;

  beforeAll(async () => {
    server = await startFaultServer();
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-e2e-'));
    store = VerifyStore.open(dir);
    checker = createChecker({ allowLoopback: true, retries: 0 });
    const h = await hashImage(server.images.original, { signals: ['pdq', 'sha256'] });
    const expect = [
      { signal: 'pdq', hash: h.pdq as string },
      { signal: 'sha256', hash: h.sha256 as string },
    ];
    t0 = Date.now() + 200;
    deadline = t0 + 3000;
    server.setPresence('gone', { presentUntil: t0 + REMOVED_AFTER });
    server.setPresence('back', { presentUntil: t0 + REMOVED_AFTER });
    server.setPresence('kept', {});
    // "back" returns between the two follow-ups (deadline + 1 s and deadline + 2 s).
    setTimeout(() => server.setPresence('back', { presentFrom: deadline + BACK_AFTER }), deadline + 100 - Date.now());
    store.putOrder(
      parseOrder({
        id: ORDER_ID,
        kind: 'terrorist',
        issuedAt: new Date(t0).toISOString(),
        deadline: 'PT3S',
        addressee: { name: 'Fault server', role: 'hosting' },
        items: [
          { url: server.url('/timed/gone'), expect },
          { url: server.url('/timed/back'), expect },
          { url: server.url('/timed/kept'), expect },
          { url: server.url('/status/451'), expect },
        ],
        checks: { every: 'PT1S', followUps: ['PT1S', 'PT2S'] },
      }),
    );
    await runWorker(new LmdbDueCheckQueue(store), checker, { orderId: ORDER_ID, untilDone: true });
  });

  afterAll(async () => {
    await checker?.close();
    await store?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records one check per scheduled slot, each at or after its due time', () => {
    const evidence = store.listEvidence(ORDER_ID);
    // baseline + 2 intervals + deadline + 2 follow-ups, for 4 items.
    expect(evidence).toHaveLength(24);
    expect(new Set(evidence.map((e) => e.record.checkId)).size).toBe(24);
    for (const e of evidence) {
      expect(Date.parse(e.record.observation.requestedAt)).toBeGreaterThanOrEqual(Date.parse(e.record.dueAt));
      expect(e.record.observation.resolvedIp).toBe('127.0.0.1');
    }
  });

  it('gets every verdict right for the moment it was checked', () => {
    const report = buildOrderReport(store, ORDER_ID);
    // What each URL showed at time t (the fault server's timetable).
    const truth = [
      (t: number) => (t < t0 + REMOVED_AFTER ? 'PRESENT' : 'NOT_FOUND'),
      (t: number) => (t < t0 + REMOVED_AFTER || t >= deadline + BACK_AFTER ? 'PRESENT' : 'NOT_FOUND'),
      () => 'PRESENT',
      () => 'LEGAL_BLOCK',
    ];
    const boundaries = [t0 + REMOVED_AFTER, deadline + BACK_AFTER];
    report.items.forEach((item, i) => {
      expect(item.checks).toHaveLength(6);
      for (const c of item.checks) {
        const at = Date.parse(c.checkedAt);
        // requestedAt is stamped when the check starts; on a loaded machine the request can reach
        // the server a little later, so a check close to a switch may see either side.
        if (boundaries.some((b) => Math.abs(at - b) < SKEW_MS)) continue;
        expect({ item: i, kind: c.kind, verdict: c.verdict }).toEqual({ item: i, kind: c.kind, verdict: truth[i](at) });
      }
    });
    expect(report.items[0].checks[0].distance).toBe(0);
  });

  it('reports compliance, the removal bracket and the reappearance', () => {
    const report = buildOrderReport(store, ORDER_ID);
    expect(report.running).toBe(false);
    expect(report.compliant).toBe(false);
    const [gone, back, kept, blocked] = report.items;
    expect(gone).toMatchObject({ compliant: true, reappeared: false, atDeadline: { verdict: 'NOT_FOUND' } });
    const last = Date.parse(gone.removal.lastSeenPresentAt as string);
    const first = Date.parse(gone.removal.firstSeenAbsentAt as string);
    expect(last).toBeLessThan(t0 + REMOVED_AFTER);
    expect(first).toBeGreaterThanOrEqual(t0 + REMOVED_AFTER - SKEW_MS);
    expect(first).toBeGreaterThan(last);
    expect(first - last).toBeLessThan(1500);
    expect(back).toMatchObject({ compliant: true, reappeared: true });
    expect(kept).toMatchObject({ compliant: false, reappeared: false, atDeadline: { verdict: 'PRESENT' } });
    expect(kept.removal.firstSeenAbsentAt).toBeNull();
    expect(blocked).toMatchObject({ compliant: true, removal: { lastSeenPresentAt: null } });
    expect(Date.parse(gone.atDeadline?.checkedAt as string)).toBeGreaterThanOrEqual(deadline);
  });

  it('keeps an intact evidence chain that exports and verifies, and detects tampering', () => {
    const report = buildOrderReport(store, ORDER_ID);
    expect(report.evidence).toMatchObject({ intact: true, records: 24, firstBad: null });
    const lines = [...exportBundle(store, ORDER_ID)];
    expect(verifyBundle(lines.join('\n'))).toMatchObject({ valid: true, records: 24, head: report.evidence.head });
    const tampered = [...lines];
    const line = JSON.parse(tampered[3]);
    line.record.observation.verdict = line.record.observation.verdict === 'PRESENT' ? 'NOT_FOUND' : 'PRESENT';
    tampered[3] = JSON.stringify(line);
    expect(verifyBundle(tampered.join('\n'))).toMatchObject({ valid: false, badRecord: 2 });
  });

  it('never writes fetched content into the evidence', () => {
    const json = store
      .listEvidence(ORDER_ID)
      .map((e) => e.json)
      .join('\n');
    expect(json).not.toContain(server.images.original.subarray(0, 64).toString('base64'));
    expect(json.length / 24).toBeLessThan(4000);
  });
});
