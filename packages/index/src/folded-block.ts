import type { DenseRecords } from './dense-cells.js';

/**
 * The dense block's records, stored folded so that a scan can reject most of them on a
 * quarter of their bytes. A record is four 64-bit words x0…x3. The block keeps, per record,
 *
 *   S = x0 ^ x1 ^ x2 ^ x3        (8 bytes, all records' side by side)
 *   G = x0 ^ x2                   (8 bytes, the same)
 *   L = x0, x1                    (16 bytes, the same)
 *
 * which is as many bytes as the record and gives it back whole: x2 = G ^ x0 and
 * x3 = (S ^ G) ^ x1. Popcount is subadditive, so for a query q folded the same way
 * popcnt(S ^ qS) ≤ popcnt(G ^ qG) + popcnt((S ^ G) ^ (qS ^ qG)) ≤ d(q, x): both folds bound the
 * distance from below and a record rejected by either is never within it. The kernel
 * (scanFolded) tests records four at a time on S (or, at large radii, on S and G) and reads
 * the rest of a record only when its group may hold a match.
 *
 * Near-blank and sparse hashes, which make the dense block, have so few bits set that their
 * folds keep most of them apart: at 10 M clustered hashes the 64-bit test let through 0.5 %
 * of the records a radius-16 query scans, the 128-bit one 6 % at radius 31 (fold.mjs).
 */
export class FoldedBlock implements DenseRecords {
  /** S, G and L as 32-bit words, over the block's memory (a view made now: memory may grow). */
  private readonly words: Uint32Array;
  readonly count: number;

  /** `words`: the block's count × 8 words. */
  constructor(words: Uint32Array, count: number) {
    if (words.length < count * 8) throw new RangeError(`a folded block of ${count} records needs ${count * 8} words`);
    this.words = words;
    this.count = count;
  }

  /** Stores record `at` from the eight words at source[from…from + 7]. */
  write(at: number, source: Uint32Array, from: number): void {
    const { words, count } = this;
    const [w0, w1, w2, w3] = [source[from], source[from + 1], source[from + 2], source[from + 3]];
    const [w4, w5, w6, w7] = [source[from + 4], source[from + 5], source[from + 6], source[from + 7]];
    words[2 * at] = w0 ^ w2 ^ w4 ^ w6;
    words[2 * at + 1] = w1 ^ w3 ^ w5 ^ w7;
    const g = 2 * count + 2 * at;
    words[g] = w0 ^ w4;
    words[g + 1] = w1 ^ w5;
    const l = 4 * count + 4 * at;
    words[l] = w0;
    words[l + 1] = w1;
    words[l + 2] = w2;
    words[l + 3] = w3;
  }

  /** Record `at`'s eight words, as stored before folding, into out[0…7]. */
  read(at: number, out: Uint32Array): void {
    const { words, count } = this;
    const s0 = words[2 * at];
    const s1 = words[2 * at + 1];
    const g = 2 * count + 2 * at;
    const g0 = words[g];
    const g1 = words[g + 1];
    const l = 4 * count + 4 * at;
    const w0 = words[l];
    const w1 = words[l + 1];
    const w2 = words[l + 2];
    const w3 = words[l + 3];
    out[0] = w0;
    out[1] = w1;
    out[2] = w2;
    out[3] = w3;
    out[4] = g0 ^ w0;
    out[5] = g1 ^ w1;
    out[6] = s0 ^ g0 ^ w2;
    out[7] = s1 ^ g1 ^ w3;
  }
}
