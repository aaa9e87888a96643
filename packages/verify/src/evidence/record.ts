import type { CheckObservation } from '../crawl/types.js';
import type { CheckKind } from '../schedule/plan.js';
import { canonicalHash } from './canonical.js';

export const EVIDENCE_FORMAT = 'staydown-evidence/1';

/**
 * One check's evidence. Records of an order form a hash chain: `prevHash` is the SHA-256 of
 * the previous record's canonical JSON; the first record's `prevHash` is the hash of the
 * order itself, so the chain is bound to the order it was taken for.
 */
export interface EvidenceRecord {
  format: typeof EVIDENCE_FORMAT;
  orderId: string;
  /** 0-based position in the order's chain. */
  seq: number;
  prevHash: string;
  /** The scheduled check this record completes. */
  checkId: string;
  item: number;
  kind: CheckKind;
  /** 1 for the scheduled check, 2… for retries of an inconclusive one. */
  attempt: number;
  dueAt: string;
  /** When the record was appended (UTC). */
  recordedAt: string;
  /** What the crawler saw: times, URL, redirects, IP, vantage, status, headers, bytes, hashes, verdict. */
  observation: CheckObservation;
}

export function recordHash(record: EvidenceRecord): string {
  return canonicalHash(record);
}
