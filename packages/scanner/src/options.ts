import os from 'node:os';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { DEFAULT_DECODE_LIMITS, type HashOptions } from '@staydown/hashing';

/** How a scanner hashes, batches and matches. Every default lives in `resolveScannerOptions`. */
export interface ScannerOptions {
  /** Worker threads. Default: `os.availableParallelism()`; at most `maxThreads()`. */
  threads?: number;
  /** Passed to `hashImage` in every worker (signals, PDQ pipeline, decode limits). */
  hash?: HashOptions;
  /**
   * Small images are hashed several to a task so the pool's per-task cost stays under 5% of
   * the work. A file at least `maxBytes` long goes alone. Defaults: 16 items, 2 MiB.
   */
  batch?: { maxItems?: number; maxBytes?: number };
  /**
   * Images a thread has in hand at once. With 2, one decodes (libvips, a thread of its own)
   * while the other is hashed (JavaScript), within a pixel budget (two large photos never
   * decode side by side), so a core does not idle at the hand-overs between them: on the 2-core
   * VM, 2 threads kept 1.89–1.94 cores busy instead of 1.71–1.76 and scanned the mixed corpus
   * 1.15–1.24× as fast (two bench runs, each against one image in hand in the same run). A thread
   * then keeps up to about 1.4 cores busy. Default: 2 when the scan has a thread for every core
   * (`threads` ≥ `os.availableParallelism()`, as by default), since then the scan is meant to
   * have the whole machine; 1 with fewer threads than cores, so that `threads` bounds the cores
   * a scan uses. At most 8.
   */
  imagesPerThread?: number;
  /** Tasks queued or running per thread before reading pauses. Default 2 (one running, one waiting). */
  tasksPerThread?: number;
  /** Finished results held for a consumer that is not pulling before reading pauses. Default 256. */
  maxBufferedResults?: number;
  /** Files larger than this are reported `TOO_LARGE` without being read. Default: `hash.limits.maxBytes` or hashing's default (64 MiB). */
  maxFileBytes?: number;
  /** How long an idle thread is kept before piscina ends it. Default 5 minutes. */
  idleTimeoutMs?: number;
  /**
   * How long one task may run on a thread (a decoder spinning on a hostile file) before the
   * thread is ended and replaced and the input reported `WORKER_TIMEOUT`. Counted from when a
   * thread starts the task, so time waiting in the queue or for a thread to boot is not
   * charged. Default 60 s.
   */
  taskTimeoutMs?: number;
  /** Lists to match against (default: all) when the scanner has an index. */
  lists?: readonly string[];
  /**
   * Test-only fault injection: a worker whose input starts with `exitOnPrefix` (ASCII) calls
   * `process.exit()`, which kills its thread as a native decoder crash would; one starting with
   * `hangOnPrefix` keeps its thread busy forever, as a spinning decoder would; `failOnStart`
   * makes every thread fail as it loads, as a missing native library would. Never set in production.
   */
  faultInjection?: FaultInjection;
}

/** Test-only hooks that make a worker fail the way native code can. */
export interface FaultInjection {
  exitOnPrefix?: string;
  hangOnPrefix?: string;
  failOnStart?: boolean;
  /** Keeps each thread busy this long while it loads, as a slow native library would. */
  slowStartMs?: number;
}

export interface ResolvedScannerOptions {
  threads: number;
  hash: HashOptions;
  batchMaxItems: number;
  batchMaxBytes: number;
  imagesPerThread: number;
  tasksPerThread: number;
  maxBufferedResults: number;
  maxFileBytes: number;
  idleTimeoutMs: number;
  taskTimeoutMs: number;
  lists: readonly string[] | undefined;
  faultInjection: FaultInjection | undefined;
}

/** The longest delay setTimeout keeps (about 24.8 days); a longer one fires after 1 ms, every time. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The most threads a scanner takes: 4 per core, or 64. More only add memory (each thread loads
 * its own libvips), and a mistyped count (1000) would exhaust it before the first image.
 */
export function maxThreads(): number {
  return Math.max(64, 4 * os.availableParallelism());
}

function positiveInt(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`;
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `${name} must be ${range}, got ${value}`, {
      details: { option: name },
    });
  }
  return value;
}

export function resolveScannerOptions(options: ScannerOptions = {}): ResolvedScannerOptions {
  const hash = options.hash ?? {};
  const cores = Math.max(1, os.availableParallelism());
  const threads = positiveInt('threads', options.threads, cores, maxThreads());
  return {
    threads,
    hash,
    batchMaxItems: positiveInt('batch.maxItems', options.batch?.maxItems, 16),
    batchMaxBytes: positiveInt('batch.maxBytes', options.batch?.maxBytes, 2 * 2 ** 20),
    imagesPerThread: positiveInt('imagesPerThread', options.imagesPerThread, threads >= cores ? 2 : 1, 8),
    tasksPerThread: positiveInt('tasksPerThread', options.tasksPerThread, 2),
    maxBufferedResults: positiveInt('maxBufferedResults', options.maxBufferedResults, 256),
    maxFileBytes: positiveInt(
      'maxFileBytes',
      options.maxFileBytes,
      hash.limits?.maxBytes ?? DEFAULT_DECODE_LIMITS.maxBytes,
    ),
    idleTimeoutMs: positiveInt('idleTimeoutMs', options.idleTimeoutMs, 5 * 60_000, MAX_TIMER_MS),
    taskTimeoutMs: positiveInt('taskTimeoutMs', options.taskTimeoutMs, 60_000, MAX_TIMER_MS),
    lists: options.lists,
    faultInjection: options.faultInjection,
  };
}
