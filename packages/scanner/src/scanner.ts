import { ErrorCodes, StaydownError } from '@staydown/core';
import { Piscina } from 'piscina';
import type { BatchSearcher } from './matcher.js';
import { type ResolvedScannerOptions, resolveScannerOptions, type ScannerOptions } from './options.js';
import { ScanRun } from './pipeline.js';
import { fromInputs, type SourceItem, walkPaths } from './sources.js';
import type { ScanInput, ScanOptions, ScanResult, WorkerConfig, WorkerOutcome, WorkerTask } from './types.js';

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
  #closed = false;

  constructor(options: CreateScannerOptions = {}) {
    this.options = resolveScannerOptions(options);
    this.#index = options.index;
    const workerData: WorkerConfig = {
      hash: this.options.hash,
      maxFileBytes: this.options.maxFileBytes,
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
    if (this.#closed) {
      throw new StaydownError(ErrorCodes.SCANNER_CLOSED, 'the scanner is closed; create a new one to scan again');
    }
    const run = new ScanRun({ pool: this.#pool, options: this.options, index: this.#index }, source, options.signal);
    return run.results();
  }

  /** Waits for running tasks and ends the threads. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export function createScanner(options: CreateScannerOptions = {}): Scanner {
  return new Scanner(options);
}
