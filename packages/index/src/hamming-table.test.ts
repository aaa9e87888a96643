import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hammingDistance } from '@staydown/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseSubstrings, HammingTable, idBytesFor, LinearStore, MIN_TABLE_RECORDS } from './hamming-table.js';
import { nearRecord, prng, syntheticRecords } from './test-data.js';
import { buildKernelBytes } from './wasm-kernel.js';

function bruteForce(records: Uint8Array, count: number, query: Uint8Array, r: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const d = hammingDistance(records.subarray(i * 32, i * 32 + 32), query);
    if (d <= r) out.set(i, d);
  }
  return out;
}

function searchAll(table: { search: HammingTable['search'] }, query: Uint8Array, r: number) {
  const got = new Map<number, number>();
  let repeated = false;
  const mode = table.search(query, r, (id, d) => {
    if (got.has(id)) repeated = true;
    got.set(id, d);
  });
  return { got, repeated, mode };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-mih-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('wasm kernel', () => {
  it('is a valid module built from our own bytes', () => {
    const bytes = buildKernelBytes();
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
    expect(bytes.length).toBeLessThan(1024);
  });
});

describe('substring layout', () => {
  it('about log2(n) bits per substring, offsets within 48 bytes per record, bits left out only to keep that', () => {
    expect(chooseSubstrings(MIN_TABLE_RECORDS - 1, 256)).toEqual([]);
    for (const n of [5000, 100_000, 1_000_000, 2_000_000, 9_451_774, 10_000_000, 20_000_000]) {
      const lengths = chooseSubstrings(n, 256);
      const covered = lengths.reduce((a, b) => a + b, 0);
      const offsets = (lens: number[]) => lens.reduce((t, len) => t + 4 * (2 ** len + 1), 0);
      expect(covered).toBeLessThanOrEqual(256);
      // Fewer than one bit per substring is left out, and only when one more would bust the budget.
      expect(256 - covered).toBeLessThan(lengths.length);
      if (covered < 256) {
        const longer = lengths.map((len, j) => (j === lengths.indexOf(Math.min(...lengths)) ? len + 1 : len));
        expect(offsets(longer) / n).toBeGreaterThan(48);
      }
      expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
      expect(Math.max(...lengths)).toBeLessThanOrEqual(24);
      expect(Math.min(...lengths)).toBeGreaterThanOrEqual(8);
      expect(offsets(lengths) / n).toBeLessThanOrEqual(48);
    }
    // 9.45 M distinct hashes (the 10 M clustered benchmark list): 11 substrings, not 12.
    expect(chooseSubstrings(9_451_774, 256)).toEqual([24, 24, 23, 23, 23, 23, 23, 23, 23, 23, 23]);
    // Norouzi et al.: m = 256 / log2(10 M) ≈ 11 substrings of 23–24 bits.
    expect(chooseSubstrings(10_000_000, 256)).toEqual([24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23]);
    expect(idBytesFor(10_000_000)).toBe(3);
    expect(idBytesFor(2 ** 24)).toBe(3);
    expect(idBytesFor(2 ** 24 + 1)).toBe(4);
  });
});

describe('HammingTable: exactly the brute-force result set', () => {
  it('for random and clustered data at radii 0–64', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0, 0.5, 0.9),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 48 })), {
          minLength: 4,
          maxLength: 8,
        }),
        (seed, clustered, queries) => {
          const count = 5000;
          const records = syntheticRecords({ count, seed, clustered });
          const table = HammingTable.build(records, count, 256);
          expect(table.lengths.length).toBeGreaterThan(0);
          const rand = prng(seed ^ 0x5bd1e995);
          for (const [r, flips] of queries) {
            const query = nearRecord(records, Math.floor(rand() * count), flips, rand);
            const { got, repeated } = searchAll(table, query, r);
            expect(repeated).toBe(false);
            expect(got).toEqual(bruteForce(records, count, query, r));
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('when the substrings leave bits out (pigeonhole over the covered bits), still exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0, 0.5),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 16 })), {
          minLength: 4,
          maxLength: 8,
        }),
        (seed, clustered, queries) => {
          const count = 20_000;
          const records = syntheticRecords({ count, seed, clustered });
          // 56 of 256 bits indexed: most differences fall where no table looks.
          const table = HammingTable.build(records, count, 256, { lengths: [14, 14, 14, 14] });
          const rand = prng(seed ^ 0x1b873593);
          let indexed = 0;
          for (const [r, flips] of queries) {
            const query = nearRecord(records, Math.floor(rand() * count), flips, rand);
            const { got, repeated, mode } = searchAll(table, query, r);
            if (mode === 'index') indexed++;
            expect(repeated).toBe(false);
            expect(got).toEqual(bruteForce(records, count, query, r));
          }
          if (clustered === 0) expect(indexed).toBeGreaterThan(0);
        },
      ),
      { numRuns: 10 },
    );
    expect(() => HammingTable.build(new Uint8Array(32 * 8), 8, 256, { lengths: [200, 57] })).toThrow(RangeError);
  });

  it('finds records whose only witness is a key one or two bits away, for every bit and pair', () => {
    // 16 tables of 16 bits at 100 000 records; at r=40 tables 0–8 are probed within 2 bits
    // and 9–15 within 1. Each planted record differs from the query in 1 or 2 bits of one
    // table (within its radius) and in one bit more than the radius in every other (39 or 40
    // bits in all): only that table's key with those bits flipped finds it. The brute-force
    // tests leave such slack that dropping every key two adjacent bits away passed them.
    const count = 100_000;
    const records = syntheticRecords({ count, seed: 23 });
    const rand = prng(29);
    const query = Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
    const r = 40;
    const radius = (j: number) => (j <= r - 2 * 16 ? 2 : 1);
    const flip = (rec: Uint8Array, table: number, bit: number) => {
      const g = table * 16 + bit;
      rec[g >>> 3] ^= 1 << (g & 7);
    };
    let planted = 0;
    const plant = (t: number, witnessBits: number[]) => {
      const rec = query.slice();
      for (const bit of witnessBits) flip(rec, t, bit);
      for (let j = 0; j < 16; j++) {
        if (j === t) continue;
        const bits = [...Array(16).keys()].sort(() => rand() - 0.5).slice(0, radius(j) + 1);
        for (const bit of bits) flip(rec, j, bit);
      }
      records.set(rec, (count - 1 - planted++) * 32);
    };
    for (let t = 0; t < 16; t++) {
      for (let a = 0; a < 16; a++) {
        plant(t, [a]);
        for (let b = a + 1; b < 16 && radius(t) === 2; b++) plant(t, [a, b]);
      }
    }
    expect(planted).toBe(16 * 16 + 9 * 120);
    const table = HammingTable.build(records, count, 256);
    expect(table.lengths).toEqual(Array.from({ length: 16 }, () => 16));
    const { got, mode } = searchAll(table, query, r);
    expect(mode).toBe('index');
    expect(got).toEqual(bruteForce(records, count, query, r));
    for (let k = 0; k < planted; k++) expect(got.has(count - 1 - k)).toBe(true);
  });

  it('gathers records by id in the kernel as the records hold them, over several chunks', () => {
    const count = 20_000;
    const records = syntheticRecords({ count, seed: 13 });
    const table = HammingTable.build(records, count, 256);
    const rand = prng(4);
    // Chunks are 16 384 records: none, one short, exactly one, one and a record, several.
    for (const n of [0, 1, 16_383, 16_384, 16_385, 40_000]) {
      const ids = Int32Array.from({ length: n }, (_, k) => (k < 2 ? count - 1 - k : Math.floor(rand() * count)));
      const into = new Uint32Array(n * 8 + 8).fill(0xdeadbeef);
      table.gatherRecords(ids, n, into);
      const expected = new Uint32Array(n * 8 + 8).fill(0xdeadbeef);
      for (let k = 0; k < n; k++) expected.set(new Uint32Array(records.buffer, ids[k] * 32, 8), k * 8);
      expect(into).toEqual(expected);
    }
  });

  it('uses the index at small radii and scans when probing would cost more', () => {
    const count = 20_000;
    const records = syntheticRecords({ count, seed: 7 });
    const table = HammingTable.build(records, count, 256);
    const query = nearRecord(records, 3, 5, prng(1));
    expect(searchAll(table, query, 8).mode).toBe('index');
    expect(searchAll(table, query, 128).mode).toBe('scan');
    expect(searchAll(table, query, 128).got.size).toBe(bruteForce(records, count, query, 128).size);
  });

  it('falls back to the scan when a clustered bucket blows the candidate budget, still exact', () => {
    // Every record within 3 bits of one original: all land in the same buckets.
    const count = 6000;
    const records = syntheticRecords({ count, seed: 11, clustered: 1, maxFlips: 3 });
    const table = HammingTable.build(records, count, 256);
    const query = nearRecord(records, 0, 1, prng(2));
    const { got, mode } = searchAll(table, query, 31);
    expect(mode).toBe('scan');
    expect(got).toEqual(bruteForce(records, count, query, 31));
  });

  it('skips heavy buckets and scans or walks the dense block, exactly (forced thresholds, large-N layout)', () => {
    const count = 6000;
    const records = syntheticRecords({ count, seed: 13, clustered: 0.6, maxFlips: 12 });
    // 11 substrings of 23–24 bits (the 10 M layout) and 16×16-bit tables, with tiny heavy thresholds.
    const layouts = [[24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23], Array.from({ length: 16 }, () => 16)];
    for (const lengths of layouts) {
      // heavy 1: most queries skip many ids and scan the block; 32: few, and their buckets are walked.
      for (const heavy of lengths.length === 16 ? [1, 4, 32] : [1, 32]) {
        // 3-byte ids (up to 16 M records) for the large layout, 4-byte ids (beyond) for the other.
        const idBytes = lengths.length === 16 ? 4 : 3;
        const table = HammingTable.build(records, count, 256, { lengths, heavy, idBytes });
        expect(table.idBytes).toBe(idBytes);
        expect(table.lengths).toEqual(lengths);
        expect(table.denseCount).toBeGreaterThan(0);
        expect(table.denseCount).toBeLessThanOrEqual(count);
        const rand = prng(heavy * 31 + lengths.length);
        for (let i = 0; i < 12; i++) {
          const r = [0, 8, 16, 31, 40][i % 5];
          const query = nearRecord(records, Math.floor(rand() * count), Math.floor(rand() * 20), rand);
          const { got, repeated } = searchAll(table, query, r);
          expect(repeated).toBe(false);
          expect(got).toEqual(bruteForce(records, count, query, r));
        }
      }
    }
  });

  it('keeps exact repeats and a blank-image cluster exact (heavy buckets of identical records)', () => {
    const count = 8000;
    const records = syntheticRecords({ count, seed: 17 });
    // 600 all-zero records and 300 copies of record 1 (reposts), scattered through the list.
    for (let i = 0; i < 900; i++) {
      const at = 2 + i * 8;
      if (i < 600) records.fill(0, at * 32, at * 32 + 32);
      else records.copyWithin(at * 32, 32, 64);
    }
    const table = HammingTable.build(records, count, 256);
    expect(table.denseCount).toBeGreaterThanOrEqual(900);
    const rand = prng(5);
    const near = [nearRecord(records, 2, 3, rand), nearRecord(records, 1, 6, rand), nearRecord(records, 5, 9, rand)];
    for (const query of near) {
      for (const r of [0, 4, 16, 31]) {
        const { got, repeated } = searchAll(table, query, r);
        expect(repeated).toBe(false);
        expect(got).toEqual(bruteForce(records, count, query, r));
      }
    }
  });

  it('scans only the dense block cells and popcounts that can match, exactly, whatever the query popcount', () => {
    // A quarter of the records are sparse (blank-ish images of every density up to ~25%): the
    // heavy buckets of all-zero substrings put them, and only them, in the dense block.
    const count = 6000;
    const records = syntheticRecords({ count, seed: 19 });
    const rand = prng(37);
    for (let i = 0; i < count; i += 4) {
      const density = rand() * 0.5;
      for (let b = 0; b < 32; b++) records[i * 32 + b] &= rand() < density ? rand() * 256 : 0;
    }
    const table = HammingTable.build(records, count, 256, { lengths: Array.from({ length: 16 }, () => 16), heavy: 32 });
    expect(table.denseCount).toBeGreaterThan(count / 8);
    expect(table.denseCount).toBeLessThan(count / 2);
    const queries: Uint8Array[] = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
    for (let i = 0; i < 10; i++)
      queries.push(nearRecord(records, 4 * Math.floor(rand() * (count / 4)), Math.floor(rand() * 30), rand));
    for (let i = 0; i < 4; i++)
      queries.push(nearRecord(records, Math.floor(rand() * count), Math.floor(rand() * 30), rand));
    for (const query of queries) {
      for (const r of [0, 5, 16, 31, 64]) {
        const { got, repeated } = searchAll(table, query, r);
        expect(repeated).toBe(false);
        expect(got).toEqual(bruteForce(records, count, query, r));
      }
    }
    const file = path.join(tmp, 'band.snap');
    table.writeSnapshot(file, { store: 0, signal: 'pdq', generation: 1 });
    const loaded = HammingTable.readSnapshot(file)!.table;
    for (const query of queries)
      expect(searchAll(loaded, query, 31).got).toEqual(bruteForce(records, count, query, 31));
  });

  it('takes a query at any byte offset (a view into a larger buffer)', () => {
    const count = 8000;
    const records = syntheticRecords({ count, seed: 41, clustered: 0.3 });
    const table = HammingTable.build(records, count, 256);
    const query = nearRecord(records, 10, 5, prng(43));
    const holder = new Uint8Array(33);
    holder.set(query, 1);
    for (const r of [0, 16, 31])
      expect(searchAll(table, holder.subarray(1), r).got).toEqual(bruteForce(records, count, query, r));
  });

  it('round-trips through a snapshot and rejects a truncated one', () => {
    const count = 8000;
    const records = syntheticRecords({ count, seed: 5, clustered: 0.5 });
    const table = HammingTable.build(records, count, 256);
    const file = path.join(tmp, 'a.snap');
    table.writeSnapshot(file, { store: 0, signal: 'pdq', generation: 42 });
    const loaded = HammingTable.readSnapshot(file);
    expect(loaded?.header).toMatchObject({ generation: 42, signal: 'pdq', count });
    const rand = prng(3);
    for (const r of [0, 16, 31, 50]) {
      const query = nearRecord(records, Math.floor(rand() * count), 10, rand);
      expect(searchAll(loaded!.table, query, r).got).toEqual(bruteForce(records, count, query, r));
    }
    expect(loaded!.table.denseCount).toBe(table.denseCount);
    expect(loaded?.extra).toBeUndefined();
    // The owner's bytes after the table come back with it; cut short, the snapshot is refused.
    const extra = Uint8Array.from({ length: 1001 }, (_, i) => i & 0xff);
    table.writeSnapshot(file, { store: 0, signal: 'pdq', generation: 43 }, extra);
    const withExtra = HammingTable.readSnapshot(file);
    expect(withExtra?.header).toMatchObject({ generation: 43, extraBytes: 1001 });
    expect(withExtra?.extra).toEqual(extra);
    expect(searchAll(withExtra!.table, records.subarray(0, 32), 31).got).toEqual(
      bruteForce(records, count, records.subarray(0, 32), 31),
    );
    // Damaged in place, same size (a bad disk block, a stray write): refused, never searched.
    const size = statSync(file).size;
    for (const at of [Math.floor(size / 2), size - 1]) {
      table.writeSnapshot(file, { store: 0, signal: 'pdq', generation: 44 }, extra);
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.alloc(at === size - 1 ? 1 : 1024, 0xff), 0, at === size - 1 ? 1 : 1024, at);
      closeSync(fd);
      expect(statSync(file).size).toBe(size);
      expect(HammingTable.readSnapshot(file), `damaged at ${at}`).toBeUndefined();
    }
    // A temp file left by a writer killed mid-write goes with the next write.
    const dead = spawnSync('true').pid;
    writeFileSync(`${file}.${dead}.tmp`, 'half a snapshot');
    table.writeSnapshot(file, { store: 0, signal: 'pdq', generation: 44 }, extra);
    expect(existsSync(`${file}.${dead}.tmp`)).toBe(false);
    truncateSync(file, statSync(file).size - 1);
    expect(HammingTable.readSnapshot(file)).toBeUndefined();
    writeFileSync(file, Buffer.from('SDMIH002'));
    expect(HammingTable.readSnapshot(file)).toBeUndefined();
    expect(HammingTable.readSnapshot(path.join(tmp, 'missing.snap'))).toBeUndefined();
  });
});

