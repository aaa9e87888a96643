import { ErrorCodes, StaydownError, toStaydownError } from '@staydown/core';
import type { ImageHashes } from '@staydown/hashing';
import type { MatchResult } from '@staydown/index';
import type { Piscina } from 'piscina';
import { type BatchSearcher, matchBatch } from './matcher.js';
import { Notifier } from './notifier.js';
import type { ResolvedScannerOptions } from './options.js';
import type { Payload, SourceItem } from './sources.js';
import type { ScanError, ScanResult, WorkerOutcome, WorkerTask } from './types.js';

export interface PipelineDeps {
  pool: Piscina<WorkerTask, WorkerOutcome[]>;
  options: ResolvedScannerOptions;
  index?: BatchSearcher;
  /** The scanner's running scans, so closing it can end them. */
  runs: RunRegistry;
  /** Told when a pool task ends, however it ended (the threads' last busy time). */
  taskEnded(): void;
}

export interface RunRegistry {
  /** Throws SCANNER_CLOSED (or the scanner's failure) once the scanner can take no more scans. */
  add(run: ScanRun): void;
  delete(run: ScanRun): void;
}

interface Loaded {
  item: SourceItem;
  payload: Payload;
}

interface Hashed {
  item: SourceItem;
  hashes?: ImageHashes;
  error?: ScanError;
}

function abortedError(): StaydownError {
  return new StaydownError(ErrorCodes.ABORTED, 'the scan was cancelled');
}

export function closedError(): StaydownError {
  return new StaydownError(ErrorCodes.SCANNER_CLOSED, 'the scanner was closed before this input was hashed');
}

/**
 * One scan: a feeder reads inputs into batches and submits them to the pool while there is
 * room (tasks in flight and unread results both bounded), and the consumer's pulls match what
 * came back and hand it out. Every input the feeder took from the source comes out exactly
 * once, as a result or an error result, whatever happens to the worker that held it.
 */
export class ScanRun {
  readonly #deps: PipelineDeps;
  readonly #source: AsyncIterable<SourceItem>;
  readonly #signal: AbortSignal | undefined;
  readonly #changed = new Notifier();
  /**
   * One controller per pool task in flight: cancelling aborts each (no long-lived parent
   * signal collecting a listener per task over a million-file scan).
   */
  readonly #taskControllers = new Map<AbortController, WorkerTask>();
  /** Set on cancel or when the consumer stops pulling: tasks in flight are cancelled too. */
  #cancelled = false;
  /**
   * Why no further input is hashed: ABORTED (the caller's signal) or SCANNER_CLOSED. Every
   * input already taken from the source still comes out once, with this error if not hashed,
   * and then the scan throws it.
   */
  #halt: StaydownError | undefined;
  #iterator: AsyncIterator<SourceItem> | undefined;
  #batch: Loaded[] = [];
  #batchBytes = 0;
  /** Hashed or failed, waiting to be matched. */
  #hashed: Hashed[] = [];
  #ready: ScanResult[] = [];
  /** Pool tasks queued or running. */
  #tasks = 0;
  /** Work that will still produce results: pool tasks plus loads under way. */
  #outstanding = 0;
  /**
   * Average size of the files read so far (a moving average), standing in for the size of a
   * walked file the main thread did not stat. Starts at 128 KiB.
   */
  #fileBytesEstimate = 128 * 1024;
  #feederDone = false;
  #feederError: StaydownError | undefined;
  #stopped = false;

  constructor(deps: PipelineDeps, source: AsyncIterable<SourceItem>, signal?: AbortSignal) {
    this.#deps = deps;
    this.#source = source;
    this.#signal = signal;
  }

