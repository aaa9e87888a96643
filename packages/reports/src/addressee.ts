import { ErrorCodes, maxOf, StaydownError } from '@staydown/core';
import type { OrderReport } from './types.js';

/**
 * The rule that flags persistent and systematic non-compliance (the condition for the higher
 * fines): at least `minNonCompliant` non-compliant orders whose issue times fall within any
 * window of `windowDays` days. Configurable because the regulator's policy sets the numbers;
 * the defaults are a documented starting point, not law.
 */
export interface PersistenceRule {
  minNonCompliant: number;
  windowDays: number;
}

export const DEFAULT_PERSISTENCE_RULE: PersistenceRule = { minNonCompliant: 3, windowDays: 90 };

export interface OrderSummary {
  id: string;
  issuedAt: string | null;
  deadline: string | null;
  compliant: boolean | null;
  items: number;
  itemsNotRemoved: number;
  /** Worst (longest) time from issue to first seen absent over the order's items, seconds. */
  worstTimeToRemovalSeconds: number | null;
  reappearances: number;
}

export interface AddresseeSummary {
  addressee: string;
  orders: OrderSummary[];
  compliantOrders: number;
  nonCompliantOrders: number;
  undeterminedOrders: number;
  /** compliant / (compliant + non-compliant); null when no order is decided. */
  complianceRate: number | null;
  medianTimeToRemovalSeconds: number | null;
  worstTimeToRemovalSeconds: number | null;
  /** Items never seen absent (still up, or never checked as gone). */
  itemsNotRemoved: number;
  reappearances: number;
  flag: {
    persistent: boolean;
    rule: PersistenceRule;
    /** The non-compliant orders in the densest window: the evidence for (or against) the flag. */
    evidence: OrderSummary[];
    windowStart: string | null;
    windowEnd: string | null;
  };
}

export interface DateRange {
  from?: string;
  to?: string;
}

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `${field} is not a date: ${JSON.stringify(value)}`);
  return t;
}

export function validateRule(rule: Partial<PersistenceRule> = {}): PersistenceRule {
  const merged = { ...DEFAULT_PERSISTENCE_RULE, ...rule };
  if (!Number.isInteger(merged.minNonCompliant) || merged.minNonCompliant < 1) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, 'the persistence rule needs at least 1 non-compliant order');
  }
  if (!(merged.windowDays > 0))
    throw new StaydownError(ErrorCodes.INVALID_OPTION, 'the persistence window must be positive');
  return merged;
}

function summarizeOrder(order: OrderReport): OrderSummary {
  const issued = order.issuedAt ? Date.parse(order.issuedAt) : Number.NaN;
  let worst: number | null = null;
  let notRemoved = 0;
  let reappearances = 0;
  for (const item of order.items) {
    if (item.reappeared) reappearances++;
    const gone = item.removal.firstSeenAbsentAt ? Date.parse(item.removal.firstSeenAbsentAt) : Number.NaN;
    if (Number.isNaN(gone)) {
      notRemoved++;
    } else if (Number.isFinite(issued)) {
      const s = Math.max(0, (gone - issued) / 1000);
      worst = worst === null ? s : Math.max(worst, s);
    }
  }
  return {
    id: order.id,
    issuedAt: order.issuedAt ?? null,
    deadline: order.deadline ?? null,
    compliant: order.compliant,
    items: order.items.length,
    itemsNotRemoved: notRemoved,
    worstTimeToRemovalSeconds: worst,
    reappearances,
  };
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Everything the regulator needs to judge one host: rates, removal times and the persistence flag. */
export function summarizeAddressee(
  addressee: string,
  orders: OrderReport[],
  options: { range?: DateRange; rule?: Partial<PersistenceRule> } = {},
): AddresseeSummary {
  const rule = validateRule(options.rule);
  const from = parseTime(options.range?.from, '--from');
  const to = parseTime(options.range?.to, '--to');
  const mine = orders
    .filter((o) => (o.addressee?.name ?? '') === addressee)
    .filter((o) => {
      const t = o.issuedAt ? Date.parse(o.issuedAt) : Number.NaN;
      return (from === undefined || t >= from) && (to === undefined || t <= to);
    })
    .sort((a, b) => (a.issuedAt ?? '').localeCompare(b.issuedAt ?? ''));
  const summaries = mine.map(summarizeOrder);
  const times: number[] = [];
  for (const o of mine) {
    const issued = o.issuedAt ? Date.parse(o.issuedAt) : Number.NaN;
    for (const item of o.items) {
      const gone = item.removal.firstSeenAbsentAt ? Date.parse(item.removal.firstSeenAbsentAt) : Number.NaN;
      if (Number.isFinite(gone) && Number.isFinite(issued)) times.push(Math.max(0, (gone - issued) / 1000));
    }
  }
  const compliantOrders = summaries.filter((s) => s.compliant === true).length;
  const nonCompliantOrders = summaries.filter((s) => s.compliant === false).length;
  // Sliding window over the non-compliant orders' issue times: the densest window is the evidence.
  const bad = summaries.filter((s) => s.compliant === false && s.issuedAt !== null);
  const windowMs = rule.windowDays * 86_400_000;
  let best: OrderSummary[] = [];
  for (let i = 0, j = 0; j < bad.length; j++) {
    while (Date.parse(bad[j].issuedAt!) - Date.parse(bad[i].issuedAt!) > windowMs) i++;
    if (j - i + 1 > best.length) best = bad.slice(i, j + 1);
  }
  return {
    addressee,
    orders: summaries,
    compliantOrders,
    nonCompliantOrders,
    undeterminedOrders: summaries.length - compliantOrders - nonCompliantOrders,
    complianceRate:
      compliantOrders + nonCompliantOrders === 0 ? null : compliantOrders / (compliantOrders + nonCompliantOrders),
    medianTimeToRemovalSeconds: medianOf(times),
    worstTimeToRemovalSeconds: times.length ? maxOf(times) : null,
    itemsNotRemoved: summaries.reduce((a, s) => a + s.itemsNotRemoved, 0),
    reappearances: summaries.reduce((a, s) => a + s.reappearances, 0),
    flag: {
      persistent: best.length >= rule.minNonCompliant,
      rule,
      evidence: best,
      windowStart: best[0]?.issuedAt ?? null,
      windowEnd: best.at(-1)?.issuedAt ?? null,
    },
  };
}

/** All addressees, worst first: flagged, then most non-compliant orders, then lowest rate. */
export function rankAddressees(
  orders: OrderReport[],
  options: { range?: DateRange; rule?: Partial<PersistenceRule> } = {},
): AddresseeSummary[] {
  const names = [...new Set(orders.map((o) => o.addressee?.name ?? ''))].filter((n) => n !== '');
  return names
    .map((name) => summarizeAddressee(name, orders, options))
    .filter((s) => s.orders.length > 0)
    .sort(
      (a, b) =>
        Number(b.flag.persistent) - Number(a.flag.persistent) ||
        b.nonCompliantOrders - a.nonCompliantOrders ||
        (a.complianceRate ?? 1) - (b.complianceRate ?? 1) ||
        a.addressee.localeCompare(b.addressee),
    );
}
