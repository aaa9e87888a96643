import { existsSync } from 'node:fs';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { type Database, open, type RootDatabase } from 'lmdb';
import type { CheckObservation } from '../crawl/types.js';
import { canonicalHash, canonicalJson, sha256Hex } from '../evidence/canonical.js';
import { EVIDENCE_FORMAT, type EvidenceRecord } from '../evidence/record.js';
import type { RemovalOrder } from '../orders/schema.js';
import { type CheckKind, planChecks } from '../schedule/plan.js';

/** A scheduled check as persisted. `no` is unique within the order. */
export interface CheckState {
  orderId: string;
  no: number;
  item: number;
  kind: CheckKind;
  /** 1 for the scheduled check; n > 1 for the (n-1)th retry of an inconclusive one. */
  attempt: number;
  /** The `no` of the scheduled check this is (a retry points at the original). */
  slot: number;
  /** Epoch ms. */
  dueAt: number;
  state: 'pending' | 'done';
  lease: Lease | null;
  /** Set when done: the evidence record that completed the check. */
  evidenceSeq: number | null;
}

export interface Lease {
  owner: string;
  pid: number;
  /** Epoch ms after which anyone may take the check over. */
  until: number;
}

export interface StoredOrder {
  order: RemovalOrder;
  /** SHA-256 of the order's canonical JSON: the chain's genesis `prevHash`. */
  orderHash: string;
  storedAt: string;
}

interface OrderState {
  nextCheckNo: number;
  pending: number;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface StoredEvidence {
  seq: number;
  hash: string;
  /** The canonical JSON exactly as hashed. */
  json: string;
  record: EvidenceRecord;
}

/** Whether a retry is due after an inconclusive check, and when. Decided by the caller's policy. */
export type RetryDecision = { retryAt: number } | null;

export interface AppendResult {
  /** False when the check had already been completed (nothing appended: no check is recorded twice). */
  appended: boolean;
  evidence: StoredEvidence | null;
  retry: CheckState | null;
}

export function checkId(orderId: string, no: number): string {
  return `${orderId}#${no}`;
}

/**
 * The verification database: one LMDB environment per `--db DIR` with sub-databases for
 * orders, per-order counters, checks, the due index, evidence and chain heads. Every change
 * that must stay consistent (a record, its chain head and the check it completes) is one
 * synchronous LMDB write transaction, which is atomic and durable across processes: a worker
 * killed at any instant leaves either all of it or none of it.
 */
export class VerifyStore {
  readonly path: string;
  private readonly root: RootDatabase;
  private readonly orders: Database<StoredOrder, string>;
  private readonly orderStates: Database<OrderState, string>;
  private readonly checks: Database<CheckState, [string, number]>;
  private readonly due: Database<true, [number, string, number]>;
  /** The same pending checks keyed by order first, so one order's next check is found without a scan. */
  private readonly orderDue: Database<true, [string, number, number]>;
  private readonly evidence: Database<string, [string, number]>;
  private readonly heads: Database<ChainHead, string>;
  private closed = false;
  private readonly orderCache = new Map<string, StoredOrder>();

  private constructor(path: string, root: RootDatabase) {
    this.path = path;
    this.root = root;
    this.orders = root.openDB({ name: 'orders', encoding: 'json' });
    this.orderStates = root.openDB({ name: 'order-states', encoding: 'json' });
    this.checks = root.openDB({ name: 'checks', encoding: 'json' });
    this.due = root.openDB({ name: 'due', encoding: 'json' });
    this.orderDue = root.openDB({ name: 'order-due', encoding: 'json' });
    this.evidence = root.openDB({ name: 'evidence', encoding: 'string' });
    this.heads = root.openDB({ name: 'heads', encoding: 'json' });
  }

