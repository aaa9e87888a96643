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

import { ErrorCodes, StaydownError } from '@staydown/core';
import { RECORD_BYTES, RECORD_WORDS } from './hamming-table.js';
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
  const { order, starts } = byDistance(distances, n);
  const sorter = new ByteSorter(records, stride, width, order, keyedMax);
  for (let d = 0; d + 1 < starts.length; d++) sorter.sort(starts[d], starts[d + 1], 0);
  return order;
}

/**
 * Positions 0..n−1 in ascending `distances[i]` (a counting sort, stable), and where each
 * distance's positions start: distance d's are order[starts[d], starts[d + 1]).
 */
function byDistance(distances: Int32Array, n: number): { order: Int32Array; starts: Int32Array } {
  const order = new Int32Array(n);
  const starts = distanceStarts(distances, n);
  const next = starts.slice(0, starts.length - 1);
  for (let i = 0; i < n; i++) order[next[distances[i]]++] = i;
  return { order, starts };
}

/**
 * Where each distance's hits start in ascending distance order: distance d's are positions
 * starts[d] to starts[d + 1] (distances 0–256; one entry past the largest).
 */
function distanceStarts(distances: Int32Array, n: number): Int32Array {
  let maxDistance = 0;
  for (let i = 0; i < n; i++) if (distances[i] > maxDistance) maxDistance = distances[i];
  const starts = new Int32Array(maxDistance + 2);
  for (let i = 0; i < n; i++) starts[distances[i] + 1]++;
  for (let d = 1; d <= maxDistance + 1; d++) starts[d] += starts[d - 1];
  return starts;
}

/**
 * Bits of id each of the id sort's two passes takes: enough for the largest id, so that a
 * table of 9.45 M records sorts on 12 bits a pass (4 096 counters) rather than 16 (65 536,
 * cleared and summed twice per query whatever its hit count).
 * @internal exported for tests
 */
export function radixBits(maxId: number): number {
  let bits = 8;
  while (bits < 16 && 2 ** (2 * bits) <= maxId) bits++;
  return bits;
}

/**
 * One stable counting-sort pass of (id, distance) pairs on the `bits` bits of id from
 * `shift`: `counts` (2^bits + 1 entries) is scratch.
 */
function radixPass(
  srcIds: Int32Array,
  srcDistances: Int32Array,
  n: number,
  shift: number,
  bits: number,
  dstIds: Int32Array,
  dstDistances: Int32Array,
  counts: Int32Array,
): void {
  const mask = (1 << bits) - 1;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[((srcIds[i] >>> shift) & mask) + 1]++;
  for (let b = 1; b <= mask + 1; b++) counts[b] += counts[b - 1];
  for (let i = 0; i < n; i++) {
    const at = counts[(srcIds[i] >>> shift) & mask]++;
    dstIds[at] = srcIds[i];
    dstDistances[at] = srcDistances[i];
  }
}

/**
 * Hits per chunk of hex, made in one native call when a hash of it is first asked for. Each
 * hash handed out is a substring sharing its chunk's characters, and a string kept alive
 * keeps its whole chunk: 16 hits (1 KB) bound what one kept match holds, while still making
 * one call per 16 hits instead of one per hit. (Chunks past 128 KB, which V8 makes in its
 * large-object space and never copies, built a near-blank query's 220 000 matches about 10 %
 * faster: not worth letting one kept hash hold 135 KB.) A result cut by a limit takes hashes
 * of its own (ownHashAt), and chunks of hits it leaves out are never made.
 */
const HEX_CHUNK_HITS = 16;

/** inResultOrder calls on this thread: hex is read from the shared scratch until the next. */
let orderings = 0;

/**
 * The records of a search's hits in result order are only read to make their hex, so one
 * buffer serves every search on this thread. A fresh one cost a page fault per 4 KB: 5 MB
 * for a query near a blank image, 2–15 ms on a virtual machine. Buffers above
 * SCRATCH_KEPT_BYTES (a query with more than 500 000 hits) are not kept.
 */
let scratch = new Uint32Array(0);
const SCRATCH_KEPT_BYTES = 16 << 20;

function scratchWords(words: number): Uint32Array {
  if (words <= scratch.length) return scratch;
  const fresh = new Uint32Array(words);
  if (fresh.byteLength <= SCRATCH_KEPT_BYTES) scratch = fresh;
  return fresh;
}

/** Copies the records of ids[0 … n) into `into`, record k at words 8k to 8k + 7. */
export type GatherRecords = (ids: Int32Array, n: number, into: Uint32Array) => void;

/** GatherRecords from records held as words (a table gathers with its kernel: HammingTable.gatherRecords). */
export function gatherFromWords(tableWords: Uint32Array): GatherRecords {
  return (ids, n, into) => {
    for (let k = 0; k < n; k++) {
      // Eight words written out: the loop form ran 1.7x slower on warm records (gath2.mjs).
      const at = ids[k] * RECORD_WORDS;
      const o = k * RECORD_WORDS;
      into[o] = tableWords[at];
      into[o + 1] = tableWords[at + 1];
      into[o + 2] = tableWords[at + 2];
      into[o + 3] = tableWords[at + 3];
      into[o + 4] = tableWords[at + 4];
      into[o + 5] = tableWords[at + 5];
      into[o + 6] = tableWords[at + 6];
      into[o + 7] = tableWords[at + 7];
    }
  };
}