describe('LinearStore', () => {
  it('grows and scans exactly', () => {
    const store = new LinearStore(16);
    const records = syntheticRecords({ count: 3000, seed: 9, clustered: 0.5 });
    for (let i = 0; i < 3000; i++) store.append(records.subarray(i * 32, i * 32 + 32));
    const query = nearRecord(records, 77, 6, prng(4));
    expect(searchAll(store as unknown as HammingTable, query, 40).got).toEqual(bruteForce(records, 3000, query, 40));
  });
});

describe('HammingTable.recordsAscend', () => {
  it('is true only when every record is bytewise greater than the one before', () => {
    const n = 5000;
    const records = syntheticRecords({ count: n, seed: 8, clustered: 0.4 });
    const each = Array.from({ length: n }, (_, i) => Buffer.from(records.subarray(i * 32, i * 32 + 32)));
    const sorted = Buffer.concat(each.sort(Buffer.compare).filter((r, i, all) => i === 0 || !r.equals(all[i - 1])));
    const count = sorted.length / 32;
    expect(HammingTable.build(new Uint8Array(sorted), count, 256).recordsAscend()).toBe(true);
    // Two records swapped, or one repeated: not ascending.
    const swapped = Buffer.from(sorted);
    sorted.copy(swapped, 100 * 32, 101 * 32, 102 * 32);
    sorted.copy(swapped, 101 * 32, 100 * 32, 101 * 32);
    expect(HammingTable.build(new Uint8Array(swapped), count, 256).recordsAscend()).toBe(false);
    const repeated = Buffer.from(sorted);
    sorted.copy(repeated, 2000 * 32, 1999 * 32, 2000 * 32);
    expect(HammingTable.build(new Uint8Array(repeated), count, 256).recordsAscend()).toBe(false);
    // Differing only in the last byte.
    const last = Buffer.alloc(64);
    last[63] = 1;
    expect(HammingTable.build(new Uint8Array(last), 2, 256).recordsAscend()).toBe(true);
    // Bytes compare in stored order, whatever the words' byte order: 00 01… < 01 00….
    const pair = Buffer.alloc(64);
    pair[1] = 1;
    pair[32] = 1;
    expect(HammingTable.build(new Uint8Array(pair), 2, 256).recordsAscend()).toBe(true);
    pair[1] = 0;
    pair[0] = 1;
    pair[32] = 0;
    pair[33] = 1;
    expect(HammingTable.build(new Uint8Array(pair), 2, 256).recordsAscend()).toBe(false);
  });
});