  /** Opens (creating unless `mustExist`) the database in directory `path`. */
  static open(path: string, options: { mustExist?: boolean } = {}): VerifyStore {
    if (options.mustExist && !existsSync(path)) {
      throw new StaydownError(ErrorCodes.STORE_FAILED, `no verification database at ${path}`, { details: { path } });
    }
    try {
      return new VerifyStore(path, open({ path, maxDbs: 16 }));
    } catch (error) {
      throw new StaydownError(
        ErrorCodes.STORE_FAILED,
        `cannot open verification database ${path}: ${(error as Error).message}`,
        {
          cause: error,
          details: { path },
        },
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  private write<T>(action: () => T): T {
    if (this.closed) throw new StaydownError(ErrorCodes.STORE_FAILED, 'verification database is closed');
    try {
      return this.root.transactionSync(action);
    } catch (error) {
      if (error instanceof StaydownError) throw error;
      throw new StaydownError(
        ErrorCodes.STORE_FAILED,
        `verification database write failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Stores an order and its schedule. Idempotent: the same id with the same (normalised)
   * content is accepted again without change; the same id with other content is ORDER_CONFLICT.
   */
  putOrder(order: RemovalOrder, now: number = Date.now()): { created: boolean; checks: number } {
    const orderHash = canonicalHash(order);
    return this.write(() => {
      const existing = this.orders.get(order.id);
      if (existing) {
        if (existing.orderHash !== orderHash) {
          throw new StaydownError(
            ErrorCodes.ORDER_CONFLICT,
            `order ${order.id} is already stored with different content (stored ${existing.storedAt}); give a changed order a new id`,
            { details: { orderId: order.id } },
          );
        }
        return { created: false, checks: this.orderStates.get(order.id)?.pending ?? 0 };
      }
      const planned = planChecks(order, { skipIntervalsBefore: now });
      this.orders.putSync(order.id, { order, orderHash, storedAt: new Date(now).toISOString() });
      planned.forEach((p, no) => {
        const check: CheckState = {
          orderId: order.id,
          no,
          item: p.item,
          kind: p.kind,
          attempt: 1,
          slot: no,
          dueAt: p.dueAt,
          state: 'pending',
          lease: null,
          evidenceSeq: null,
        };
        this.checks.putSync([order.id, no], check);
        this.addDue(order.id, p.dueAt, no);
      });
      this.orderStates.putSync(order.id, { nextCheckNo: planned.length, pending: planned.length });
      return { created: true, checks: planned.length };
    });
  }

  getOrder(orderId: string): StoredOrder | undefined {
    // Stored orders never change (a changed order is ORDER_CONFLICT), so each is parsed once.
    let stored = this.orderCache.get(orderId);
    if (!stored) {
      stored = this.orders.get(orderId);
      if (stored) this.orderCache.set(orderId, stored);
    }
    return stored;
  }

  /** Like getOrder but UNKNOWN_ORDER when absent. */
  requireOrder(orderId: string): StoredOrder {
    const stored = this.getOrder(orderId);
    if (!stored) {
      throw new StaydownError(ErrorCodes.UNKNOWN_ORDER, `no order ${JSON.stringify(orderId)} in ${this.path}`, {
        details: { orderId },
      });
    }
    return stored;
  }

  listOrderIds(): string[] {
    return [...this.orders.getKeys()] as string[];
  }

  pendingCount(orderId: string): number {
    return this.orderStates.get(orderId)?.pending ?? 0;
  }

  listChecks(orderId: string): CheckState[] {
    return [...this.checks.getRange({ start: [orderId, 0], end: [orderId, Number.MAX_SAFE_INTEGER] })].map(
      (e) => e.value,
    );
  }

  getCheck(orderId: string, no: number): CheckState | undefined {
    return this.checks.get([orderId, no]);
  }

  head(orderId: string): ChainHead | undefined {
    return this.heads.get(orderId);
  }

  listEvidence(orderId: string): StoredEvidence[] {
    return [...this.evidence.getRange({ start: [orderId, 0], end: [orderId, Number.MAX_SAFE_INTEGER] })].map((e) => {
      const json = e.value;
      return { seq: e.key[1], hash: sha256Hex(json), json, record: JSON.parse(json) as EvidenceRecord };
    });
  }

  /** Only inside a write transaction. */
  private addDue(orderId: string, dueAt: number, no: number): void {
    this.due.putSync([dueAt, orderId, no], true);
    this.orderDue.putSync([orderId, dueAt, no], true);
  }

  private removeDue(orderId: string, dueAt: number, no: number): void {
    this.due.removeSync([dueAt, orderId, no]);
    this.orderDue.removeSync([orderId, dueAt, no]);
  }

  /** Pending checks due at or before `now` as [orderId, no], earliest first. */
  private *dueUntil(now: number, orderId?: string): Generator<[string, number]> {
    if (orderId === undefined) {
      for (const { key } of this.due.getRange({ end: [now + 1] })) yield [key[1], key[2]];
    } else {
      for (const { key } of this.orderDue.getRange({ start: [orderId], end: [orderId, now + 1] }))
        yield [orderId, key[2]];
    }
  }

  /** Earliest due time of any pending check (optionally of one order), or null when none. */
  nextDueAt(orderId?: string): number | null {
    if (orderId === undefined) {
      for (const { key } of this.due.getRange({ limit: 1 })) return key[0];
      return null;
    }
    for (const { key } of this.orderDue.getRange({
      start: [orderId],
      end: [orderId, Number.MAX_SAFE_INTEGER],
      limit: 1,
    })) {
      return key[1];
    }
    return null;
  }

  /**
   * Leases up to `limit` pending checks due at or before `now` whose lease is free, expired,
   * or held by a process that no longer exists (a worker killed with kill -9).
   */
  claimDue(now: number, limit: number, lease: { owner: string; ms: number }, orderId?: string): CheckState[] {
    if (limit <= 0) return [];
    return this.write(() => {
      const claimed: CheckState[] = [];
      for (const [id, no] of this.dueUntil(now, orderId)) {
        if (claimed.length >= limit) break;
        const check = this.checks.get([id, no]);
        if (check?.state !== 'pending') continue;
        if (check.lease && check.lease.until > now && leaseHolderAlive(check.lease)) continue;
        check.lease = { owner: lease.owner, pid: process.pid, until: now + lease.ms };
        this.checks.putSync([id, no], check);
        claimed.push(check);
      }
      return claimed;
    });
  }

  /** Gives a claimed check back (abandoned), optionally due again later. */
  release(check: CheckState, owner: string, dueAt?: number): void {
    this.write(() => {
      const current = this.checks.get([check.orderId, check.no]);
      if (current?.state !== 'pending' || current.lease?.owner !== owner) return;
      current.lease = null;
      if (dueAt !== undefined && dueAt !== current.dueAt) {
        this.removeDue(current.orderId, current.dueAt, current.no);
        current.dueAt = dueAt;
        this.addDue(current.orderId, dueAt, current.no);
      }
      this.checks.putSync([current.orderId, current.no], current);
    });
  }

  /**
   * Appends the evidence of a check and marks it done in one transaction; when `retry` says so
   * (an inconclusive result), schedules the next attempt of the same slot in the same
   * transaction. A check already done is left alone and nothing is appended.
   */
  completeCheck(
    check: CheckState,
    observation: CheckObservation,
    now: number,
    retry: (check: CheckState, observation: CheckObservation) => RetryDecision,
  ): AppendResult {
    return this.write(() => {
      const current = this.checks.get([check.orderId, check.no]);
      if (current?.state !== 'pending') return { appended: false, evidence: null, retry: null };
      const stored = this.getOrder(check.orderId);
      const state = this.orderStates.get(check.orderId);
      if (!stored || !state) {
        throw new StaydownError(ErrorCodes.STORE_FAILED, `order ${check.orderId} vanished from the database`);
      }
      const head = this.heads.get(check.orderId) ?? { seq: -1, hash: stored.orderHash };
      const record: EvidenceRecord = {
        format: EVIDENCE_FORMAT,
        orderId: check.orderId,
        seq: head.seq + 1,
        prevHash: head.hash,
        checkId: checkId(check.orderId, current.slot),
        item: current.item,
        kind: current.kind,
        attempt: current.attempt,
        dueAt: new Date(current.dueAt).toISOString(),
        recordedAt: new Date(now).toISOString(),
        observation,
      };
      const json = canonicalJson(record);
      const hash = sha256Hex(json);
      this.evidence.putSync([check.orderId, record.seq], json);
      this.heads.putSync(check.orderId, { seq: record.seq, hash });
      current.state = 'done';
      current.lease = null;
      current.evidenceSeq = record.seq;
      this.checks.putSync([current.orderId, current.no], current);
      this.removeDue(current.orderId, current.dueAt, current.no);
      let next: CheckState | null = null;
      const decision = retry(current, observation);
      if (decision) {
        next = {
          ...current,
          no: state.nextCheckNo,
          attempt: current.attempt + 1,
          dueAt: decision.retryAt,
          state: 'pending',
          evidenceSeq: null,
          lease: null,
        };
        this.checks.putSync([next.orderId, next.no], next);
        this.addDue(next.orderId, next.dueAt, next.no);
        state.nextCheckNo += 1;
        state.pending += 1;
      }
      state.pending -= 1;
      this.orderStates.putSync(check.orderId, state);
      return { appended: true, evidence: { seq: record.seq, hash, json, record }, retry: next };
    });
  }
}

function leaseHolderAlive(lease: Lease): boolean {
  if (lease.pid === process.pid) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
