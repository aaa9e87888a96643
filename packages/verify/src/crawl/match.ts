import { getSignal, type SignalType } from '@staydown/core';
import type { ExpectedHash } from './types.js';

export interface NormalizedExpectation {
  signal: SignalType;
  hash: string;
}

/** Validates an order's expected hashes up front (throws INVALID_HASH / UNKNOWN_SIGNAL). */
export function normalizeExpectations(expect: ExpectedHash[]): NormalizedExpectation[] {
  return expect.map((e) => {
    const signal = getSignal(e.signal);
    return { signal, hash: signal.normalize(e.hash) };
  });
}

export interface Comparison {
  /**
   * Best distance to any expected hash: the smallest perceptual Hamming distance, or 0 when an
   * exact digest matched; null when no perceptual hash was comparable and no digest matched (a
   * digest mismatch has no degree, and a 0/1 would read like a near-perfect PDQ distance).
   */
  distance: number | null;
  matched: boolean;
  /** Signals that matched (an empty list when nothing matched). */
  matchedBy: string[];
}

/**
 * Compares observed hashes with the expectations: a perceptual signal matches within its
 * default threshold, a digest only when equal. `variants` holds extra values per signal
 * (PDQ dihedral copies), each compared like the main value.
 */
export function compareHashes(
  observed: Record<string, string>,
  expected: NormalizedExpectation[],
  variants: Record<string, string[]> = {},
): Comparison {
  let perceptualBest: number | null = null;
  const matchedBy = new Set<string>();
  for (const { signal, hash } of expected) {
    const values = [observed[signal.name], ...(variants[signal.name] ?? [])].filter(
      (v): v is string => typeof v === 'string' && v.length === signal.bits / 4,
    );
    for (const value of values) {
      const d = signal.distance(value, hash);
      if (d <= signal.defaultThreshold) matchedBy.add(signal.name);
      if (signal.kind === 'exact') {
        if (d === 0) perceptualBest = 0;
      } else if (perceptualBest === null || d < perceptualBest) {
        perceptualBest = d;
      }
    }
  }
  return { distance: perceptualBest, matched: matchedBy.size > 0, matchedBy: [...matchedBy] };
}
