import { hammingDistance } from '@staydown/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FoldedBlock } from './folded-block.js';
import { lowEntropyRecord, nearRecord, prng } from './test-data.js';
import { buildFoldedKernelBytes, createKernel, createMemory } from './wasm-kernel.js';

/** Records as the dense block holds them: near-zero, sparse or random words, and near copies. */
function records(n: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n * 32);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    if (i > 0 && rand() < 0.4) {
      out.set(nearRecord(out, Math.floor(rand() * i), Math.floor(rand() * 40), rand), i * 32);
      continue;
    }
    const blank = rand() < 0.4;
    lowEntropyRecord(words, i * 8, rand, blank);
  }
  return out;
}

const QUERY_AT = 0;
const OUT_AT = 64;

/**
 * A kernel over a memory holding the query, an output area of `n` pairs, and the block,
 * placed so that it ends where the memory ends: a read past the block would trap.
 */
function foldedKernel(recs: Uint8Array, n: number) {
  const memory = createMemory(OUT_AT + n * 8 + 64 + n * 32);
  const blockAt = memory.buffer.byteLength - n * 32;
  const block = new FoldedBlock(new Uint32Array(memory.buffer, blockAt, n * 8), n);
  const source = new Uint32Array(recs.buffer, recs.byteOffset, n * 8);
  for (let i = 0; i < n; i++) block.write(i, source, i * 8);
  const kernel = createKernel(memory);
  return {
    block,
    scan(query: Uint8Array, from: number, to: number, maxDistance: number, useFold64: number) {
      new Uint8Array(memory.buffer, QUERY_AT, 32).set(query);
      const hits = kernel.scanFolded(QUERY_AT, blockAt, n, from, to, maxDistance, OUT_AT, useFold64);
      const out = new Uint32Array(memory.buffer, OUT_AT, hits * 2);
      const found = new Map<number, number>();
      for (let h = 0; h < hits; h++) found.set(out[2 * h], out[2 * h + 1]);
      return found;
    },
  };
}

describe('FoldedBlock', () => {
  it('gives back every record as it was written', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32 * 5, maxLength: 32 * 5 }), (bytes) => {
        const n = 5;
        const block = new FoldedBlock(new Uint32Array(n * 8), n);
        const source = new Uint32Array(bytes.buffer, bytes.byteOffset, n * 8);
        for (let i = 0; i < n; i++) block.write(n - 1 - i, source, i * 8);
        const out = new Uint32Array(8);
        for (let i = 0; i < n; i++) {
          block.read(n - 1 - i, out);
          expect([...out]).toEqual([...source.subarray(i * 8, i * 8 + 8)]);
        }
      }),
    );
  });

  it('refuses a view too small for its records', () => {
    expect(() => new FoldedBlock(new Uint32Array(15), 2)).toThrow(RangeError);
  });
});

describe('scanFolded kernel', () => {
  it('is a valid module built from our own bytes', () => {
    const bytes = buildFoldedKernelBytes();
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(1024);
  });

  const n = 3000;
  const recs = records(n, 11);
  const { scan } = foldedKernel(recs, n);

  it('finds exactly the records a brute-force scan finds, for any range, radius and query', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: n }),
        fc.integer({ min: 0, max: n }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: n - 1 }),
        fc.integer({ min: 0, max: 48 }),
        fc.constantFrom(0, 1),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (a, b, maxDistance, near, flips, useFold64, seed) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const query = nearRecord(recs, near, flips, prng(seed));
          const found = scan(query, from, to, maxDistance, useFold64);
          const expected = new Map<number, number>();
          for (let i = from; i < to; i++) {
            const d = hammingDistance(query, recs.subarray(i * 32, i * 32 + 32));
            if (d <= maxDistance) expected.set(i, d);
          }
          expect(found).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads nothing past a block of any size, to its last record', () => {
    for (let size = 1; size <= 9; size++) {
      const small = records(size, 100 + size);
      const { scan: scanSmall } = foldedKernel(small, size);
      const query = nearRecord(small, size - 1, 3, prng(size));
      for (const useFold64 of [0, 1]) {
        for (let from = 0; from < size; from++) {
          // Radius 256 takes every record: each one read, the last included.
          const found = scanSmall(query, from, size, 256, useFold64);
          expect(found.size).toBe(size - from);
          expect(found.get(size - 1)).toBe(hammingDistance(query, small.subarray((size - 1) * 32, size * 32)));
        }
      }
    }
  });

  it('keeps a record at exactly the radius, in every place of a group of four', () => {
    for (let i = 0; i < 8; i++) {
      const query = nearRecord(recs, i, 16, prng(i + 1));
      const d = hammingDistance(query, recs.subarray(i * 32, i * 32 + 32));
      for (const useFold64 of [0, 1]) {
        expect(scan(query, 0, 8, d, useFold64).get(i)).toBe(d);
        expect(scan(query, i, i + 1, d, useFold64).get(i)).toBe(d);
        expect(scan(query, i, i + 1, d - 1, useFold64).has(i)).toBe(false);
      }
    }
  });
});
