import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { ErrorCodes, StaydownError, THREAD_QUIET_MS, toStaydownError } from '@staydown/core';
import type { Entry } from './store.js';

/**
 * A large import's LMDB writes, on a thread of their own. Each write costs about 2 µs of
 * JavaScript in lmdb-js (encoding the key and the instruction) on top of LMDB's own work: at
 * 10 M entries that was 21 s on the importing thread, during which it could have been sorting
 * the next entries. The importing thread now sorts and hands batches over; this thread writes
 * each as one transaction (IndexStore.write, as before), so a batch is still committed whole
 * or not at all and a killed import still leaves whole batches only.
 *
 * A batch crosses as bytes (hashes) and numbers (list and field numbers into small tables),
 * not as entry objects, whose structured clone cost about as much as writing them.
 */

/** One transaction's entries, in key order, all of one signal. */
export interface WriteBatch {
  signal: string;
  count: number;
  /** Entry i's hash is `lengths[i]` bytes at hashes[i × stride]. */
  hashes: Uint8Array<ArrayBuffer>;
  lengths: Uint8Array<ArrayBuffer>;
  stride: number;
  /** Entry i's list is lists[listOf[i]]. */
  listOf: Uint32Array;
  lists: string[];
  /** Entry i's other fields are fields[fieldsOf[i]]. */
  fieldsOf: Uint32Array;
  fields: Array<[label: string | null, ref: string | null, addedAt: string, source: string | null]>;
}

export interface WriteResult {
  added: number;
  existing: number;
  generations: Array<[signal: string, before: number, after: number]>;
  /** Per entry, 1 when this write stored it. */
  stored: Uint8Array<ArrayBuffer>;
}

/** How long past its quiet time a closed writer thread may take to end before it is terminated. */
const END_GRACE_MS = 10_000;

type Request = { id: number; batch: WriteBatch } | { id: number; close: true };
type Reply = { id: number; result?: WriteResult; error?: unknown };

/** The entries a batch holds, in order. */
export function batchEntries(b: WriteBatch): Entry[] {
  const out = new Array<Entry>(b.count);
  const hex = Buffer.from(b.hashes.buffer, b.hashes.byteOffset, b.hashes.byteLength).toString('hex');
  for (let i = 0; i < b.count; i++) {
    const f = b.fields[b.fieldsOf[i]];
    out[i] = {
      signal: b.signal,
      hash: hex.substring(2 * i * b.stride, 2 * (i * b.stride + b.lengths[i])),
      list: b.lists[b.listOf[i]],
      label: f[0],
      ref: f[1],
      addedAt: f[2],
      source: f[3],
    };
  }
  return out;
}

/**
 * The importing thread's end: `write` posts a batch and resolves with what the writer did;
 * batches are written in the order posted. A writer that fails or dies rejects every batch
 * it had not answered.
 */
