import type { Verdict } from '../crawl/types.js';
import type { CheckKind } from '../schedule/plan.js';

/**
 * The JSON report (`staydown report --format json`): a stable contract other systems read.
 * Fields are only ever added, never renamed or removed.
 */
export interface CheckRow {
  /** When the request was made (UTC). */
  checkedAt: string;
  verdict: Verdict;
  reason: string | null;
  distance: number | null;
  /** Which scheduled check this was; a repeat of an inconclusive one is `retry`. */
  kind: CheckKind | 'retry';
  /** The scheduled check's kind (a retry keeps the kind of the check it repeats). */
  slotKind: CheckKind;
  attempt: number;
  evidence: { seq: number; hash: string; finalUrl: string; status: number | null; resolvedIp: string | null };
}

export interface ItemReport {
  url: string;
  /** The deadline check (or its first conclusive retry); null until it has run. */
  atDeadline: { verdict: Verdict; checkedAt: string } | null;
  /** true: absent at the deadline; false: present; null: inconclusive or not yet checked (never true by default). */
  compliant: boolean | null;
  /** When it went: the last check that saw it present before the first that saw it absent. */
  removal: { lastSeenPresentAt: string | null; firstSeenAbsentAt: string | null };
  /** Absent at the deadline, then present again afterwards (follow-ups). */
  reappeared: boolean;
  checks: CheckRow[];
}

export interface EvidenceStatus {
  intact: boolean;
  records: number;
  head: string | null;
  /** 0-based index of the first bad record when the chain is broken. */
  firstBad: number | null;
}

export interface OrderReport {
  id: string;
  kind: string;
  issuedAt: string;
  deadline: string;
  addressee: { name: string; role?: string };
  /** true only when every item is compliant; false when any is not; otherwise null. */
  compliant: boolean | null;
  /** True while checks are still due (deadline, retries or follow-ups not yet run). */
  running: boolean;
  pendingChecks: number;
  items: ItemReport[];
  evidence: EvidenceStatus;
}
