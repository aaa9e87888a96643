import { stringify } from 'csv-stringify/sync';
import type { AddresseeSummary } from './addressee.js';
import type { OrderReport } from './types.js';

/** Column order of the per-check CSV: the JSON report's fields, flattened one row per check. */
export const ORDER_CSV_COLUMNS = [
  'order_id',
  'item_index',
  'url',
  'checked_at',
  'check_kind',
  'verdict',
  'reason',
  'distance',
  'evidence_seq',
  'evidence_hash',
  'item_compliant',
  'at_deadline_verdict',
  'last_seen_present_at',
  'first_seen_absent_at',
  'reappeared',
  'order_compliant',
] as const;

const cell = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** One row per check, RFC 4180 via csv-stringify (quotes URLs with commas, reasons with quotes). */
export function renderOrderCsv(order: OrderReport): string {
  const rows: string[][] = [];
  order.items.forEach((item, i) => {
    for (const c of item.checks) {
      rows.push(
        [
          order.id,
          i,
          item.url,
          c.checkedAt,
          c.kind,
          c.verdict,
          c.reason,
          c.distance,
          c.evidence?.seq,
          c.evidence?.hash,
          item.compliant,
          item.atDeadline?.verdict,
          item.removal.lastSeenPresentAt,
          item.removal.firstSeenAbsentAt,
          item.reappeared,
          order.compliant,
        ].map(cell),
      );
    }
  });
  return stringify(rows, { header: true, columns: [...ORDER_CSV_COLUMNS] });
}

export const ADDRESSEE_CSV_COLUMNS = [
  'addressee',
  'order_id',
  'issued_at',
  'deadline',
  'compliant',
  'items',
  'items_not_removed',
  'time_to_removal_s',
  'reappearances',
  'in_flag_window',
] as const;

/** One row per order to the addressee. */
export function renderAddresseeCsv(summary: AddresseeSummary): string {
  const flagged = new Set(summary.flag.evidence.map((o) => o.id));
  const rows = summary.orders.map((o) =>
    [
      o.id,
      o.issuedAt,
      o.deadline,
      o.compliant,
      o.items,
      o.itemsNotRemoved,
      o.worstTimeToRemovalSeconds,
      o.reappearances,
      flagged.has(o.id),
    ].map(cell),
  );
  return stringify(
    rows.map((r) => [summary.addressee, ...r]),
    { header: true, columns: [...ADDRESSEE_CSV_COLUMNS] },
  );
}
