import { describe, expect, it } from 'vitest';
import { type KeptPool, replaceLostThreads } from './thread-keeper.js';

function fakePool(queueSize: number, threads: number) {
  const runs: unknown[] = [];
  const pool: KeptPool = {
    queueSize,
    threads: Array.from({ length: threads }),
    run: async (task) => {
      runs.push(task);
      return [];
    },
  };
  return { pool, runs };
}

describe('replaceLostThreads', () => {
  it('submits one empty batch when work is queued and threads are missing', () => {
    const lost = fakePool(8, 0);
    expect(replaceLostThreads(lost.pool, 2)).toBe(true);
    expect(lost.runs).toEqual([{ items: [], startedAt: expect.any(Float64Array) }]);
  });

  it('leaves a pool alone that has its threads or nothing queued', () => {
    for (const [queued, threads] of [
      [8, 2],
      [0, 0],
      [0, 2],
    ]) {
      const { pool, runs } = fakePool(queued, threads);
      expect(replaceLostThreads(pool, 2)).toBe(false);
      expect(runs).toEqual([]);
    }
  });
});
