/**
 * Orders fixed-size records bytewise with the engine's native typed-array sort instead of a
 * comparator: a group's leading bytes are packed into 64-bit keys with each record's place in
 * the low bits, and runs whose packed bytes are equal (near-blank hashes share long runs of
 * zero bytes) are sorted the same way on the following bytes. Equal records keep their order.
 * Used for search hits (hit-order.ts) and for the entries of an import (import-sorter.ts).
 */

/** Groups this small are insertion-sorted. */
const INSERTION_MAX = 12;

/**
 * Positions 0..n−1 ordered by the first `width` bytes of record i at `records[i × stride]`;
 * records with equal bytes stay in position order.
 */
export function orderRecords(records: Uint8Array, n: number, stride: number, width: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new ByteSorter(records, stride, width, order).sort(0, n, 0);
  return order;
}

/**
 * Sorts runs of `order` (record positions, ascending within a run) in place by record bytes;
 * records with equal bytes stay in ascending position order.
 */
export class ByteSorter {
  constructor(
    private readonly records: Uint8Array,
    private readonly stride: number,
    private readonly width: number,
    private readonly order: Int32Array,
    /** Most records in one group sorted by packed keys (24 bits of place); tests lower it. */
    private readonly keyedMax = 1 << 24,
  ) {}

  /** Byte `k` of record `p` (0 past its width). */
  private byte(p: number, k: number): number {
    return k < this.width ? this.records[p * this.stride + k] : 0;
  }

  /** Sorts order[lo, hi) by record bytes from `offset` on (earlier bytes are equal). */
  sort(lo: number, hi: number, offset: number): void {
    const g = hi - lo;
    if (g < 2 || offset >= this.width) return;
    if (g <= INSERTION_MAX) {
      this.insertion(lo, hi, offset);
      return;
    }
    if (g > this.keyedMax) {
      // More places than a key holds (a radius near the whole hash over a list of tens of
      // millions): slower, same order.
      this.order.subarray(lo, hi).sort((a, b) => this.compare(a, b, offset) || a - b);
      return;
    }
    // The key: 4 bytes in the high word; 2 more and a 16-bit place, or 1 and a 24-bit place.
    const placeBits = g <= 1 << 16 ? 16 : 24;
    const take = placeBits === 16 ? 6 : 5;
    const keys = new BigUint64Array(g);
    const words = new Uint32Array(keys.buffer);
    const { order } = this;
    for (let i = 0; i < g; i++) {
      const p = order[lo + i];
      words[2 * i + 1] =
        ((this.byte(p, offset) << 24) |
          (this.byte(p, offset + 1) << 16) |
          (this.byte(p, offset + 2) << 8) |
          this.byte(p, offset + 3)) >>>
        0;
      const low = take === 6 ? (this.byte(p, offset + 4) << 8) | this.byte(p, offset + 5) : this.byte(p, offset + 4);
      words[2 * i] = ((low << placeBits) | i) >>> 0;
    }
    keys.sort();
    const placeMask = placeBits === 16 ? 0xffff : 0xffffff;
    const before = order.slice(lo, hi);
    for (let i = 0; i < g; i++) order[lo + i] = before[words[2 * i] & placeMask];
    // Runs whose packed bytes are equal: on to the next bytes.
    for (let from = 0; from < g - 1; ) {
      let to = from + 1;
      while (
        to < g &&
        words[2 * to + 1] === words[2 * from + 1] &&
        words[2 * to] >>> placeBits === words[2 * from] >>> placeBits
      )
        to++;
      if (to - from > 1) this.sort(lo + from, lo + to, offset + take);
      from = to;
    }
  }

  private insertion(lo: number, hi: number, offset: number): void {
    const { order } = this;
    for (let i = lo + 1; i < hi; i++) {
      const p = order[i];
      let j = i - 1;
      while (j >= lo && this.compare(order[j], p, offset) > 0) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = p;
    }
  }

  private compare(a: number, b: number, offset: number): number {
    const at = a * this.stride;
    const bt = b * this.stride;
    for (let k = offset; k < this.width; k++) {
      const d = this.records[at + k] - this.records[bt + k];
      if (d !== 0) return d;
    }
    return 0;
  }
}
