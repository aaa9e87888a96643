import { describe, expect, it } from 'vitest';
import { HitList, HitSet } from './hit-set.js';

describe('HitList', () => {
  it('keeps every hit in order, growing past its first arrays', () => {
    const hits = new HitList();
    for (let i = 0; i < 1000; i++) hits.add(999 - i, i % 257);
    expect(hits.size).toBe(1000);
    expect(Array.from(hits.ids.subarray(0, 3))).toEqual([999, 998, 997]);
    expect(hits.distances[999]).toBe(999 % 257);
  });

  it('is empty after clear, keeping arrays of ordinary size and letting a clustered query’s go', () => {
    const hits = new HitList();
    for (let i = 0; i < 1000; i++) hits.add(i, 1);
    const kept = hits.ids;
    hits.clear();
    expect(hits.size).toBe(0);
    expect(hits.ids).toBe(kept);
    hits.add(7, 2);
    expect([hits.size, hits.ids[0], hits.distances[0]]).toEqual([1, 7, 2]);
    for (let i = 0; i < 200_000; i++) hits.add(i, 3);
    hits.clear();
    expect(hits.memoryBytes).toBeLessThanOrEqual(2 * 4 * 256);
  });
});

describe('HitSet', () => {
  it('keeps each record once, with the distance it was first found at', () => {
    const hits = new HitSet(100);
    hits.add(5, 3);
    hits.add(37, 4);
    hits.add(5, 3);
    hits.add(36, 9);
    expect(Array.from(hits.ids.subarray(0, hits.size))).toEqual([5, 37, 36]);
    expect(Array.from(hits.distances.subarray(0, hits.size))).toEqual([3, 4, 9]);
  });

  it('forgets everything on clear, including records sharing a bitmap word with others', () => {
    const hits = new HitSet(4096);
    for (let id = 0; id < 4096; id += 3) hits.add(id, 1);
    hits.clear();
    expect(hits.size).toBe(0);
    for (let id = 0; id < 4096; id++) hits.add(id, 2);
    expect(hits.size).toBe(4096);
  });

  it('forgets everything on clear after a search that grew past the arrays it keeps', () => {
    const hits = new HitSet(300_000);
    for (let id = 0; id < 300_000; id += 2) hits.add(id, 1);
    hits.clear();
    for (let id = 0; id < 300_000; id++) hits.add(id, 2);
    expect(hits.size).toBe(300_000);
  });
});