  async *results(): AsyncGenerator<ScanResult> {
    if (this.#signal?.aborted) throw abortedError();
    this.#deps.runs.add(this);
    const onAbort = () => this.#abort();
    this.#signal?.addEventListener('abort', onAbort, { once: true });
    void this.#feed();
    try {
      for (;;) {
        this.#matchHashed();
        const next = this.#ready.shift();
        if (next) {
          this.#changed.notify();
          yield next;
          continue;
        }
        if (this.#finished()) break;
        await this.#changed.wait();
      }
      if (this.#halt) throw this.#halt;
      if (this.#feederError) throw this.#feederError;
    } finally {
      this.#signal?.removeEventListener('abort', onAbort);
      this.#stop();
      // Its cancelled tasks may still be leaving the pool; closing the scanner waits for them.
      void this.settled().then(() => this.#deps.runs.delete(this));
    }
  }

  get #capacity(): number {
    return this.#deps.options.threads * this.#deps.options.tasksPerThread;
  }

  #hasRoom(): boolean {
    return (
      this.#tasks < this.#capacity && this.#hashed.length + this.#ready.length < this.#deps.options.maxBufferedResults
    );
  }

  /**
   * Waits for the feeder even after a cancel: an input the source hands over while the cancel
   * lands must still come out (with the cancel's error), not vanish.
   */
  #finished(): boolean {
    return (
      this.#feederDone &&
      this.#outstanding === 0 &&
      this.#batch.length === 0 &&
      this.#hashed.length === 0 &&
      this.#ready.length === 0
    );
  }

  async #feed(): Promise<void> {
    try {
      this.#iterator = this.#source[Symbol.asyncIterator]();
      for (;;) {
        while (!this.#stopped && !this.#hasRoom()) await this.#changed.wait();
        if (this.#stopped) return;
        this.#flushIfIdle();
        const next = await this.#iterator.next();
        if (next.done) return;
        if (this.#halt) {
          // Taken from the source as the cancel or close came: it still comes out, once.
          this.#refuse([next.value]);
          return;
        }
        if (this.#stopped) return;
        await this.#admit(next.value);
      }
    } catch (error) {
      this.#feederError = toStaydownError(error, ErrorCodes.READ_FAILED);
    } finally {
      this.#flush();
      this.#feederDone = true;
      this.#changed.notify();
    }
  }

  async #admit(item: SourceItem): Promise<void> {
    let payload: Payload;
    this.#outstanding++;
    try {
      payload = await item.load();
    } catch (error) {
      this.#hashed.push({ item, error: toStaydownError(error, ErrorCodes.READ_FAILED).toJSON() });
      return;
    } finally {
      this.#outstanding--;
      this.#changed.notify();
    }
    if (this.#halt) {
      this.#refuse([item]);
      return;
    }
    const { batchMaxBytes, batchMaxItems } = this.#deps.options;
    const size = payload.size ?? this.#fileBytesEstimate;
    if (size >= batchMaxBytes) {
      this.#submit([{ item, payload }]);
      return;
    }
    this.#batch.push({ item, payload });
    this.#batchBytes += size;
    if (this.#batch.length >= batchMaxItems || this.#batchBytes >= batchMaxBytes) this.#flush();
  }

  /** A part-filled batch is sent at once when a thread would otherwise sit idle waiting for it. */
  #flushIfIdle(): void {
    if (this.#batch.length > 0 && this.#tasks < this.#deps.options.threads) this.#flush();
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    if (batch.length === 0) return;
    this.#submit(batch);
  }

  /** Reports inputs that will not be hashed because the scan was cancelled or the scanner closed. */
  #refuse(items: SourceItem[]): void {
    const halt = this.#halt ?? abortedError();
    for (const item of items) this.#hashed.push({ item, error: halt.toJSON() });
    this.#changed.notify();
  }

  #submit(batch: Loaded[]): void {
    if (this.#halt || this.#cancelled) {
      this.#refuse(batch.map(({ item }) => item));
      return;
    }
    this.#tasks++;
    this.#outstanding++;
    const task: WorkerTask = {
      items: batch.map(({ payload }, key) =>
        'file' in payload ? { key, file: payload.file } : { key, bytes: payload.bytes },
      ),
      startedAt: new Float64Array(new SharedArrayBuffer(8)),
    };
    // Each input's bytes own an ArrayBuffer only the scan holds (see sources.ts), so moving them
    // copies nothing; files are read by the worker and only their paths are sent.
    const transferList: ArrayBuffer[] = [];
    for (const { payload } of batch) if ('bytes' in payload) transferList.push(payload.bytes.buffer as ArrayBuffer);
    // Aborting a running task makes piscina end its thread and start a fresh one.
    const taskAbort = new AbortController();
    this.#taskControllers.set(taskAbort, task);
    let timedOut = false;
    const clearTimer = this.#watchRunTime(task, () => {
      timedOut = true;
      taskAbort.abort();
    });
    this.#deps.pool
      .run(task, { transferList, signal: taskAbort.signal })
      .then(
        (outcomes) => this.#onOutcomes(batch, outcomes),
        (error) => {
          const started = task.startedAt[0] !== 0;
          // Cancelled here (by the consumer, a cancel or a close), not by a crash or the watchdog.
          const cancelled = taskAbort.signal.aborted && !timedOut;
          this.#onTaskFailed(batch, error, timedOut, started, cancelled);
        },
      )
      .finally(() => {
        clearTimer();
        this.#deps.taskEnded();
        this.#taskControllers.delete(taskAbort);
        this.#tasks--;
        this.#outstanding--;
        this.#flushIfIdle();
        this.#changed.notify();
      });
  }

