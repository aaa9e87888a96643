import type { WorkerOutcome, WorkerTask } from './types.js';

/** The part of a piscina pool the keeper looks at. */
export interface KeptPool {
  readonly queueSize: number;
  readonly threads: readonly unknown[];
  run(task: WorkerTask): Promise<WorkerOutcome[]>;
}

/** How often a scanner checks that its pool still has threads for queued work. */
export const THREAD_CHECK_MS = 1000;

/**
 * piscina 5 can lose a thread for good: a race between a crashed worker's own exit and its
 * termination after a cancelled task (seen by the review session: two scans, crashes in one,
 * an early stop in the other). Queued tasks then wait forever, since their timeout only counts
 * once they start. A task submitted while work is queued makes piscina start a thread, so an
 * empty batch is submitted when work is queued and threads are missing. Returns whether it did.
 */
export function replaceLostThreads(pool: KeptPool, wanted: number): boolean {
  if (pool.queueSize === 0 || pool.threads.length >= wanted) return false;
  pool.run({ items: [], startedAt: new Float64Array(new SharedArrayBuffer(8)) }).catch(() => {});
  return true;
}