/** A search's hits in result order. */
export interface OrderedHits {
  /** Hit k's record id and distance. */
  ids: Int32Array;
  distances: Int32Array;
  /**
   * The hex of hit k's record's first `bytes` bytes, sharing its chunk's text. Read before
   * the next search on this thread, which may reuse the records' buffer (INTERNAL otherwise).
   */
  hashAt: (k: number) => string;
  /** The same as a string of its own, keeping nothing else alive: for a few hits of many. */
  ownHashAt: (k: number) => string;
  /** With use 'records': hit k's record at k × RECORD_BYTES, in a buffer of the result's own. */
  records?: Uint8Array;
}

/**
 * What the caller of inResultOrder will read: the hex of every hit (`whole`), of a few
 * (`few`: a search with a limit), or the records themselves (`records`: a columnar result,
 * which keeps them and makes hex only when asked).
 */
export type HitUse = 'whole' | 'few' | 'records';

/**
 * The hits in result order, with the hex of each. `tableWords` holds the table's 32-byte
 * records as words. A toString('hex') per hit cost a sixth of a clustered r=31 query.
 *
 * `ascending`: the table's records ascend bytewise (HammingTable.recordsAscend), so ids order
 * the hits as their hashes do: they are sorted by id, placed by distance, and their records
 * gathered in that order (`gather`: the table's kernel). Otherwise the records are gathered (a
 * clustered query's lie all over the table), sorted on their bytes and gathered again in
 * order: a query near a blank image spent 55 of its 200 ms there.
 *
 * `use` 'few': only some hashes will be asked for (a search with a limit), so each chunk of
 * hex is made when first needed; a near-blank query limited to 100 matches ordered its hits
 * in half the time (lazyab.mjs: 20 against 39 ms for the three largest at r=31). 'records':
 * the records are gathered into a buffer of their own instead of the shared scratch, for the
 * caller to keep, and hex is made only when asked for.
 */
export function inResultOrder(
  hits: HitList,
  tableWords: Uint32Array,
  bytes: number,
  ascending = false,
  chunkHits = HEX_CHUNK_HITS,
  use: HitUse = 'whole',
  gather: GatherRecords = gatherFromWords(tableWords),
): OrderedHits {
  const n = hits.size;
  const ids = new Int32Array(n);
  const distances = new Int32Array(n);
  const ordered = use === 'records' ? new Uint32Array(n * RECORD_WORDS) : scratchWords(n * RECORD_WORDS);
  if (ascending) {
    // Hits sorted by id (two stable radix passes), then a stable counting sort by distance
    // places each hit, which keeps ids (so hashes) ascending within a distance. Sorting ids
    // within each distance instead walked the table once per distance: 23 of a 156 000-hit
    // query's 41 ms here, against 4 ms.
    const byIdIds = new Int32Array(n);
    const byIdDistances = new Int32Array(n);
    const bits = radixBits(tableWords.length / RECORD_WORDS - 1);
    const counts = new Int32Array((1 << bits) + 1);
    radixPass(hits.ids, hits.distances, n, 0, bits, ids, distances, counts);
    radixPass(ids, distances, n, bits, bits, byIdIds, byIdDistances, counts);
    const next = distanceStarts(byIdDistances, n);
    for (let k = 0; k < n; k++) {
      const d = byIdDistances[k];
      const place = next[d]++;
      ids[place] = byIdIds[k];
      distances[place] = d;
    }
    // The table is read forward once per distance. One walk in id order gathered the
    // 156 035-hit answer at 11.1 rather than 15.4 ns a record (gathorder.mjs), but would need
    // a second copy to put the records in place.
    gather(ids, n, ordered);
  } else {
    // The hits' records side by side, then again in result order.
    const records = new Uint32Array(n * RECORD_WORDS);
    gather(hits.ids, n, records);
    const order = orderHits(hits.distances, new Uint8Array(records.buffer), n, RECORD_WORDS * 4, bytes);
    for (let k = 0, o = 0; k < n; k++) {
      const h = order[k];
      ids[k] = hits.ids[h];
      distances[k] = hits.distances[h];
      const at = h * RECORD_WORDS;
      for (let w = at; w < at + RECORD_WORDS; w++) ordered[o++] = records[w];
    }
  }
  const all = Buffer.from(ordered.buffer, ordered.byteOffset, n * RECORD_BYTES);
  const ordering = ++orderings;
  const shared = ordered === scratch;
  const current = () => {
    if (shared && ordering !== orderings) {
      throw new StaydownError(ErrorCodes.INTERNAL, 'hit hashes read after a later search reused their buffer');
    }
  };
  const texts: (string | undefined)[] = new Array(Math.ceil(n / chunkHits));
  const chunkText = (chunk: number): string => {
    current();
    const from = chunk * chunkHits;
    const text = all.toString('hex', from * RECORD_BYTES, Math.min(n, from + chunkHits) * RECORD_BYTES);
    texts[chunk] = text;
    return text;
  };
  // Made up front when every hash will be asked for: made between the matches built from
  // them, the three largest clustered r=31 answers (220 000 matches) came 4–7 % slower
  // (lazyab.mjs).
  if (use === 'whole') for (let chunk = 0; chunk < texts.length; chunk++) chunkText(chunk);
  const digits = bytes * 2;
  const hashAt = (k: number) => {
    const chunk = Math.floor(k / chunkHits);
    const text = texts[chunk] ?? chunkText(chunk);
    const at = (k - chunk * chunkHits) * RECORD_BYTES * 2;
    return text.substring(at, at + digits);
  };
  const ownHashAt = (k: number) => {
    current();
    return all.toString('hex', k * RECORD_BYTES, k * RECORD_BYTES + bytes);
  };
  const records = use === 'records' ? new Uint8Array(ordered.buffer, 0, n * RECORD_BYTES) : undefined;
  return { ids, distances, hashAt, ownHashAt, records };
}
