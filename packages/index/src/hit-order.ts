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
import { ByteSorter } from './record-order.js';

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
