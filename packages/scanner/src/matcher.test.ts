import type { Match, MatchResult } from '@staydown/index';
import { describe, expect, it } from 'vitest';
import { type BatchSearcher, matchBatch } from './matcher.js';

const pdqA = 'a'.repeat(64);
const pdqB = 'b'.repeat(64);
const sha = '1'.repeat(64);

function hit(signal: string, hash: string, distance: number, list = 'l'): Match {
  return { signal, hash, list, label: null, ref: null, distance };
}

describe('matchBatch', () => {
  it('makes one search call per signal for the whole batch and routes results back', () => {
    const calls: { signal: string; hexes: string[] }[] = [];
    const index: BatchSearcher = {
      searchBatch(signal: string, hexes: readonly string[]): MatchResult[] {
        calls.push({ signal, hexes: [...hexes] });
        return hexes.map((h) =>
          h === pdqB
            ? { matches: [hit(signal, h, 4)], suppressed: [], allowedBy: [] }
            : { matches: [], suppressed: [], allowedBy: [] },
        );
      },
    } as BatchSearcher;
    const results = matchBatch(index, [{ pdq: pdqA, sha256: sha }, { pdq: pdqB }, {}]);
    expect(calls).toEqual([
      { signal: 'pdq', hexes: [pdqA, pdqB] },
      { signal: 'sha256', hexes: [sha] },
    ]);
    expect(results.map((r) => r.matches.length)).toEqual([0, 1, 0]);
  });

  it("orders the matches of an image by distance then signal, keeping each signal's search order", () => {
    const bySignal: Record<string, Match[]> = {
      pdq: [hit('pdq', 'c'.repeat(64), 3, 'b'), hit('pdq', 'a'.repeat(64), 3, 'z'), hit('pdq', 'b'.repeat(64), 5)],
      sha256: [hit('sha256', sha, 0)],
    };
    const index: BatchSearcher = {
      searchBatch: (signal: string, hexes: readonly string[]) =>
        hexes.map(() => ({ matches: bySignal[signal] ?? [], suppressed: [], allowedBy: [] })),
    } as BatchSearcher;
    const [both] = matchBatch(index, [{ pdq: pdqA, sha256: sha }]);
    expect(both.matches.map((m) => [m.signal, m.distance, m.list])).toEqual([
      ['sha256', 0, 'l'],
      ['pdq', 3, 'b'],
      ['pdq', 3, 'z'],
      ['pdq', 5, 'l'],
    ]);
    const [pdqOnly] = matchBatch(index, [{ pdq: pdqA }]);
    expect(pdqOnly.matches).toEqual(bySignal.pdq);
  });

  it('searches dihedral variants as PDQ and keeps the closest hit per entry', () => {
    const index: BatchSearcher = {
      searchBatch: (signal: string, hexes: readonly string[]) =>
        hexes.map((h, i) => ({
          matches: [hit(signal, 'f'.repeat(64), h === pdqA ? 9 : i)],
          suppressed: [],
          allowedBy: [],
        })),
    } as BatchSearcher;
    const variants = {
      orig: pdqA,
      rot90: pdqB,
      rot180: pdqB,
      rot270: pdqB,
      flipx: pdqB,
      flipy: pdqB,
      flipplus1: pdqB,
      flipminus1: pdqB,
    };
    const [result] = matchBatch(index, [{ pdq: pdqA, pdqDihedral: variants }]);
    expect(result.matches).toHaveLength(1);
    expect(result.matches[0].distance).toBe(1);
    // pdqA, then pdqB once: identical variants are searched once.
  });
});
