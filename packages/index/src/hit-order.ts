/**
 * The order a search reports its hits in: distance, then hash. Records are compared bytewise,
 * which is the order of their lowercase hex, so a one-list result arrives already in the
 * index's result order and its matches need no comparison sort. That sort dominated clustered
 * queries: a query near a blank image finds 180 000 near-blank hashes at r=31, and sorting
 * their match objects through a JS comparator took most of its 300 ms.
 *
 * Hits are grouped by distance with a counting sort; each group is then sorted by its
 * records' leading bytes packed into 64-bit keys with the hit's place in the low bits, so the
 * engine's native typed-array sort does the work with no comparator call. Hits whose packed
 * bytes are equal (near-blank hashes share long runs of zero bytes) are sorted the same way on
 * the following bytes.
 */

import { RECORD_BYTES } from './hamming-table.js';
import type { HitList } from './hit-set.js';

/** Groups this small are insertion-sorted. */
const INSERTION_MAX = 12;

/**
 * Positions 0..n−1 of the hits ordered by `distances[i]`, then by the first `width` bytes of
 * hit i's record at `records[i × stride]`. Distances are 0–256.
 */
export function orderHits(
  distances: Int32Array,
  records: Uint8Array,
  n: number,
  stride: number,
  width: number,
  /** Most hits at one distance sorted by packed keys (24 bits of place); tests lower it. */
  keyedMax = 1 << 24,
): Int32Array {
  const order = new Int32Array(n);
  let maxDistance = 0;
  for (let i = 0; i < n; i++) if (distances[i] > maxDistance) maxDistance = distances[i];
  const starts = new Int32Array(maxDistance + 2);
  for (let i = 0; i < n; i++) starts[distances[i] + 1]++;
  for (let d = 1; d <= maxDistance + 1; d++) starts[d] += starts[d - 1];
  const next = starts.slice(0, maxDistance + 1);
  for (let i = 0; i < n; i++) order[next[distances[i]]++] = i;
  const sorter = new ByteSorter(records, stride, width, order, keyedMax);
  for (let d = 0; d <= maxDistance; d++) sorter.sort(starts[d], starts[d + 1], 0);
  return order;
}

const RECORD_WORDS = RECORD_BYTES / 4;

/**
 * Hits whose hex is made in one native call. Each hash handed out is a substring sharing its
 * chunk's characters, and a string kept alive keeps its whole chunk: 16 hits (1 KB) bound what
 * one kept match holds, while still making one call per 16 hits instead of one per hit.
 */
const HEX_CHUNK_HITS = 16;

/**
 * The hits in result order, and `hashAt(k)`, the hex of hit order[k]'s first `bytes` bytes.
 * `tableWords` holds the table's 32-byte records as words. A toString('hex') per hit cost a
 * sixth of a clustered r=31 query.
 */
export function inResultOrder(
  hits: HitList,
  tableWords: Uint32Array,
  bytes: number,
  chunkHits = HEX_CHUNK_HITS,
): { order: Int32Array; hashAt: (k: number) => string } {
  const n = hits.size;
  const { ids } = hits;
  // The hits' records side by side (a clustered query's are scattered over the table), a
  // word at a time, then again in result order for the hex conversion.
  const records = new Uint32Array(n * RECORD_WORDS);
  for (let h = 0, o = 0; h < n; h++) {
    const at = ids[h] * RECORD_WORDS;
    for (let w = at; w < at + RECORD_WORDS; w++) records[o++] = tableWords[w];
  }
  const order = orderHits(hits.distances, new Uint8Array(records.buffer), n, RECORD_WORDS * 4, bytes);
  const ordered = new Uint32Array(n * RECORD_WORDS);
  for (let k = 0, o = 0; k < n; k++) {
    const at = order[k] * RECORD_WORDS;
    for (let w = at; w < at + RECORD_WORDS; w++) ordered[o++] = records[w];
  }
  const all = Buffer.from(ordered.buffer);
  const texts: string[] = [];
  for (let from = 0; from < n; from += chunkHits) {
    texts.push(all.toString('hex', from * RECORD_BYTES, Math.min(n, from + chunkHits) * RECORD_BYTES));
  }
  const digits = bytes * 2;
  const hashAt = (k: number) => {
    const at = (k % chunkHits) * RECORD_BYTES * 2;
    return texts[Math.floor(k / chunkHits)].substring(at, at + digits);
  };
  return { order, hashAt };
}

class ByteSorter {
  constructor(
    private readonly records: Uint8Array,
    private readonly stride: number,
    private readonly width: number,
    private readonly order: Int32Array,
    private readonly keyedMax: number,
  ) {}

  /** Byte `k` of hit `p`'s record (0 past its width). */
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
      this.order.subarray(lo, hi).sort((a, b) => this.compare(a, b, offset));
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
