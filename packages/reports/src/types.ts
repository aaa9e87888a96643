/**
 * What the renderers read: the order report JSON contract of `staydown report --format json`
 * (see @staydown/verify) plus the order's facts and the evidence chain's status. Declared
 * here structurally so this package renders any producer's reports without importing the
 * verifier (data flows one way: verdict → evidence → report).
 */
import type { Verdict } from '@staydown/core';

export { ABSENT_VERDICTS, verdictClass } from '@staydown/core';
export type { Verdict };

export interface CheckRow {
  checkedAt: string;
  verdict: Verdict;
  reason: string | null;
  distance: number | null;
  /** What kind of scheduled check this was (baseline, interval, deadline, follow-up, retry). */
  kind?: string;
  /** The evidence record behind this check: its sequence number in the order's chain and its hash. */
  evidence?: {
    seq: number;
    hash: string;
    finalUrl?: string;
    status?: number | null;
    resolvedIp?: string | null;
  } | null;
}

export interface ItemReport {
  url: string;
  atDeadline: { verdict: Verdict; checkedAt: string } | null;
  compliant: boolean | null;
  removal: { lastSeenPresentAt: string | null; firstSeenAbsentAt: string | null };
  reappeared: boolean;
  checks: CheckRow[];
}

export interface EvidenceStatus {
  intact: boolean;
  records: number;
  /** Hash of the last record (the chain head). */
  head: string | null;
  /** Who signed the exported bundle (key fingerprint or name), when it was signed. */
  signedBy?: string | null;
  /** The first record that failed verification, when the chain is broken. */
  firstBad?: number | null;
}

export interface OrderReport {
  id: string;
  kind?: string;
  issuedAt?: string;
  deadline?: string;
  addressee?: { name: string; role?: string };
  compliant: boolean | null;
  /** True while checks are still due (deadline or follow-ups not yet run). */
  running?: boolean;
  items: ItemReport[];
  evidence?: EvidenceStatus;
}
