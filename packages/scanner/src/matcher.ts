import { appendAll, BUILTIN_SIGNALS } from '@staydown/core';
import type { ImageHashes } from '@staydown/hashing';
import type { HashIndex, Match, MatchResult } from '@staydown/index';

/** The part of the index the scanner needs: batched search on the main thread. */
export type BatchSearcher = Pick<HashIndex, 'searchBatch'>;

export interface BatchMatchOptions {
  lists?: readonly string[];
}

function key(m: Match): string {
  return `${m.signal}\u0000${m.list}\u0000${m.hash}`;
}

/** Keeps the closest occurrence of each (signal, list, hash) and sorts by distance. */
function finish(matches: Match[]): Match[] {
  const best = new Map<string, Match>();
  for (const m of matches) {
    const seen = best.get(key(m));
    if (!seen || m.distance < seen.distance) best.set(key(m), m);
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.signal.localeCompare(b.signal));
}

/**
 * Matches many images at once: one `searchBatch` call per signal for the whole batch (PDQ's
 * dihedral variants are searched as PDQ too), so the in-memory index is walked in bulk on this
 * thread and never copied to workers.
 */
export function matchBatch(
  index: BatchSearcher,
  images: ImageHashes[],
  options: BatchMatchOptions = {},
): MatchResult[] {
  const found: MatchResult[] = images.map(() => ({ matches: [], suppressed: [], allowedBy: [] }));
  const searchOptions = options.lists === undefined ? {} : { lists: [...options.lists] };
  for (const signal of BUILTIN_SIGNALS) {
    const owners: number[] = [];
    const hexes: string[] = [];
    images.forEach((hashes, i) => {
      const value = hashes[signal];
      if (typeof value === 'string') {
        owners.push(i);
        hexes.push(value);
      }
      if (signal === 'pdq' && hashes.pdqDihedral) {
        for (const variant of new Set(Object.values(hashes.pdqDihedral))) {
          if (variant !== value) {
            owners.push(i);
            hexes.push(variant);
          }
        }
      }
    });
    if (hexes.length === 0) continue;
    const results = index.searchBatch(signal, hexes, searchOptions);
    results.forEach((result, j) => {
      appendAll(found[owners[j]].matches, result.matches);
      appendAll(found[owners[j]].suppressed, result.suppressed);
      appendAll(found[owners[j]].allowedBy, result.allowedBy);
    });
  }
  return found.map((f) => ({
    matches: finish(f.matches),
    suppressed: finish(f.suppressed),
    allowedBy: finish(f.allowedBy),
  }));
}
