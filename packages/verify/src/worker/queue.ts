import { randomUUID } from 'node:crypto';
import type { CheckObservation, ExpectedHash } from '../crawl/types.js';
import type { CheckState, StoredEvidence, VerifyStore } from '../store/store.js';
import { checkId } from '../store/store.js';
import { type RetryPolicy, retryDecision } from './retry.js';

/** A due check handed to a worker: everything needed to run it without reading the store. */
export interface ClaimedCheck {
  /** `ORDER#n` of the scheduled slot (retries share it). */
  id: string;
  orderId: string;
  no: number;
  item: number;
  url: string;
  expect: ExpectedHash[];
  kind: CheckState['kind'];
  attempt: number;
  dueAt: number;
}

export interface CompleteResult {
  /** False when someone else had already completed the check: nothing was appended. */
  appended: boolean;
  evidence: StoredEvidence | null;
  /** Epoch ms of the retry scheduled for an inconclusive result, or null. */
  retryAt: number | null;
}

/**
 * The due-check queue, kept behind an interface so the worker loop does not care where checks
 * come from.
 *
 * Embedded (now): `LmdbDueCheckQueue` — the LMDB due index is the queue, claims are leases in
 * LMDB, and `complete` appends evidence and marks the check done in one transaction; the
 * worker runs claimed checks through a p-queue.
 *
 * BullMQ on Redis (next): a scheduler process (the single owner of the LMDB evidence store)
 * turns each due check into a delayed BullMQ job (`delay = dueAt - now`, `jobId = ORDER#n` so
 * it is added once). Workers on many machines `claim` by taking jobs (BullMQ's lock is the
 * lease; a stalled job after a crash is handed to another worker), run the Checker and
 * `complete` by finishing the job with the observation as its return value. The owner
 * consumes completed jobs in order and appends them to the hash chain — only it writes
 * evidence, so the chain stays linear — and `release` is moving the job back to delayed.
 * Duplicate completions of a job are dropped by the owner exactly as `completeCheck` drops
 * them here.
 */
export interface DueCheckQueue {
  /** Leases up to `limit` checks due at or before `now` (optionally of one order). */
  claim(now: number, limit: number, orderId?: string): Promise<ClaimedCheck[]>;
  /** Appends the evidence and marks the check done (atomically); schedules a retry when inconclusive. */
  complete(check: ClaimedCheck, observation: CheckObservation, now: number): Promise<CompleteResult>;
  /** Gives a claimed check back unfinished, due again at `dueAt` (default: its due time). */
  release(check: ClaimedCheck, dueAt?: number): Promise<void>;
  /** Earliest due time of a pending check (optionally of one order), null when none remain. */
  nextDueAt(orderId?: string): Promise<number | null>;
  /** Checks not yet done (optionally of one order). */
  pending(orderId?: string): Promise<number>;
}

export interface LmdbQueueOptions {
  /** How long a claim holds before another worker may take the check over. Default 5 min. */
  leaseMs?: number;
  retry?: Partial<RetryPolicy>;
}

export class LmdbDueCheckQueue implements DueCheckQueue {
  /** Identifies this queue's leases; a lease of a dead process is taken over at once. */
  readonly owner = randomUUID();
  private readonly leaseMs: number;
  private readonly retry: Partial<RetryPolicy>;

  constructor(
    private readonly store: VerifyStore,
    options: LmdbQueueOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.retry = options.retry ?? {};
  }

  async claim(now: number, limit: number, orderId?: string): Promise<ClaimedCheck[]> {
    const states = this.store.claimDue(now, limit, { owner: this.owner, ms: this.leaseMs }, orderId);
    const orders = new Map<string, ReturnType<VerifyStore['requireOrder']>>();
    return states.map((s) => {
      let stored = orders.get(s.orderId);
      if (!stored) {
        stored = this.store.requireOrder(s.orderId);
        orders.set(s.orderId, stored);
      }
      const item = stored.order.items[s.item];
      return {
        id: checkId(s.orderId, s.slot),
        orderId: s.orderId,
        no: s.no,
        item: s.item,
        url: item.url,
        expect: item.expect,
        kind: s.kind,
        attempt: s.attempt,
        dueAt: s.dueAt,
      };
    });
  }

  async complete(check: ClaimedCheck, observation: CheckObservation, now: number): Promise<CompleteResult> {
    const state = this.store.getCheck(check.orderId, check.no);
    if (!state) return { appended: false, evidence: null, retryAt: null };
    const order = this.store.requireOrder(check.orderId).order;
    const result = this.store.completeCheck(state, observation, now, (done, obs) =>
      retryDecision(order, done, obs, now, this.retry),
    );
    return { appended: result.appended, evidence: result.evidence, retryAt: result.retry?.dueAt ?? null };
  }

  async release(check: ClaimedCheck, dueAt?: number): Promise<void> {
    const state = this.store.getCheck(check.orderId, check.no);
    if (state) this.store.release(state, this.owner, dueAt);
  }

  async nextDueAt(orderId?: string): Promise<number | null> {
    return this.store.nextDueAt(orderId);
  }

  async pending(orderId?: string): Promise<number> {
    if (orderId !== undefined) return this.store.pendingCount(orderId);
    return this.store.listOrderIds().reduce((sum, id) => sum + this.store.pendingCount(id), 0);
  }
}
