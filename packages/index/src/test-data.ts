/**
 * Synthetic 256-bit hashes for tests and benchmarks: uniform, or clustered the way real hash
 * lists are (reposts and near-duplicates around a few originals, exact repeats, low-entropy
 * images). Deterministic from a seed.
 */

export function prng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HashSetOptions {
  count: number;
  seed: number;
  /** Fraction of hashes that are near-duplicates of an earlier one (0 = uniform). */
  clustered?: number;
  /** Largest number of flipped bits in a near-duplicate. */
  maxFlips?: number;
}

/** `count` records of 32 bytes, packed. */
export function syntheticRecords(options: HashSetOptions): Uint8Array {
  const { count, seed, clustered = 0, maxFlips = 24 } = options;
  const rand = prng(seed);
  const out = new Uint8Array(count * 32);
  const words = new Uint32Array(out.buffer);
  // A few "low-entropy" originals (mostly-zero hashes, as blank or flat images give).
  const centres = Math.max(1, Math.floor(count / 200));
  for (let i = 0; i < count; i++) {
    if (i > 0 && rand() < clustered) {
      const src = rand() < 0.5 ? Math.floor(rand() * Math.min(i, centres)) : Math.floor(rand() * i);
      for (let w = 0; w < 8; w++) words[i * 8 + w] = words[src * 8 + w];
      const flips = rand() < 0.1 ? 0 : Math.floor(rand() * (maxFlips + 1));
      for (let f = 0; f < flips; f++) {
        const bit = Math.floor(rand() * 256);
        words[i * 8 + (bit >>> 5)] ^= 1 << (bit & 31);
      }
    } else if (i < centres && rand() < 0.3) {
      for (let w = 0; w < 8; w++) words[i * 8 + w] = rand() < 0.8 ? 0 : (rand() * 2 ** 32) >>> 0;
    } else {
      for (let w = 0; w < 8; w++) words[i * 8 + w] = (rand() * 2 ** 32) >>> 0;
    }
  }
  return out;
}

export function recordHex(records: Uint8Array, i: number): string {
  return Buffer.from(records.buffer, records.byteOffset + i * 32, 32).toString('hex');
}

/** A copy of record `i` with `flips` random bits flipped (a query near a stored hash). */
export function nearRecord(records: Uint8Array, i: number, flips: number, rand: () => number): Uint8Array {
  const q = new Uint8Array(32);
  q.set(records.subarray(i * 32, i * 32 + 32));
  for (let f = 0; f < flips; f++) {
    const bit = Math.floor(rand() * 256);
    q[bit >>> 3] ^= 1 << (bit & 7);
  }
  return q;
}

/**
 * Writes into words[at…at + 7] a record like a dense block's: each 32-bit word near zero (a
 * few bits, as blank and flat images give), sparse, or random; every word near zero when
 * `allNearZero`.
 */
export function lowEntropyRecord(words: Uint32Array, at: number, rand: () => number, allNearZero: boolean): void {
  for (let w = 0; w < 8; w++) {
    const kind = allNearZero ? 0 : rand();
    let v = 0;
    if (kind < 0.5) for (let b = Math.floor(rand() * 4); b > 0; b--) v |= 1 << Math.floor(rand() * 32);
    else if (kind < 0.7) for (let b = 4 + Math.floor(rand() * 8); b > 0; b--) v |= 1 << Math.floor(rand() * 32);
    else v = Math.floor(rand() * 2 ** 32);
    words[at + w] = v >>> 0;
  }
}