export class ImportWriter {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: WriteResult) => void; reject: (e: unknown) => void }>();
  private failure: StaydownError | undefined;
  /** Set to 1 to have the thread skip every batch it has not started (abort()). */
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private readonly exited: Promise<void>;
  private ended: Promise<void> | undefined;
  /**
   * The close request's answer, kept out of `waiting`: abort() fails the batches waiting, but
   * ending must still wait for the thread's store to close, never end it inside a batch.
   */
  private closeRequest: { id: number; answered: () => void } | undefined;

  constructor(
    dir: string,
    /** How long past its quiet time a closed thread may take to end before it is terminated. */
    private readonly endGraceMs = END_GRACE_MS,
  ) {
    try {
      this.worker = startThread(writerScript(), { dir, stop: this.stop }, threadOptions(process.execArgv));
    } catch (error) {
      throw new StaydownError(
        ErrorCodes.IMPORT_FAILED,
        `cannot start the import's writer thread: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.worker.on('message', (reply: Reply) => {
      if (reply.id === this.closeRequest?.id) {
        this.closeRequest.answered();
        return;
      }
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.error !== undefined) w.reject(toStaydownError(reply.error, ErrorCodes.IMPORT_FAILED));
      else w.resolve(reply.result as WriteResult);
    });
    const fail = (error: unknown) => {
      this.failure ??= toStaydownError(error, ErrorCodes.IMPORT_FAILED);
      for (const w of this.waiting.values()) w.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        fail(new StaydownError(ErrorCodes.IMPORT_FAILED, `the import's writer thread stopped (exit code ${code})`));
        resolve();
      });
    });
  }

  write(batch: WriteBatch): Promise<WriteResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<WriteResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, batch } satisfies Request, [batch.hashes.buffer, batch.lengths.buffer]);
    });
  }

  /**
   * Stops the writes: the batch being written is finished (the thread is never ended inside
   * a transaction, which could leave LMDB's write lock held), batches not yet started are
   * skipped, and every one unanswered fails with `reason`. Then the thread closes its store
   * and ends.
   */
  async abort(reason?: StaydownError): Promise<void> {
    this.failure ??= reason ?? new StaydownError(ErrorCodes.IMPORT_FAILED, 'the import was stopped');
    Atomics.store(this.stop, 0, 1);
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    await this.end();
  }

  /** Closes the writer's store after the batches handed over, and ends its thread. */
  async close(): Promise<void> {
    await this.end();
  }

  private end(): Promise<void> {
    this.ended ??= (async () => {
      const id = this.nextId++;
      const closed = new Promise<void>((answered) => {
        this.closeRequest = { id, answered };
      });
      this.worker.postMessage({ id, close: true } satisfies Request);
      // The thread answers once its store is closed (after the batch it is writing), or it is
      // gone already.
      await Promise.race([closed, this.exited]);
      // It then ends itself once idle. Ended from here, it could be inside an optimising
      // compile, which Node 20 turns into a process abort (THREAD_QUIET_MS in @staydown/core);
      // terminate() is only for a thread that has not ended well after that.
      const stopped = new AbortController();
      const gone = await Promise.race([
        this.exited.then(() => true),
        sleep(THREAD_QUIET_MS + this.endGraceMs, false, { signal: stopped.signal }).catch(() => true),
      ]);
      stopped.abort();
      if (!gone) await this.worker.terminate();
    })();
    return this.ended;
  }
}

/**
 * The thread's options. By default a worker inherits this process's; but --input-type (a
 * script given with -e) stops a worker that runs a file from starting. Named options turn
 * inheritance off, and then V8 and per-process ones (--max-old-space-size, --expose-gc…) are
 * refused: so they are named only to leave --input-type out, and startThread drops them all
 * when the rest is refused (the writer thread needs none).
 */
export function threadOptions(execArgv: readonly string[]): { execArgv?: string[] } {
  const at = execArgv.findIndex((a) => a === '--input-type' || a.startsWith('--input-type='));
  if (at < 0) return {};
  const rest = [...execArgv];
  rest.splice(at, execArgv[at] === '--input-type' ? 2 : 1);
  return { execArgv: rest };
}

function startThread(script: URL, workerData: WriterData, options: { execArgv?: string[] }): Worker {
  try {
    return new Worker(script, { workerData, ...options });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || !options.execArgv) throw error;
    return new Worker(script, { workerData, execArgv: [] });
  }
}

/** What the thread is started with. */
export interface WriterData {
  dir: string;
  stop: Int32Array;
}

/**
 * The writer thread's script: beside this module, built (dist/). Tests run this module from
 * src/ through vitest, which plain worker threads cannot load TypeScript from: they use the
 * build, which `npm test` makes first.
 */
function writerScript(): URL {
  const here = new URL('./import-writer-thread.js', import.meta.url);
  if (existsSync(here)) return here;
  const built = new URL('../dist/import-writer-thread.js', import.meta.url);
  if (existsSync(built)) return built;
  throw new StaydownError(
    ErrorCodes.INTERNAL,
    `the import writer's script is missing (${here.pathname}); build the package (npm run build)`,
  );
}

export type { Reply as WriterReply, Request as WriterRequest };
