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
});
