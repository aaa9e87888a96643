/**
 * The dense block's order and directory: which of its records a query must scan.
 *
 * A dense-block member is a record of a heavy bucket: a low-entropy hash (a blank or flat
 * image: some 32-bit words near zero, others random) or a near-duplicate of a much-reposted
 * one. Each record falls in a cell named by its eight words' popcounts, each in one of three
 * levels (below 4, below 12, 12 and over); the block is ordered by cell, then by popcount.
 * For a query q and a record x,
 *
 *   d(q, x) = Σ_w popcount(q_w ⊕ x_w) ≥ Σ_w |popcount(q_w) − popcount(x_w)|,
 *
 * so a cell whose members' word popcounts lie in [lo_w, hi_w] holds nothing within r of q
 * when Σ_w dist(popcount(q_w), [lo_w, hi_w]) > r, and inside a cell only the records whose
 * popcount is within r of q's can match (d ≥ |popcount(q) − popcount(x)|). Both bounds are
 * exact: a skipped record is one a brute-force scan would reject too.
 *
 * On the clustered 10 M benchmark list (832 000 dense records in 6 315 cells, when heavy
 * buckets were those above 64 ids), the queries that scan the block read 73 000 records at
 * r=16 and 306 000 at r=31, where the popcount band alone (the block ordered by popcount)
 * read 301 000 and 483 000.
 */

import { popcount32 } from '@staydown/core';

const WORDS = 8;
/** Word popcounts below LOW are level 0 (near-zero words), below HIGH level 1, others 2. */
const LOW = 4;
const HIGH = 12;
const LEVELS = 3;
/** Distinct cells: LEVELS^WORDS. */
export const CELL_KEYS = LEVELS ** WORDS;
/** Popcounts of a 256-bit record: 0–256. */
const POPCOUNTS = 257;
/** The block's sort key (cell, then popcount) takes values below this. */
export const DENSE_SORT_KEYS = CELL_KEYS * POPCOUNTS;
/** Ranges closer than this are scanned as one: a kernel call costs about this many records. */
const MERGE_GAP = 32;

function levelOf(pop: number): number {
  return pop < LOW ? 0 : pop < HIGH ? 1 : 2;
}

/** Query word popcounts: 0–32. */
const POP_VALUES = 33;
/** A word's share of a cell's bound is capped here, so that eight fit in a byte. */
const WORD_BOUND_CAP = 31;

/** DenseCells.wordBounds from each cell's per-word popcount ranges [lo, hi]. */
function wordBoundRows(lo: Uint8Array, hi: Uint8Array, cells: number, quads: number): Uint32Array {
  const rows = new Uint32Array(WORDS * POP_VALUES * quads);
  for (let c = 0; c < cells; c++) {
    const shift = 8 * (c & 3);
    for (let w = 0; w < WORDS; w++) {
      const least = lo[c * WORDS + w];
      const greatest = hi[c * WORDS + w];
      for (let p = 0; p < POP_VALUES; p++) {
        const bound = Math.max(least - p, 0) + Math.max(p - greatest, 0);
        rows[(w * POP_VALUES + p) * quads + (c >>> 2)] |= Math.min(bound, WORD_BOUND_CAP) << shift;
      }
    }
  }
  return rows;
}

function cellOf(words: Uint32Array, at: number): number {
  let key = 0;
  for (let w = 0; w < WORDS; w++) key = key * LEVELS + levelOf(popcount32(words[at + w]));
  return key;
}

function popcountOf(words: Uint32Array, at: number): number {
  let pop = 0;
  for (let w = 0; w < WORDS; w++) pop += popcount32(words[at + w]);
  return pop;
}

/** The dense-block sort key of the record at `words[at..at+8)`: its cell, then its popcount. */
export function denseSortKey(words: Uint32Array, at: number): number {
  return cellOf(words, at) * POPCOUNTS + popcountOf(words, at);
}

/**
 * How the directory reads the block: record i's eight 32-bit words, as stored before any
 * re-encoding (the table keeps its block folded, folded-block.ts).
 */
export interface DenseRecords {
  readonly count: number;
  read(i: number, out: Uint32Array): void;
}

