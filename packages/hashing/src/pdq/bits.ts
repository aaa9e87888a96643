/**
 * Thresholding the 16×16 DCT output at its median, and PDQ's hex encoding: bit k = 16·i + j
 * lives in 16-bit word i at position j; the hex prints words 15 down to 0, four digits each.
 */

/**
 * The 128th smallest of the 256 values (what sorted[127] holds); `scratch` is 256 floats.
 * Quickselect (Hoare partition, median-of-three pivot) on the copy instead of a full sort: the
 * same value, since every value is finite (only the sign of a zero median could differ, and a
 * strict `>` against it cannot tell).
 */
export function medianOf256(values: Float32Array, scratch: Float32Array): number {
  scratch.set(values);
  const k = 127;
  let lo = 0;
  let hi = 255;
  while (lo < hi) {
    const a = scratch[lo];
    const b = scratch[(lo + hi) >> 1];
    const c = scratch[hi];
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (scratch[i] < pivot) i++;
      while (scratch[j] > pivot) j--;
      if (i <= j) {
        const t = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = t;
        i++;
        j--;
      }
    }
    // Now [lo, j] ≤ pivot, [i, hi] ≥ pivot and anything between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return scratch[k];
}

/** The 256-bit hash of a 16×16 matrix as sixteen 16-bit words (word i = row i). */
export function thresholdToWords(matrix: Float32Array, median: number, words: Uint16Array): void {
  for (let i = 0; i < 16; i++) {
    let word = 0;
    for (let j = 0; j < 16; j++) if (matrix[i * 16 + j] > median) word |= 1 << j;
    words[i] = word;
  }
}

const HEX4: string[] = Array.from({ length: 65536 }, (_, v) => v.toString(16).padStart(4, '0'));

export function wordsToHex(words: Uint16Array): string {
  let hex = '';
  for (let i = 15; i >= 0; i--) hex += HEX4[words[i]];
  return hex;
}

/** Parses PDQ hex back into words (for tests and tools); the inverse of wordsToHex. */
export function hexToWords(hex: string): Uint16Array {
  const words = new Uint16Array(16);
  for (let i = 0; i < 16; i++) words[15 - i] = Number.parseInt(hex.slice(i * 4, i * 4 + 4), 16);
  return words;
}
