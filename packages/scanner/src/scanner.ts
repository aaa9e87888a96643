import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, StaydownError, toStaydownError, untilThreadQuiet } from '@staydown/core';
import { Piscina } from 'piscina';
import type { BatchSearcher } from './matcher.js';
import { type ResolvedScannerOptions, resolveScannerOptions, type ScannerOptions } from './options.js';
import { closedError, ScanRun } from './pipeline.js';
import { fromInputs, type SourceItem, walkPaths } from './sources.js';
import { replaceLostThreads, THREAD_CHECK_MS } from './thread-keeper.js';
import {
  isThreadLoaded,
  type ScanInput,
  type ScanOptions,
  type ScanResult,
  THREAD_LOADED,
  type WorkerConfig,
  type WorkerOutcome,
  type WorkerTask,
} from './types.js';

/** How long close() waits for threads still loading before it ends them anyway. */
const LOAD_WAIT_MS = 30_000;

export interface CreateScannerOptions extends ScannerOptions {
  /** Matches every hashed image against this index (in batches, on this thread). Omit to only hash. */
  index?: BatchSearcher;
}

/**
 * A pool of hashing threads shared by every scan made with it. Scans run concurrently; each
 * bounds its own memory. Close it when done (or `await using`).
 */
export class Scanner {
  readonly options: ResolvedScannerOptions;
  readonly #pool: Piscina<WorkerTask, WorkerOutcome[]>;
  readonly #index: BatchSearcher | undefined;
  /** Scans being iterated, so `close()` can end them. */
  readonly #runs = new Set<ScanRun>();
  #closed = false;
  /** When a thread last worked (loaded, or ended a task): close() ends them only once quiet. */
  #lastBusyAt = performance.now();
  /** The threads (by threadId) that have loaded. */
  readonly #loaded = new Set<number>();
  #closing: Promise<void> | undefined;
  #failure: StaydownError | undefined;
  readonly #threadCheck: NodeJS.Timeout;

  constructor(options: CreateScannerOptions = {}) {
    this.options = resolveScannerOptions(options);
    this.#index = options.index;
    const workerData: WorkerConfig = {
      hash: this.options.hash,
      maxFileBytes: this.options.maxFileBytes,
      imagesPerThread: this.options.imagesPerThread,
      faultInjection: this.options.faultInjection,
    };
    this.#pool = new Piscina<WorkerTask, WorkerOutcome[]>({
      // Resolved next to this module in dist/, so the pool works wherever the package is installed.
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: this.options.threads,
      maxThreads: this.options.threads,
      // Threads stay warm between scans (sharp and libvips take a while to load).
      idleTimeout: this.options.idleTimeoutMs,
      concurrentTasksPerWorker: 1,
      workerData,
    });
    // piscina emits here what belongs to no task. Unheard, the event would throw and take the
    // host process down.
    this.#pool.on('error', (error: unknown) => this.#onPoolError(error));
    this.#pool.on('message', (message: unknown) => {
      if (!isThreadLoaded(message)) return;
      this.#loaded.add(message[THREAD_LOADED]);
      this.#lastBusyAt = performance.now();
    });
    this.#threadCheck = setInterval(() => {
      if (!this.#closed) replaceLostThreads(this.#pool, this.options.threads);
    }, THREAD_CHECK_MS);
    this.#threadCheck.unref();
  }

  /**
   * A thread failed outside any task. In practice that is a thread that cannot start (a native
   * library that will not load): piscina then stops replacing threads and queued work would
   * wait forever. So the scanner fails: scans under way end with SCANNER_FAILED (inputs taken
   * in come out with it), later scans are refused with it, and the pool is closed.
   */
  #onPoolError(error: unknown): void {
    const message = (error as Error)?.message ?? String(error);
    // A result that arrived from a thread after its task had been cancelled: already reported.
    if (message.startsWith('Unexpected message from Worker')) return;
    if (this.#failure) return;
    this.#failure = new StaydownError(
      ErrorCodes.SCANNER_FAILED,
      `the scanner's threads failed outside any task (${message}); create a new scanner once the cause is fixed`,
      { cause: error },
    );
    for (const run of this.#runs) run.halt(this.#failure);
    this.close().catch(() => {}); // the failure is what callers see
  }

  get threads(): number {
    return this.options.threads;
  }

  /** Files and folders (walked recursively). Each result's `id` and `path` are the file path. */
  scanPaths(paths: string | Iterable<string>, options: ScanOptions = {}): AsyncGenerator<ScanResult> {
    const list = typeof paths === 'string' ? [paths] : paths;
    return this.#run(walkPaths(list, this.options.maxFileBytes), options);
  }

  /** Buffers; each result's `id` is the buffer's position ("0", "1", …). */
  scanBuffers(
    buffers: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    options: ScanOptions = {},
  ): AsyncGenerator<ScanResult> {
    async function* numbered(): AsyncGenerator<ScanInput> {
      let i = 0;
      for await (const bytes of buffers) yield { id: String(i++), bytes };
    }
    return this.scan(numbered(), options);
  }

  /** `{id, bytes}` inputs from any (async) iterable, e.g. a crawler's stream. */
  scan(inputs: Iterable<ScanInput> | AsyncIterable<ScanInput>, options: ScanOptions = {}): AsyncGenerator<ScanResult> {
    return this.#run(fromInputs(inputs, options.transfer ?? false), options);
  }

  #run(source: AsyncIterable<SourceItem>, options: ScanOptions): AsyncGenerator<ScanResult> {
    this.#assertOpen();
    const runs = {
      add: (run: ScanRun) => {
        this.#assertOpen(); // a scan made before the close, first pulled after it
        this.#runs.add(run);
      },
      delete: (run: ScanRun) => this.#runs.delete(run),
    };
    const run = new ScanRun(
      {
        pool: this.#pool,
        options: this.options,
        index: this.#index,
        runs,
        taskEnded: () => {
          this.#lastBusyAt = performance.now();
        },
      },
      source,
      options.signal,
    );
    return run.results();
  }

  #assertOpen(): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed) {
      throw new StaydownError(ErrorCodes.SCANNER_CLOSED, 'the scanner is closed; create a new one to scan again');
    }
  }

  /**
   * Ends the scanner. Scans under way read no further input: tasks already on a thread finish
   * (or are ended by their task timeout), their results still come out, every other input
   * taken in comes out `SCANNER_CLOSED`, and then each scan throws `SCANNER_CLOSED`. Resolves
   * once the threads are gone; calling it again returns the same promise.
   *
   * It waits for the scans' tasks itself before closing the pool: piscina's own close counts a
   * thread ended mid-close (a task's timeout) as never done and gives up after 30 s.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#threadCheck);
    for (const run of this.#runs) run.halt(closedError());
    await Promise.all([...this.#runs].map((run) => run.settled()));
    // Threads are ended idle, never hot (THREAD_QUIET_MS in @staydown/core): loaded first
    // (loading compiles a lot; a thread that cannot load exits and leaves the pool), then quiet.
    for (const until = performance.now() + LOAD_WAIT_MS; performance.now() < until; ) {
      if (this.#pool.threads.every((t) => this.#loaded.has(t.threadId))) break;
      await sleep(10);
    }
    await untilThreadQuiet(this.#lastBusyAt);
    try {
      await this.#pool.close();
    } catch (error) {
      throw toStaydownError(error, ErrorCodes.INTERNAL);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export function createScanner(options: CreateScannerOptions = {}): Scanner {
  return new Scanner(options);
}