  /**
   * Calls `onExpired` once the task has run `taskTimeoutMs` on a thread. The worker stamps its
   * start time in shared memory; until then the task is only queued and the clock waits.
   */
  #watchRunTime(task: WorkerTask, onExpired: () => void): () => void {
    const limit = this.#deps.options.taskTimeoutMs;
    let timer: NodeJS.Timeout;
    const check = () => {
      const startedAt = task.startedAt[0];
      const remaining = startedAt === 0 ? limit : startedAt + limit - Date.now();
      if (remaining > 0) timer = setTimeout(check, remaining);
      else onExpired();
    };
    timer = setTimeout(check, limit);
    return () => clearTimeout(timer);
  }

  #onOutcomes(batch: Loaded[], outcomes: WorkerOutcome[]): void {
    const seen = new Set<number>();
    for (const outcome of outcomes) {
      const loaded = batch[outcome.key];
      if (!loaded || seen.has(outcome.key)) continue;
      seen.add(outcome.key);
      if ('size' in outcome && outcome.size !== undefined) {
        this.#fileBytesEstimate += (outcome.size - this.#fileBytesEstimate) / 16;
      }
      this.#hashed.push(
        'error' in outcome
          ? { item: loaded.item, error: outcome.error }
          : { item: loaded.item, hashes: outcome.hashes },
      );
    }
    batch.forEach(({ item }, key) => {
      if (!seen.has(key)) {
        this.#hashed.push({
          item,
          error: { code: ErrorCodes.INTERNAL, message: 'the worker returned no result for this input' },
        });
      }
    });
  }

  #onTaskFailed(batch: Loaded[], error: unknown, timedOut: boolean, started: boolean, cancelled: boolean): void {
    // Cancelled by us, or still queued when the pool ended its threads: not a crash.
    if (this.#cancelled || (this.#halt && (cancelled || !started))) {
      this.#refuse(batch.map(({ item }) => item));
      return;
    }
    // The worker died or was ended for taking too long (piscina replaces it). Batch-mates that
    // can be read again are retried one by one, so only the input that fails alone is reported.
    const reason = (error as Error)?.message ?? String(error);
    for (const { item } of batch) {
      if (batch.length > 1 && item.reloadable) this.#retryAlone(item);
      else {
        const failure = timedOut ? this.#timeoutError(batch.length) : crashedError(reason, batch.length);
        this.#hashed.push({ item, error: failure });
      }
    }
  }

  #timeoutError(batchSize: number): ScanError {
    const limitMs = this.#deps.options.taskTimeoutMs;
    return {
      code: ErrorCodes.WORKER_TIMEOUT,
      message: `hashing this input took longer than ${limitMs} ms; its thread was ended and replaced and the scan went on`,
      details: { limitMs, batchSize },
    };
  }

  #retryAlone(item: SourceItem): void {
    this.#outstanding++;
    item
      .load()
      .then(
        (payload) => this.#submit([{ item, payload }]),
        (error) => this.#hashed.push({ item, error: toStaydownError(error, ErrorCodes.READ_FAILED).toJSON() }),
      )
      .finally(() => {
        this.#outstanding--;
        this.#changed.notify();
      });
  }

  #matchHashed(): void {
    if (this.#hashed.length === 0) return;
    const done = this.#hashed.splice(0);
    const good = done.filter((h) => h.hashes !== undefined);
    let matched: MatchResult[] | undefined;
    let matchError: ScanError | undefined;
    if (this.#deps.index && good.length > 0) {
      try {
        matched = matchBatch(
          this.#deps.index,
          good.map((h) => h.hashes as ImageHashes),
          { lists: this.#deps.options.lists },
        );
      } catch (error) {
        matchError = toStaydownError(error).toJSON();
      }
    }
    let j = 0;
    for (const h of done) {
      const result: ScanResult = { id: h.item.id, matches: [], suppressed: [] };
      if (h.item.path !== undefined) result.path = h.item.path;
      if (h.hashes) {
        result.hashes = h.hashes;
        if (h.hashes.quality !== undefined) result.quality = h.hashes.quality;
        const found = matched?.[j++];
        if (found) {
          result.matches = found.matches;
          result.suppressed = found.suppressed;
        }
        if (matchError) result.error = matchError;
      } else {
        result.error = h.error;
      }
      this.#ready.push(result);
    }
  }

  #abort(): void {
    if (this.#halt) return;
    this.#halt = abortedError();
    this.#stopped = true;
    this.#flush();
    this.#cancelTasks();
    this.#changed.notify();
  }

  /**
   * The scanner is closing (SCANNER_CLOSED) or has failed (SCANNER_FAILED): read no further
   * input and start no further task. Tasks already running finish (their results still come
   * out); the rest come out with `reason`, and then the scan throws it.
   */
  halt(reason: StaydownError): void {
    if (this.#halt) return;
    this.#halt = reason;
    this.#stopped = true;
    this.#flush();
    for (const [controller, task] of this.#taskControllers) if (task.startedAt[0] === 0) controller.abort();
    this.#changed.notify();
  }

  /** Resolves once none of this scan's work is in the pool or loading (a retry's reload included). */
  async settled(): Promise<void> {
    while (this.#outstanding > 0) await this.#changed.wait();
  }

  #cancelTasks(): void {
    this.#cancelled = true;
    for (const controller of this.#taskControllers.keys()) controller.abort();
  }

  /** The consumer is gone: stop reading, cancel this scan's tasks, release the source. */
  #stop(): void {
    this.#stopped = true;
    this.#cancelTasks();
    this.#changed.notify();
    this.#iterator?.return?.().catch(() => {});
  }
}

function crashedError(reason: string, batchSize: number): ScanError {
  return {
    code: ErrorCodes.WORKER_CRASHED,
    message: `the worker thread hashing this input died (${reason}); it was replaced and the scan went on`,
    details: { reason, batchSize },
  };
}
