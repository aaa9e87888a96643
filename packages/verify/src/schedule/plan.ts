import { parseDuration } from '../orders/duration.js';
import type { RemovalOrder } from '../orders/schema.js';

/**
 * baseline: at issue (it was there); interval: every `checks.every` before the deadline (when
 * did it go?); deadline: compliance; followUp: deadline + each follow-up (did it stay down?);
 * retry: a repeat of an inconclusive check of any kind, soon after.
 */
export type CheckKind = 'baseline' | 'interval' | 'deadline' | 'followUp' | 'retry';

export interface PlannedCheck {
  item: number;
  kind: Exclude<CheckKind, 'retry'>;
  /** Epoch ms. */
  dueAt: number;
}

export interface PlanOptions {
  /**
   * Interval checks due before this time are left out: an order stored late gets its
   * baseline, deadline and follow-ups, not a burst of interval checks that can no longer be
   * made at their time. Default: keep all.
   */
  skipIntervalsBefore?: number;
}

/** The checks of an order, sorted by due time then item. Deterministic for a given order. */
export function planChecks(order: RemovalOrder, options: PlanOptions = {}): PlannedCheck[] {
  const issued = Date.parse(order.issuedAt);
  const deadline = Date.parse(order.deadline);
  const every = parseDuration(order.checks.every);
  const times: Array<{ kind: PlannedCheck['kind']; dueAt: number }> = [{ kind: 'baseline', dueAt: issued }];
  if (every > 0) {
    for (let t = issued + every; t < deadline; t += every) {
      if (options.skipIntervalsBefore === undefined || t >= options.skipIntervalsBefore) {
        times.push({ kind: 'interval', dueAt: t });
      }
    }
  }
  times.push({ kind: 'deadline', dueAt: deadline });
  const followUps = [...new Set(order.checks.followUps.map(parseDuration))].sort((a, b) => a - b);
  for (const f of followUps) times.push({ kind: 'followUp', dueAt: deadline + f });
  const checks: PlannedCheck[] = [];
  for (const { kind, dueAt } of times) {
    order.items.forEach((_, item) => {
      checks.push({ item, kind, dueAt });
    });
  }
  return checks;
}
