import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  exportBundle,
  LmdbDueCheckQueue,
  parseOrder,
  replaySchedule,
  ScriptedChecker,
  VerifyStore,
  verifyBundle,
} from '@staydown/verify';
import type { BenchContext, Figure, Suite, SuiteResult } from '../harness.js';
import { timeOnce } from '../harness.js';

/**
 * The bookkeeping behind every check, without the network: appending a hash-chained evidence
 * record together with its schedule state (one durable LMDB transaction per check), claiming
 * and completing due checks, and exporting and verifying a bundle. These bound how many checks
 * per hour one embedded store can record, next to the verify suite's URLs/s. Each completion is
 * its own synchronous, flushed LMDB transaction (the price of "a kill -9 loses nothing"):
 * batching completions into one commit is the lever if this ever limits a worker.
 */

interface Sizes {
  /** Items in the benchmark order (each gets baseline, intervals, deadline, follow-ups). */
  items: number;
}

const QUICK: Sizes = { items: 40 };
const FULL: Sizes = { items: 500 };
/** 12 h csam order, a check every hour, two follow-ups: 15 checks per item. */
const CHECKS = { deadline: 'PT12H', every: 'PT1H', followUps: ['P1D', 'P7D'] };
const PER_ITEM = 15;

function order(id: string, items: number, issuedAt: number) {
  return parseOrder({
    id,
    kind: 'csam',
    issuedAt: new Date(issuedAt).toISOString(),
    deadline: CHECKS.deadline,
    addressee: { name: 'Bench host' },
    items: Array.from({ length: items }, (_, i) => ({
      url: `https://bench.example/${i}.jpg`,
      expect: [
        { signal: 'pdq', hash: (i % 16).toString(16).repeat(64) },
        { signal: 'sha256', hash: ((i + 1) % 16).toString(16).repeat(64) },
      ],
    })),
    checks: { every: CHECKS.every, followUps: CHECKS.followUps },
  });
}

export const evidenceSuite: Suite = {
  name: 'evidence',
  description: 'evidence records appended per second (durable, hash-chained), schedule replay, bundle export/verify',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const sizes = ctx.quick ? QUICK : FULL;
    const total = sizes.items * PER_ITEM;
    const dir = mkdtempSync(path.join(tmpdir(), 'staydown-bench-evidence-'));
    const store = VerifyStore.open(dir);
    const figures: Figure[] = [];
    const notes: string[] = [];
    try {
      const t0 = Date.parse('2026-11-28T10:00:00Z');

      // 1. Append: every check already claimed, each completion one durable write transaction.
      store.putOrder(order('BENCH-APPEND', sizes.items, t0), t0);
      const queue = new LmdbDueCheckQueue(store);
      const far = t0 + 30 * 86_400_000;
      const claimed = await queue.claim(far, total);
      const checker = new ScriptedChecker((_url, at) => (at % 2 ? 'PRESENT' : 'NOT_FOUND'));
      const observations = await Promise.all(claimed.map((c) => checker.check(c.url, c.expect)));
      ctx.log(`evidence: appending ${claimed.length} records`);
      const append = await timeOnce(async () => {
        for (let i = 0; i < claimed.length; i++) await queue.complete(claimed[i], observations[i], far);
        return claimed.length;
      });
      figures.push({ name: 'evidence records appended (durable txn each)', value: append.rate, unit: 'records/s' });

      // 2. Replay: claim + run (scripted) + complete, in due order on a simulated clock.
      store.putOrder(order('BENCH-REPLAY', sizes.items, t0), t0);
      ctx.log(`evidence: replaying a schedule of ${total} checks`);
      const replay = await timeOnce(async () => {
        const r = await replaySchedule(
          new LmdbDueCheckQueue(store),
          (_url, at) => (at < t0 + 6 * 3_600_000 ? 'PRESENT' : 'NOT_FOUND'),
          {
            orderId: 'BENCH-REPLAY',
          },
        );
        return r.checks;
      });
      figures.push({
        name: 'checks claimed, recorded and completed (schedule replay)',
        value: replay.rate,
        unit: 'checks/s',
      });

      // 3. Bundle: export (re-verifies the stored chain) and offline verification.
      let text = '';
      const exported = await timeOnce(() => {
        text = `${[...exportBundle(store, 'BENCH-APPEND')].join('\n')}\n`;
        return total;
      });
      const verified = await timeOnce(() => {
        const r = verifyBundle(text);
        if (!r.valid) throw new Error(`bench bundle invalid: ${r.problem}`);
        return r.records;
      });
      figures.push({ name: 'bundle export', value: exported.rate, unit: 'records/s' });
      figures.push({ name: 'bundle verify', value: verified.rate, unit: 'records/s' });
      const bytesPerRecord = Buffer.byteLength(text) / total;
      figures.push({ name: 'bundle size per record', value: bytesPerRecord, unit: 'bytes' });
      notes.push(
        `evidence: ${total} checks (${sizes.items} items × ${PER_ITEM}); one embedded store records ` +
          `${Math.round(append.rate * 3600).toLocaleString('en')} checks/h at the measured append rate.`,
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return { figures, ratios: [], notes };
  },
};
