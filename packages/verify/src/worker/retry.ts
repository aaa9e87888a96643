import type { CheckObservation } from '../crawl/types.js';
import { parseDuration } from '../orders/duration.js';
import type { RemovalOrder } from '../orders/schema.js';
import type { CheckState, RetryDecision } from '../store/store.js';

/** How inconclusive checks are retried: soon, with backoff, a bounded number of times. */
export interface RetryPolicy {
  /** Attempts per scheduled check including the first. Default 4 (three retries). */
  maxAttempts: number;
  /** First retry delay (ms), before scaling to the order. Default 30 s. */
  baseMs: number;
  /** Shortest retry delay (ms). Default 200 ms. */
  minMs: number;
  /** Longest retry delay (ms), also the cap on a host's Retry-After. Default 10 min. */
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseMs: 30_000, minMs: 200, maxMs: 10 * 60_000 };

/**
 * An inconclusive check gets another attempt. The first delay is the policy's base, but never
 * more than a quarter of the order's check interval, so a short order (seconds, as in tests and
 * the demo) retries within its own time scale; it doubles per attempt and honours Retry-After.
 */
export function retryDecision(
  order: RemovalOrder,
  check: CheckState,
  observation: CheckObservation,
  now: number,
  policy: Partial<RetryPolicy> = {},
): RetryDecision {
  const p = { ...DEFAULT_RETRY_POLICY, ...policy };
  if (observation.verdict !== 'INCONCLUSIVE' || check.attempt >= p.maxAttempts) return null;
  const every = parseDuration(order.checks.every);
  const base = Math.max(p.minMs, Math.min(p.baseMs, every > 0 ? every / 4 : p.baseMs));
  let delay = base * 2 ** (check.attempt - 1);
  if (observation.retryAfterMs !== null) delay = Math.max(delay, observation.retryAfterMs);
  return { retryAt: now + Math.round(Math.min(delay, p.maxMs)) };
}