/** A block of plain records, eight words each (the tests' blocks). */
export function plainRecords(words: Uint32Array, count = words.length / WORDS): DenseRecords {
  return { count, read: (i, out) => out.set(words.subarray(i * WORDS, (i + 1) * WORDS)) };
}

/** Positions [from, to) of the dense block, in pairs, and how many records they cover. */
export interface DenseRanges {
  ranges: number[];
  records: number;
}

export class DenseCells {
  /** Cell c's records are positions starts[c] ≤ i < starts[c + 1] of the block. */
  private readonly starts: Uint32Array;
  /**
   * Each cell's word bounds laid out for a query: for word w and a query word popcount p, the
   * row at (w · 33 + p) · quads words holds, a byte per cell and four cells per 32-bit word,
   * min(31, distance from p to the cell's [least, greatest] popcount of word w). A query adds
   * its eight rows, four cells at a time, instead of working out 8 × 2 differences per cell:
   * that took a third of a clustered r=16 query that scans the dense block. Capping a byte at
   * 31 keeps eight of them within one byte (≤ 248) and only ever lowers the bound, so no
   * cell that can hold a match is skipped.
   */
  private readonly wordBounds: Uint32Array;
  /** 32-bit words per row of wordBounds: four cells each. */
  private readonly quads: number;
  /** Per cell, the least and greatest popcount of its members. */
  private readonly popLo: Uint16Array;
  private readonly popHi: Uint16Array;
  /**
   * Where each popcount starts in each cell: popStarts[popBase[c] + k] is the first position
   * of cell c whose popcount is at least popLo[c] + k, for k = 0 … popHi[c] − popLo[c] + 1
   * (the last is the cell's end). A query's band is then two lookups; binary searches over
   * the records took as long as the scan they narrowed.
   */
  private readonly popBase: Uint32Array;
  private readonly popStarts: Uint32Array;
  /** Query word popcounts, reused. */
  private readonly queryPops = new Int32Array(WORDS);

  private constructor(
    starts: Uint32Array,
    lo: Uint8Array,
    hi: Uint8Array,
    popLo: Uint16Array,
    popHi: Uint16Array,
    popBase: Uint32Array,
    popStarts: Uint32Array,
  ) {
    this.starts = starts;
    const cells = starts.length - 1;
    this.quads = Math.ceil(cells / 4);
    this.wordBounds = wordBoundRows(lo, hi, cells, this.quads);
    this.popLo = popLo;
    this.popHi = popHi;
    this.popBase = popBase;
    this.popStarts = popStarts;
  }

  /**
   * The directory of a block already in denseSortKey order, in one pass over it; undefined
   * when it is not in that order (a snapshot of another layout).
   */
  static of(block: DenseRecords): DenseCells | undefined {
    const { count } = block;
    // Cells are distinct keys, so there are at most this many.
    const most = Math.min(count, CELL_KEYS);
    const starts = new Uint32Array(most + 1);
    const lo = new Uint8Array(most * WORDS);
    const hi = new Uint8Array(most * WORDS);
    const popLo = new Uint16Array(most);
    const popHi = new Uint16Array(most);
    const popBase = new Uint32Array(most + 1);
    const popStarts: number[] = [];
    const pops = new Int32Array(WORDS);
    const record = new Uint32Array(WORDS);
    let cells = 0;
    let previousCell = -1;
    let previousPop = -1;
    for (let i = 0; i < count; i++) {
      let cell = 0;
      let pop = 0;
      block.read(i, record);
      for (let w = 0; w < WORDS; w++) {
        const p = popcount32(record[w]);
        pops[w] = p;
        pop += p;
        cell = cell * LEVELS + levelOf(p);
      }
      if (cell < previousCell || (cell === previousCell && pop < previousPop)) return undefined;
      if (cell !== previousCell) {
        // The cell before ends here: one past its greatest popcount.
        if (cells > 0) popStarts.push(i);
        popBase[cells] = popStarts.length;
        popStarts.push(i);
        starts[cells] = i;
        lo.fill(255, cells * WORDS, (cells + 1) * WORDS);
        popLo[cells] = pop;
        cells++;
      } else {
        // Popcounts previousPop + 1 … pop start here (none of them between had a record).
        for (let p = previousPop; p < pop; p++) popStarts.push(i);
      }
      const c = cells - 1;
      for (let w = 0, at = c * WORDS; w < WORDS; w++, at++) {
        if (pops[w] < lo[at]) lo[at] = pops[w];
        if (pops[w] > hi[at]) hi[at] = pops[w];
      }
      // Popcounts ascend within a cell: the first is the least, the last the greatest.
      popHi[c] = pop;
      previousCell = cell;
      previousPop = pop;
    }
    starts[cells] = count;
    if (cells > 0) popStarts.push(count);
    return new DenseCells(
      starts.slice(0, cells + 1),
      lo.slice(0, cells * WORDS),
      hi.slice(0, cells * WORDS),
      popLo.slice(0, cells),
      popHi.slice(0, cells),
      popBase.slice(0, cells),
      Uint32Array.from(popStarts),
    );
  }

