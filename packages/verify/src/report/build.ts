import { ABSENT_VERDICTS, verdictClass } from '@staydown/core';
import { verifyChain } from '../evidence/chain.js';
import type { EvidenceRecord } from '../evidence/record.js';
import type { StoredEvidence, VerifyStore } from '../store/store.js';
import type { CheckRow, ItemReport, OrderReport } from './types.js';

export { ABSENT_VERDICTS, verdictClass };

/** Builds the report of one order from its evidence (UNKNOWN_ORDER when absent). */
export function buildOrderReport(store: VerifyStore, orderId: string): OrderReport {
  const { order, orderHash } = store.requireOrder(orderId);
  const evidence = store.listEvidence(orderId);
  const chain = verifyChain(orderId, orderHash, evidence);
  const pendingChecks = store.pendingCount(orderId);
  const items = order.items.map((item, i) =>
    buildItemReport(
      item.url,
      evidence.filter((e) => e.record.item === i),
    ),
  );
  return {
    id: order.id,
    kind: order.kind,
    issuedAt: order.issuedAt,
    deadline: order.deadline,
    addressee: order.addressee,
    compliant: combineCompliance(items.map((i) => i.compliant)),
    running: pendingChecks > 0,
    pendingChecks,
    items,
    evidence: {
      intact: chain.intact,
      records: evidence.length,
      head: chain.intact ? chain.head : null,
      firstBad: chain.problem?.index ?? null,
    },
  };
}

/** Order compliance: false if any item is false; true only if all are true; otherwise null. */
export function combineCompliance(values: ReadonlyArray<boolean | null>): boolean | null {
  if (values.includes(false)) return false;
  if (values.length > 0 && values.every((v) => v === true)) return true;
  return null;
}

function row(e: StoredEvidence): CheckRow {
  const r: EvidenceRecord = e.record;
  const o = r.observation;
  return {
    checkedAt: o.requestedAt,
    verdict: o.verdict,
    reason: o.reason,
    distance: o.bestDistance,
    kind: r.attempt > 1 ? 'retry' : r.kind,
    slotKind: r.kind,
    attempt: r.attempt,
    evidence: { seq: e.seq, hash: e.hash, finalUrl: o.finalUrl, status: o.status, resolvedIp: o.resolvedIp },
  };
}

/** One item's verdict at the deadline, compliance, removal bracket and re-appearance. */
export function buildItemReport(url: string, evidence: readonly StoredEvidence[]): ItemReport {
  const sorted = [...evidence].sort((a, b) =>
    a.record.observation.requestedAt === b.record.observation.requestedAt
      ? a.seq - b.seq
      : a.record.observation.requestedAt < b.record.observation.requestedAt
        ? -1
        : 1,
  );
  const checks = sorted.map(row);
  // The deadline check, or — when it was inconclusive — its first conclusive retry.
  const deadlineAttempts = checks.filter((c) => c.slotKind === 'deadline').sort((a, b) => a.attempt - b.attempt);
  const deadlineRow = deadlineAttempts.find((c) => c.verdict !== 'INCONCLUSIVE') ?? deadlineAttempts.at(-1) ?? null;
  const atDeadline = deadlineRow ? { verdict: deadlineRow.verdict, checkedAt: deadlineRow.checkedAt } : null;
  const deadlineClass = deadlineRow ? verdictClass(deadlineRow.verdict) : null;
  const compliant = deadlineClass === 'absent' ? true : deadlineClass === 'present' ? false : null;

  let lastSeenPresentAt: string | null = null;
  let firstSeenAbsentAt: string | null = null;
  let reappeared = false;
  if (deadlineRow && deadlineClass === 'absent') {
    // The absence in force at the deadline: walk back to where it began.
    const at = checks.indexOf(deadlineRow);
    let start = at;
    for (let i = at; i >= 0 && verdictClass(checks[i].verdict) !== 'present'; i--) {
      if (verdictClass(checks[i].verdict) === 'absent') start = i;
    }
    firstSeenAbsentAt = checks[start].checkedAt;
    for (let i = start - 1; i >= 0; i--) {
      if (checks[i].verdict === 'PRESENT') {
        lastSeenPresentAt = checks[i].checkedAt;
        break;
      }
    }
    reappeared = checks.slice(at + 1).some((c) => c.verdict === 'PRESENT');
  } else {
    // Not (yet) absent at the deadline: the last time it was seen, and any absence after that.
    let lastPresent = -1;
    checks.forEach((c, i) => {
      if (c.verdict === 'PRESENT') lastPresent = i;
    });
    if (lastPresent >= 0) lastSeenPresentAt = checks[lastPresent].checkedAt;
    const firstAbsent = checks.find((c, i) => i > lastPresent && verdictClass(c.verdict) === 'absent');
    firstSeenAbsentAt = firstAbsent?.checkedAt ?? null;
  }
  return { url, atDeadline, compliant, removal: { lastSeenPresentAt, firstSeenAbsentAt }, reappeared, checks };
}
