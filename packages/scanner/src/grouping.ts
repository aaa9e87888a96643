import { ErrorCodes, PDQ, StaydownError } from '@staydown/core';
import { HammingTable } from '@staydown/index';
import { UnionFind } from './union-find.js';

export interface NearDuplicateInput {
  id: string;
  pdq: string;
}

export interface GroupOptions {
  /** Largest PDQ distance between two images of one group. Default: PDQ's match threshold (31). */
  threshold?: number;
}

/** Bytes of one packed 256-bit PDQ hash. */
const PDQ_BYTES = PDQ.bits / 8;

/**
 * Groups images whose PDQ hashes are within `threshold` of each other, transitively (A~B and
 * B~C put A, B and C together): the same picture reported many times, re-encoded or resized,
 * becomes one group. The distinct hashes are packed into the index's in-memory Hamming table
 * (nothing is written to disk) and each is searched once with its multi-index search, so past a
 * few thousand hashes the cost grows with the number of near pairs, not with n². Returns every
 * id exactly once: groups largest first, members in input order.
 */
export async function groupNearDuplicates(
  items: Iterable<NearDuplicateInput>,
  options: GroupOptions = {},
): Promise<string[][]> {
  const threshold = options.threshold ?? PDQ.defaultThreshold;
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > PDQ.bits) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `threshold must be an integer 0–${PDQ.bits}, got ${threshold}`);
  }
  const ids: string[] = [];
  /** Item positions per distinct hash: identical hashes are grouped without a search. */
  const byHash = new Map<string, number[]>();
  for (const item of items) {
    if (item === null || typeof item !== 'object') {
      throw new StaydownError(
        ErrorCodes.INVALID_HASH,
        `item ${ids.length} is ${item === null ? 'null' : typeof item}, not an {id, pdq} object`,
        { details: { position: ids.length } },
      );
    }
    let hash: string;
    try {
      hash = PDQ.normalize(item.pdq);
    } catch (error) {
      throw new StaydownError(ErrorCodes.INVALID_HASH, `item ${JSON.stringify(item.id)}: ${(error as Error).message}`, {
        cause: error,
        details: { id: item.id },
      });
    }
    const positions = byHash.get(hash);
    if (positions) positions.push(ids.length);
    else byHash.set(hash, [ids.length]);
    ids.push(item.id);
  }
  const sets = new UnionFind(ids.length);
  for (const positions of byHash.values()) for (const p of positions) sets.union(positions[0], p);

  const distinct = [...byHash.keys()];
  if (distinct.length > 1) {
    const records = new Uint8Array(distinct.length * PDQ_BYTES);
    distinct.forEach((hash, i) => {
      records.set(Buffer.from(hash, 'hex'), i * PDQ_BYTES);
    });
    const table = HammingTable.build(records, distinct.length, PDQ.bits);
    const first = distinct.map((hash) => byHash.get(hash)?.[0] ?? 0);
    for (let i = 0; i < distinct.length; i++) {
      // Each near pair is found from both ends; one union is enough.
      table.search(records.subarray(i * PDQ_BYTES, (i + 1) * PDQ_BYTES), threshold, (id) => {
        if (id > i) sets.union(first[i], first[id]);
      });
    }
  }
  return sets
    .groups()
    .map((members) => members.map((i) => ids[i]))
    .sort((a, b) => b.length - a.length);
}