  get cellCount(): number {
    return this.starts.length - 1;
  }

  /** Rough cost of ranges() in ns (about 10 per cell): below it, walking heavy buckets wins outright. */
  get planCost(): number {
    return this.cellCount * 10;
  }

  /**
   * The positions a query must scan for records within maxDistance: every cell whose bounds
   * allow one, narrowed to the popcount band.
   */
  ranges(qwords: Uint32Array, maxDistance: number): DenseRanges {
    const pops = this.queryPops;
    let qpop = 0;
    for (let w = 0; w < WORDS; w++) {
      pops[w] = popcount32(qwords[w]);
      qpop += pops[w];
    }
    const bandLo = qpop - maxDistance;
    const bandHi = qpop + maxDistance;
    const { wordBounds, quads, popLo, popHi, starts, popBase, popStarts } = this;
    const ranges: number[] = [];
    let records = 0;
    const cells = this.cellCount;
    const row = (w: number) => (w * POP_VALUES + pops[w]) * quads;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = [row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)];
    // Per 16-bit lane, (bound | 0x8000) − (maxDistance + 1) keeps bit 15 exactly when
    // bound > maxDistance (bounds ≤ 248, so no lane borrows from the next).
    const limit = (maxDistance + 1) * 0x10001;
    for (let x = 0; x < quads; x++) {
      // Bytes are cells 4x … 4x + 3; their sums stay within a byte (≤ 248).
      const sum =
        wordBounds[r0 + x] +
        wordBounds[r1 + x] +
        wordBounds[r2 + x] +
        wordBounds[r3 + x] +
        wordBounds[r4 + x] +
        wordBounds[r5 + x] +
        wordBounds[r6 + x] +
        wordBounds[r7 + x];
      const evenOver = (((sum & 0x00ff00ff) | 0x80008000) - limit) & 0x80008000;
      const oddOver = ((((sum >>> 8) & 0x00ff00ff) | 0x80008000) - limit) & 0x80008000;
      if ((evenOver & oddOver) === (0x80008000 | 0)) continue;
      for (let k = 0; k < 4; k++) {
        const over = k & 1 ? oddOver : evenOver;
        if ((over & (k < 2 ? 0x8000 : 0x80000000)) !== 0) continue;
        const c = 4 * x + k;
        if (c >= cells) break;
        if (popHi[c] < bandLo || popLo[c] > bandHi) continue;
        // The cell's records within the band: popLo ≤ bandLo ≤ popHi here, or bandHi likewise.
        const from = popLo[c] < bandLo ? popStarts[popBase[c] + bandLo - popLo[c]] : starts[c];
        const to = popHi[c] > bandHi ? popStarts[popBase[c] + bandHi + 1 - popLo[c]] : starts[c + 1];
        if (from >= to) continue;
        records += to - from;
        const last = ranges.length - 1;
        if (last > 0 && from - ranges[last] <= MERGE_GAP) {
          records += from - ranges[last];
          ranges[last] = to;
        } else {
          ranges.push(from, to);
        }
      }
    }
    return { ranges, records };
  }
}
