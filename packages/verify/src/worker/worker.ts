import { ErrorCodes, isStaydownError } from '@staydown/core';
import PQueue from 'p-queue';
import type { Checker, CheckObservation } from '../crawl/types.js';
import type { ClaimedCheck, CompleteResult, DueCheckQueue } from './queue.js';

/** The subset of a pino logger the worker writes to. Log lines carry ids, verdicts and times, never content. */
export interface WorkerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CheckEvent {
  check: ClaimedCheck;
  observation: CheckObservation;
  result: CompleteResult;
}

export interface WorkerOptions {
  /** Checks in flight at once. Default 8. */
  concurrency?: number;
  /** Longest sleep between looks at the queue (ms): picks up orders added by other processes. Default 1000. */
  pollMs?: number;
  /** Only this order's checks. */
  orderId?: string;
  /** Return once no check is pending (of `orderId`, or of any order). Default false: run until stopped. */
  untilDone?: boolean;
  /** Stops the worker: no new claims; in-flight checks get `graceMs` to finish, then are abandoned. */
  signal?: AbortSignal;
  /** Default 10 s. */
  graceMs?: number;
  /** Abandons in-flight checks at once (e.g. a second Ctrl-C): they are released, nothing is recorded for them. */
  abandonSignal?: AbortSignal;
  /** A check whose checker throws (not a verdict: a bug or a caller error) is released and tried again after this. Default 5 s. */
  errorBackoffMs?: number;
  logger?: WorkerLogger;
  onCheck?: (event: CheckEvent) => void;
  now?: () => number;
}

export interface WorkerStats {
  completed: number;
  /** Completions dropped because the check had already been recorded (by another worker). */
  duplicates: number;
  retriesScheduled: number;
  /** Checks given back unfinished (stop, or checker error). */
  released: number;
  errors: number;
}

const DEFAULTS = { concurrency: 8, pollMs: 1000, graceMs: 10_000, errorBackoffMs: 5000 };
/** Shortest pause when something is due but held by another claim, so the loop does not spin. */
const MIN_WAIT_MS = 25;

const silentLogger: WorkerLogger = { info() {}, warn() {}, error() {} };

/** Runs due checks through the checker and records them until stopped (or done). */
export async function runWorker(
  queue: DueCheckQueue,
  checker: Checker,
  options: WorkerOptions = {},
): Promise<WorkerStats> {
  const o = { ...DEFAULTS, ...options };
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const stats: WorkerStats = { completed: 0, duplicates: 0, retriesScheduled: 0, released: 0, errors: 0 };
  const pq = new PQueue({ concurrency: o.concurrency });
  const hardStop = new AbortController();
  let wake: (() => void) | null = null;
  const wakeUp = () => {
    wake?.();
    wake = null;
  };
  options.signal?.addEventListener('abort', wakeUp, { once: true });
  const abandon = () => {
    hardStop.abort();
    wakeUp();
  };
  if (options.abandonSignal?.aborted) abandon();
  options.abandonSignal?.addEventListener('abort', abandon, { once: true });
  let inFlight = 0;

  const runOne = async (check: ClaimedCheck): Promise<void> => {
    try {
      const observation = await checker.check(check.url, check.expect, { signal: hardStop.signal });
      const result = await queue.complete(check, observation, now());
      if (!result.appended) {
        stats.duplicates += 1;
        log.warn({ check: check.id, attempt: check.attempt }, 'check was already recorded; result dropped');
        return;
      }
      stats.completed += 1;
      if (result.retryAt !== null) stats.retriesScheduled += 1;
      log.info(
        {
          check: check.id,
          kind: check.kind,
          attempt: check.attempt,
          url: check.url,
          verdict: observation.verdict,
          reason: observation.reason,
          status: observation.status,
          seq: result.evidence?.seq,
          retryAt: result.retryAt === null ? undefined : new Date(result.retryAt).toISOString(),
        },
        'check recorded',
      );
      options.onCheck?.({ check, observation, result });
    } catch (error) {
      const aborted = hardStop.signal.aborted || (isStaydownError(error) && error.code === ErrorCodes.ABORTED);
      try {
        await queue.release(check, aborted ? undefined : now() + o.errorBackoffMs);
        stats.released += 1;
      } catch (releaseError) {
        log.error({ check: check.id, err: String(releaseError) }, 'could not release check; its lease will expire');
      }
      if (aborted) {
        log.info({ check: check.id }, 'check abandoned on stop; it stays due');
      } else {
        stats.errors += 1;
        log.error({ check: check.id, err: isStaydownError(error) ? error.toJSON() : String(error) }, 'check failed');
      }
    }
  };

  const stopping = () => options.signal?.aborted === true || hardStop.signal.aborted;
  while (!stopping()) {
    const free = o.concurrency - inFlight;
    let claimed: ClaimedCheck[] = [];
    if (free > 0) {
      claimed = await queue.claim(now(), free, options.orderId);
      for (const check of claimed) {
        inFlight += 1;
        void pq
          .add(() => runOne(check))
          .finally(() => {
            inFlight -= 1;
            wakeUp();
          });
      }
    }
    if (options.untilDone && inFlight === 0 && (await queue.pending(options.orderId)) === 0) break;
    if (claimed.length > 0 && claimed.length === free) continue;
    const next = await queue.nextDueAt(options.orderId);
    if (stopping()) break;
    const wait = next === null ? o.pollMs : Math.min(o.pollMs, Math.max(MIN_WAIT_MS, next - now()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  if (inFlight > 0) {
    log.info({ inFlight, graceMs: o.graceMs }, 'stopping: waiting for in-flight checks');
    const grace = setTimeout(() => hardStop.abort(), o.graceMs);
    await pq.onIdle();
    clearTimeout(grace);
  }
  hardStop.abort();
  options.signal?.removeEventListener('abort', wakeUp);
  options.abandonSignal?.removeEventListener('abort', abandon);
  return stats;
}
