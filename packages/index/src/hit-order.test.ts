import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inResultOrder, orderHits, radixBits } from './hit-order.js';
import { HitList } from './hit-set.js';
import { prng } from './test-data.js';

/** The order orderHits must give: distance, then the record's first `width` bytes. */
function expectedOrder(distances: Int32Array, records: Uint8Array, stride: number, width: number): number[] {
  const cmp = (a: number, b: number) => {
    if (distances[a] !== distances[b]) return distances[a] - distances[b];
    for (let k = 0; k < width; k++) {
      const d = records[a * stride + k] - records[b * stride + k];
      if (d !== 0) return d;
    }
    return 0;
  };
  return Array.from({ length: distances.length }, (_, i) => i).sort(cmp);
}

/**
 * Distinct records that share long prefixes and runs of zero bytes, as near-blank hashes do:
 * each byte is zero, a copy of the previous record's, or random.
 */
function clusteredRecords(n: number, stride: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n * stride);
  const seen = new Set<string>();
  for (let i = 0; i < n; ) {
    for (let k = 0; k < stride; k++) {
      const r = rand();
      out[i * stride + k] = r < 0.5 ? 0 : r < 0.8 && i > 0 ? out[(i - 1) * stride + k] : Math.floor(rand() * 256);
    }
    const key = Buffer.from(out.subarray(i * stride, (i + 1) * stride)).toString('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    i++;
  }
  return out;
}

