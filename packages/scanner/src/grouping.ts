import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ErrorCodes, PDQ, StaydownError } from '@staydown/core';
import { openIndex } from '@staydown/index';
import { UnionFind } from './union-find.js';

export interface NearDuplicateInput {
  id: string;
  pdq: string;
}

export interface GroupOptions {
  /** Largest PDQ distance between two images of one group. Default: PDQ's match threshold (31). */
  threshold?: number;
}

const GROUP_LIST = 'near-duplicates';

/**
 * Groups images whose PDQ hashes are within `threshold` of each other, transitively (A~B and
 * B~C put A, B and C together): the same picture reported many times, re-encoded or resized,
 * becomes one group. The hashes go into a temporary index (only hashes, never image bytes) and
 * each distinct hash is searched once with the index's multi-index search, so the cost grows
 * with the number of near pairs, not with n². Returns every id exactly once: groups largest
 * first, members in input order.
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
    const dir = await mkdtemp(path.join(os.tmpdir(), 'staydown-group-'));
    try {
      const index = await openIndex(dir, { snapshots: false });
      try {
        index.add(distinct.map((hash) => ({ signal: PDQ.name, hash, list: GROUP_LIST })));
        const results = index.searchBatch(PDQ.name, distinct, { maxDistance: threshold });
        results.forEach((result, i) => {
          const from = byHash.get(distinct[i])?.[0] ?? 0;
          for (const hit of result.matches) {
            const to = byHash.get(hit.hash)?.[0];
            if (to !== undefined) sets.union(from, to);
          }
        });
      } finally {
        await index.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return sets
    .groups()
    .map((members) => members.map((i) => ids[i]))
    .sort((a, b) => b.length - a.length);
}
