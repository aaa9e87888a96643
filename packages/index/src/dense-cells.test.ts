import { hammingDistance } from '@staydown/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseCells, denseSortKey, plainRecords } from './dense-cells.js';
import { lowEntropyRecord, nearRecord, prng } from './test-data.js';

/**
 * Records like a dense block's: each 32-bit word near zero (a few bits, as blank and flat
 * images give), sparse, or random, around a few originals; a share `blank` with every word
 * near zero (one large cell of many popcounts); then put in denseSortKey order.
 */
function denseBlock(n: number, seed: number, blank = 0.3): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n * 32);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    if (i > 0 && rand() < 0.5) {
      const src = Math.floor(rand() * i);
      out.set(nearRecord(out, src, Math.floor(rand() * 12), rand), i * 32);
      continue;
    }
    const allNearZero = rand() < blank;
    lowEntropyRecord(words, i * 8, rand, allNearZero);
  }
  return inDenseOrder(Array.from({ length: n }, (_, i) => out.subarray(i * 32, i * 32 + 32)));
}

/** The records packed in denseSortKey order (the order the table gives its dense block). */
function inDenseOrder(records: Uint8Array[]): Uint8Array {
  const keyOf = (r: Uint8Array) => denseSortKey(wordsOf(r), 0);
  const sorted = [...records].sort((a, b) => keyOf(a) - keyOf(b));
  const block = new Uint8Array(records.length * 32);
  for (let i = 0; i < sorted.length; i++) block.set(sorted[i], i * 32);
  return block;
}

function wordsOf(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function largestCell(block: Uint8Array, n: number): number {
  const sizes = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const cell = Math.floor(denseSortKey(wordsOf(block), i * 8) / 257);
    sizes.set(cell, (sizes.get(cell) ?? 0) + 1);
  }
  return Math.max(0, ...sizes.values());
}

/** Positions covered by the ranges, checking they are ascending and disjoint. */
function covered(ranges: number[]): Set<number> {
  const out = new Set<number>();
  for (let r = 0; r < ranges.length; r += 2) {
    expect(ranges[r]).toBeLessThan(ranges[r + 1]);
    if (r > 0) expect(ranges[r]).toBeGreaterThan(ranges[r - 1]);
    for (let i = ranges[r]; i < ranges[r + 1]; i++) out.add(i);
  }
  return out;
}