describe('orderHits', () => {
  it('orders by distance, then bytewise, at every size (insertion, 16-bit and deeper keys)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(8, 32),
        fc.integer({ min: 0, max: 256 }),
        (n, seed, width, maxDistance) => {
          const records = clusteredRecords(n, 32, seed);
          const rand = prng(seed ^ 0x5bd1e995);
          const distances = Int32Array.from({ length: n }, () => Math.floor(rand() * (maxDistance + 1)));
          const got = Array.from(orderHits(distances, records, n, 32, width));
          // Records distinct over 32 bytes may tie over 8: compare the keys, not the places.
          const key = (i: number) =>
            `${distances[i]}|${Buffer.from(records.subarray(i * 32, i * 32 + width)).toString('hex')}`;
          expect(got.map(key)).toEqual(expectedOrder(distances, records, 32, width).map(key));
          expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('orders more than 65 536 hits at one distance (24-bit places)', () => {
    const n = 70_000;
    const records = clusteredRecords(n, 32, 7);
    const distances = new Int32Array(n).fill(31);
    const got = orderHits(distances, records, n, 32, 32);
    expect(Array.from(got)).toEqual(expectedOrder(distances, records, 32, 32));
  });

  it('orders groups too large for packed keys with a comparison sort, same order', () => {
    const n = 500;
    const records = clusteredRecords(n, 32, 9);
    const rand = prng(5);
    const distances = Int32Array.from({ length: n }, () => Math.floor(rand() * 3));
    const got = orderHits(distances, records, n, 32, 32, 64);
    expect(Array.from(got)).toEqual(expectedOrder(distances, records, 32, 32));
  });
});

/** The records in ascending byte order (clusteredRecords gives each once). */
function ascendingRecords(records: Uint8Array): Uint8Array {
  const n = records.length / 32;
  const sorted = [...Array(n).keys()]
    .map((i) => Buffer.from(records.subarray(i * 32, i * 32 + 32)))
    .sort(Buffer.compare);
  return new Uint8Array(Buffer.concat(sorted));
}

describe('inResultOrder', () => {
  it.each([
    ['one hex string', undefined, false],
    ['hex made in chunks of 7 hits', 7, false],
    ['ascending records, ordered by id', undefined, true],
    ['ascending records, ordered by id, hex in chunks of 7', 7, true],
  ])('gives the hits in order, each with its own hex (%s)', (_, chunk, ascending) => {
    const clustered = clusteredRecords(300, 32, 11);
    const records = ascending ? ascendingRecords(clustered) : clustered;
    const words = new Uint32Array(records.buffer);
    const hits = new HitList();
    const rand = prng(3);
    const ids = [...Array(300).keys()].filter(() => rand() < 0.5);
    const distanceOf = new Map<number, number>();
    for (const id of ids) {
      distanceOf.set(id, Math.floor(rand() * 40));
      hits.add(id, distanceOf.get(id) as number);
    }
    for (const bytes of [32, 8]) {
      const result = inResultOrder(hits, words, bytes, ascending, chunk);
      const hexOf = (id: number) => Buffer.from(records.subarray(id * 32, id * 32 + bytes)).toString('hex');
      const got = Array.from(result.ids, (id, k) => ({ d: result.distances[k], hex: result.hashAt(k), id }));
      for (const g of got) {
        expect(g.hex).toBe(hexOf(g.id));
        expect(g.d).toBe(distanceOf.get(g.id));
      }
      expect(new Set(got.map((g) => g.id)).size).toBe(ids.length);
      const sorted = [...got].sort((a, b) => a.d - b.d || (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
      expect(got.map((g) => `${g.d}|${g.hex}`)).toEqual(sorted.map((g) => `${g.d}|${g.hex}`));
    }
  });

  it('orders hits spread over a large table, the id sort taking more than 8 bits a pass', () => {
    // Record i starts with i big-endian, so the records ascend; ids reach past 2^18.
    const n = 300_000;
    const records = new Uint8Array(n * 32);
    const view = new DataView(records.buffer);
    const rand = prng(5);
    for (let i = 0; i < n; i++) {
      view.setUint32(i * 32, i);
      view.setUint32(i * 32 + 4, Math.floor(rand() * 2 ** 32));
    }
    expect(radixBits(n - 1)).toBe(10);
    const hits = new HitList();
    const picked = new Map<number, number>();
    for (let k = 0; k < 5000; k++) {
      const id = Math.floor(rand() * n);
      if (picked.has(id)) continue;
      picked.set(id, Math.floor(rand() * 32));
      hits.add(id, picked.get(id) as number);
    }
    const result = inResultOrder(hits, new Uint32Array(records.buffer), 32, true);
    const expected = [...picked].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    expect([...result.ids]).toEqual(expected.map(([id]) => id));
    expect([...result.distances]).toEqual(expected.map(([, d]) => d));
    expect(result.hashAt(0)).toBe(
      Buffer.from(records.subarray(expected[0][0] * 32, expected[0][0] * 32 + 32)).toString('hex'),
    );
  });

  it('sorts ids in two passes of enough bits for the largest', () => {
    expect(radixBits(0)).toBe(8);
    expect(radixBits(65_535)).toBe(8);
    expect(radixBits(65_536)).toBe(9);
    expect(radixBits(9_451_773)).toBe(12);
    expect(radixBits(2 ** 32 - 1)).toBe(16);
  });

  it('orders by id exactly as by bytes when the records ascend', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.nat(), fc.integer({ min: 0, max: 64 }), (n, seed, spread) => {
        const records = ascendingRecords(clusteredRecords(n, 32, seed));
        const words = new Uint32Array(records.buffer);
        const rand = prng(seed + 1);
        const hits = new HitList();
        for (let id = 0; id < n; id++) if (rand() < 0.7) hits.add(id, Math.floor(rand() * (spread + 1)));
        const byBytes = inResultOrder(hits, words, 32, false);
        const byId = inResultOrder(hits, words, 32, true);
        expect(Array.from(byId.ids)).toEqual(Array.from(byBytes.ids));
        expect(Array.from(byId.distances)).toEqual(Array.from(byBytes.distances));
      }),
      { numRuns: 200 },
    );
  });

  it('orders by id exactly as by bytes with ids past 65 536 (both radix digits in use)', () => {
    const n = 300_000;
    const records = new Uint8Array(n * 32);
    const rand = prng(9);
    for (let id = 0; id < n; id++) {
      // The id big-endian first: the records ascend bytewise.
      records[id * 32] = id >>> 24;
      records[id * 32 + 1] = (id >>> 16) & 255;
      records[id * 32 + 2] = (id >>> 8) & 255;
      records[id * 32 + 3] = id & 255;
      for (let b = 4; b < 32; b++) records[id * 32 + b] = Math.floor(rand() * 256);
    }
    const words = new Uint32Array(records.buffer);
    const hits = new HitList();
    // Added in neither id nor distance order, as a table search reports them.
    for (let k = 0; k < 5000; k++) hits.add(Math.floor(rand() * n), Math.floor(rand() * 32));
    const unique = new HitList();
    const seen = new Set<number>();
    for (let k = 0; k < hits.size; k++) {
      if (seen.has(hits.ids[k])) continue;
      seen.add(hits.ids[k]);
      unique.add(hits.ids[k], hits.distances[k]);
    }
    const byBytes = inResultOrder(unique, words, 32, false);
    const hexByBytes = Array.from(byBytes.ids, (_, k) => byBytes.hashAt(k)); // before the next ordering
    const byId = inResultOrder(unique, words, 32, true);
    expect(Array.from(byId.ids)).toEqual(Array.from(byBytes.ids));
    expect(Array.from(byId.distances)).toEqual(Array.from(byBytes.distances));
    for (let k = 0; k < unique.size; k++) expect(byId.hashAt(k)).toBe(hexByBytes[k]);
  });

  it('makes the hex of hits when first asked for with use "few", and refuses it once a later ordering reused their buffer', () => {
    const records = clusteredRecords(5000, 32, 4);
    const words = new Uint32Array(records.buffer);
    const hits = new HitList();
    for (let id = 0; id < 5000; id++) hits.add(id, id % 7);
    const hexOf = (id: number) => Buffer.from(records.subarray(id * 32, id * 32 + 32)).toString('hex');
    const whole = inResultOrder(hits, words, 32);
    const few = inResultOrder(hits, words, 32, false, undefined, 'few');
    const early = few.hashAt(0); // its chunk is made now
    expect(early).toBe(hexOf(few.ids[0]));
    expect(few.ownHashAt(4999)).toBe(hexOf(few.ids[4999]));
    inResultOrder(hits, words, 32);
    expect(few.hashAt(1)).toBe(hexOf(few.ids[1])); // same chunk, made before
    expect(() => few.hashAt(4999)).toThrow(expect.objectContaining({ code: 'INTERNAL' })); // not made yet
    expect(() => few.ownHashAt(0)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    // With use 'whole' every chunk was made at once: still readable, own hashes are not.
    expect(whole.hashAt(4999)).toBe(hexOf(whole.ids[4999]));
    expect(() => whole.ownHashAt(0)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('a kept hash keeps a small chunk of text alive, not the hex of every hit', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 100_000;
    const records = new Uint8Array(n * 32);
    const rand = prng(1);
    for (let i = 0; i < records.length; i++) records[i] = Math.floor(rand() * 256);
    const words = new Uint32Array(records.buffer);
    const hits = new HitList();
    for (let id = 0; id < n; id++) hits.add(id, id % 32);
    // Freed ArrayBuffers leave `external` once the sweeper has run: collect, wait, again.
    const used = async () => {
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      const m = process.memoryUsage();
      return m.heapUsed + m.external; // large hex strings are external
    };
    // What stays alive is the same at every reading; the test runner's own buffers come and
    // go (once 230 KB in a full CI run): the least of a few readings.
    const settled = async () => Math.min(await used(), await used(), await used());
    const kept: string[] = [];
    inResultOrder(hits, words, 32);
    const before = await settled();
    for (let i = 0; i < 5; i++) kept.push(inResultOrder(hits, words, 32).hashAt(0));
    const retained = (await settled()) - before;
    expect(kept[0]).toHaveLength(64);
    // One chunk per kept hash; the hex of all 100 000 hits would be 6.4 MB each.
    expect(retained).toBeLessThan(1 << 20);
    // A hash of its own keeps nothing else alive: with use 'few' no chunk is even made.
    const own: string[] = [];
    const beforeOwn = await settled();
    for (let i = 0; i < 5; i++) own.push(inResultOrder(hits, words, 32, false, undefined, 'few').ownHashAt(0));
    expect(own[4]).toBe(kept[0]);
    expect((await settled()) - beforeOwn).toBeLessThan(64 << 10);
  });
});
