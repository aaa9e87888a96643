import { sha256Hex } from './canonical.js';
import type { EvidenceRecord } from './record.js';

export interface ChainProblem {
  /** Position (0-based, as presented) of the first record found bad. */
  index: number;
  /** That record's own `seq`, when it could be read. */
  seq: number | null;
  message: string;
}

export interface ChainCheck {
  intact: boolean;
  records: number;
  /** Hash of the last good record (chain head); the order hash when there are none. */
  head: string;
  problem: ChainProblem | null;
}

export interface ChainEntry {
  /** The record's canonical JSON. */
  json: string;
  /** The hash stored beside it (bundles carry one per line), when there is one. */
  hash?: string;
}

/**
 * Walks a chain of canonical-JSON records: each must parse, belong to the order, be the next
 * `seq`, match the hash stored beside it and carry the previous record's hash (the first: the
 * order's hash). Names the first bad record: an altered record fails its own stored hash or,
 * if that was recomputed too, its successor's link (or the expected head); a removed or
 * reordered one fails its `seq`.
 */
export function verifyChain(
  orderId: string,
  orderHash: string,
  entries: readonly ChainEntry[],
  expect: { head?: string; records?: number } = {},
): ChainCheck {
  let prev = orderHash;
  const fail = (index: number, seq: number | null, message: string): ChainCheck => ({
    intact: false,
    records: entries.length,
    head: prev,
    problem: {
      index,
      seq,
      message: `record ${index}${seq !== null && seq !== index ? ` (seq ${seq})` : ''} ${message}`,
    },
  });
  for (let index = 0; index < entries.length; index++) {
    const { json, hash } = entries[index];
    let record: EvidenceRecord;
    try {
      record = JSON.parse(json) as EvidenceRecord;
    } catch {
      return fail(index, null, 'is not valid JSON');
    }
    const seq = typeof record?.seq === 'number' ? record.seq : null;
    if (record?.orderId !== orderId) {
      return fail(index, seq, `belongs to order ${JSON.stringify(record?.orderId)}, not ${orderId}`);
    }
    if (seq !== index) {
      return fail(
        index,
        seq,
        `is out of place: expected seq ${index}, so a record was removed or records were reordered`,
      );
    }
    const actual = sha256Hex(json);
    if (hash !== undefined && hash !== actual)
      return fail(index, seq, 'was altered: its content does not match its hash');
    if (record.prevHash !== prev) {
      if (index === 0) return fail(0, seq, 'does not link to the order (prevHash is not the order hash): altered');
      // The link is the previous record's hash: the previous record no longer hashes to it.
      prev = record.prevHash;
      return { ...fail(index - 1, index - 1, 'was altered: the next record does not link to it'), head: prev };
    }
    prev = actual;
  }
  if (expect.records !== undefined && expect.records !== entries.length) {
    const index = Math.min(entries.length, expect.records);
    return fail(
      index,
      null,
      entries.length < expect.records
        ? `is missing: ${expect.records} records expected, ${entries.length} present (truncated)`
        : `is extra: ${expect.records} records expected, ${entries.length} present`,
    );
  }
  if (expect.head !== undefined && expect.head !== prev) {
    const last = entries.length - 1;
    return fail(
      Math.max(last, 0),
      last >= 0 ? last : null,
      'does not match the chain head: altered or the chain was cut',
    );
  }
  return { intact: true, records: entries.length, head: prev, problem: null };
}