describe('DenseCells', () => {
  it('never leaves out a record within the distance (any block, query and radius)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 40 }),
        (n, seed, maxDistance, flips) => {
          const block = denseBlock(n, seed);
          const cells = DenseCells.of(plainRecords(wordsOf(block), n));
          expect(cells).toBeDefined();
          // Cells of more than 64 records (the near-zero one) are narrowed to a popcount band.
          if (n >= 1000) expect(largestCell(block, n)).toBeGreaterThan(64);
          const rand = prng(seed ^ 0x2545f491);
          // Near a member, near zero, or anywhere.
          const kind = seed % 3;
          const query =
            kind === 0 && n > 0
              ? nearRecord(block, Math.floor(rand() * n), flips, rand)
              : kind === 1
                ? nearRecord(new Uint8Array(32), 0, flips, rand)
                : Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
          const { ranges, records } = cells!.ranges(wordsOf(query), maxDistance);
          const scanned = covered(ranges);
          expect(records).toBe(scanned.size);
          for (let i = 0; i < n; i++) {
            if (hammingDistance(query, block.subarray(i * 32, i * 32 + 32)) <= maxDistance) {
              expect(scanned.has(i), `record ${i} within ${maxDistance}`).toBe(true);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads a fraction of a clustered block for a query of another cell', () => {
    const n = 20000;
    const block = denseBlock(n, 7);
    const words = wordsOf(block);
    const cells = DenseCells.of(plainRecords(words, n))!;
    expect(cells.cellCount).toBeGreaterThan(100);
    // A hash with every word random (a photo) against a block of mostly near-zero words.
    const rand = prng(9);
    let total = 0;
    for (let k = 0; k < 20; k++) {
      const query = Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
      total += cells.ranges(wordsOf(query), 16).records;
    }
    expect(total / 20).toBeLessThan(n / 10);
  });

  it('keeps both ends of the popcount band (a record at distance r with r more or fewer bits)', () => {
    // One near-zero cell of 400 records with popcounts 0–24, the query among them.
    const rand = prng(23);
    const sparse = (bits: number[]) => {
      const r = new Uint8Array(32);
      for (const b of bits) r[b >>> 3] |= 1 << (b & 7);
      return r;
    };
    const query = sparse([0, 40, 80, 120, 160, 200]);
    const more = sparse([0, 40, 80, 120, 160, 200, 1, 41, 81]);
    const fewer = sparse([120, 160, 200]);
    // Records of popcounts 0–2 too, below the band's lower end (3).
    const records = [more, fewer, sparse([]), sparse([7]), sparse([9, 99])];
    for (let i = 0; i < 395; i++) {
      const bits: number[] = [];
      for (let w = 0; w < 8; w++)
        for (let k = Math.floor(rand() * 4); k > 0; k--) bits.push(w * 32 + Math.floor(rand() * 32));
      records.push(sparse(bits));
    }
    const block = inDenseOrder(records);
    const cells = DenseCells.of(plainRecords(wordsOf(block), records.length))!;
    expect(largestCell(block, records.length)).toBe(records.length);
    const { ranges } = cells.ranges(wordsOf(query), 3);
    const scanned = covered(ranges);
    const at32 = (r: Uint8Array) => {
      for (let i = 0; i < records.length; i++)
        if (Buffer.compare(block.subarray(i * 32, i * 32 + 32), r) === 0) return i;
      return -1;
    };
    for (const r of [more, fewer]) {
      const at = at32(r);
      expect(hammingDistance(query, r)).toBe(3);
      expect(scanned.has(at)).toBe(true);
    }
    // The band is narrower than the cell: records 4+ popcounts away are not read.
    expect(scanned.size).toBeLessThan(records.length);
  });

  it('keeps cells whose words are wholly set or clear against the query (bounds capped at 31 a word)', () => {
    // A word's share of a cell's bound is capped at 31, so that eight fit in a byte: a cell
    // whose words are all zero, against a query word of popcount 32, may be scanned at r=31
    // but must never be skipped at r=32 or where one of its records is within the distance.
    const word = (w: number, value: number) => {
      const r = new Uint8Array(32);
      new Uint32Array(r.buffer)[w] = value;
      return r;
    };
    const query = word(0, 0xffffffff);
    const records = [new Uint8Array(32), word(0, 1), word(0, 0xfffffffe), word(5, 0xffffffff), word(0, 0x7fffffff)];
    for (let extra = 0; extra < 40; extra++) records.push(word(extra % 8, (1 << (extra % 31)) >>> 0));
    const block = inDenseOrder(records);
    const cells = DenseCells.of(plainRecords(wordsOf(block), records.length))!;
    for (const maxDistance of [0, 1, 30, 31, 32, 33, 63, 64, 200, 248, 255, 256]) {
      const scanned = covered(cells.ranges(wordsOf(query), maxDistance).ranges);
      for (let i = 0; i < records.length; i++) {
        const record = block.subarray(i * 32, i * 32 + 32);
        if (hammingDistance(query, record) <= maxDistance) expect(scanned.has(i)).toBe(true);
      }
    }
  });

  it('refuses a block out of its order (a snapshot of another layout)', () => {
    const n = 500;
    const block = denseBlock(n, 3);
    const words = wordsOf(block);
    let from = 0;
    while (from + 1 < n && denseSortKey(words, from * 8) === denseSortKey(words, (from + 1) * 8)) from++;
    expect(from + 1).toBeLessThan(n);
    // Swapping two records of different keys breaks the order.
    const a = block.slice(from * 32, from * 32 + 32);
    block.copyWithin(from * 32, (from + 1) * 32, (from + 2) * 32);
    block.set(a, (from + 1) * 32);
    expect(DenseCells.of(plainRecords(wordsOf(block), n))).toBeUndefined();
    expect(DenseCells.of(plainRecords(new Uint32Array(0), 0))?.cellCount).toBe(0);
  });
});
