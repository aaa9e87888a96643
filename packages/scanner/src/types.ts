import type { ErrorCode } from '@staydown/core';
import type { HashOptions, ImageHashes } from '@staydown/hashing';
import type { Match } from '@staydown/index';
import type { FaultInjection } from './options.js';

/** An error as it appears in a result: stable code, readable message, optional context. */
export interface ScanError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * One result per input, in completion order. `id` is the caller's id (or the path for files);
 * on failure `error` is set, `hashes` is absent and `matches` is empty.
 */
export interface ScanResult {
  id: string;
  /** Set when the input was a file. */
  path?: string;
  hashes?: ImageHashes;
  /** PDQ quality (0–100) when PDQ was computed. */
  quality?: number;
  /** Matches against the index, sorted by distance; empty without an index. */
  matches: Match[];
  /** Matches silenced by an allow-list, kept so a reviewer can see them. */
  suppressed: Match[];
  error?: ScanError;
}

/** An in-memory input. */
export interface ScanInput {
  id: string;
  bytes: Uint8Array;
}

/** Per-scan options. */
export interface ScanOptions {
  /** Cancels the scan: unfinished inputs come out as `ABORTED`, then the iteration throws `ABORTED`. */
  signal?: AbortSignal;
  /**
   * For in-memory inputs: move the caller's bytes to the worker instead of copying them. Each
   * whole buffer is taken over (detached) as its input is taken in, even if that input is later
   * cancelled; a view of part of a larger buffer is copied. Default false. Files read from disk
   * are always moved.
   */
  transfer?: boolean;
}

/**
 * What the main thread sends a worker: a batch of images, each as bytes whose buffer is
 * transferred or as a file path the worker reads itself.
 */
export interface WorkerTask {
  items: ({ key: number; bytes: Uint8Array } | { key: number; file: string | Uint8Array })[];
  /** Shared with the main thread: the worker writes Date.now() when it starts the task. */
  startedAt: Float64Array;
}

/** `size`: bytes the worker read, for a file it read itself (sizes later batches). */
export type WorkerOutcome = { key: number; hashes: ImageHashes; size?: number } | { key: number; error: ScanError };

/** Set once per pool through piscina's workerData. */
export interface WorkerConfig {
  hash: HashOptions;
  /** Files larger than this are refused before they are read. */
  maxFileBytes: number;
  /** Images in hand at once (ScannerOptions.imagesPerThread). */
  imagesPerThread: number;
  faultInjection?: FaultInjection;
}

/**
 * What a pool thread posts once it has loaded (piscina hands it to the pool's 'message'
 * event): the scanner ends threads only once they have loaded and then been idle a while.
 */
export const THREAD_LOADED = 'staydown:thread-loaded';

export interface ThreadLoaded {
  [THREAD_LOADED]: number;
}

export function isThreadLoaded(message: unknown): message is ThreadLoaded {
  return typeof message === 'object' && message !== null && THREAD_LOADED in message;
}
