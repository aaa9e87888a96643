import { statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  BUILTIN_SIGNALS,
  ErrorCodes,
  getSignal,
  type SignalType,
  StaydownError,
  toStaydownError,
} from '@staydown/core';
import { EntryFacts } from './entry-facts.js';
import {
  formatFromPath,
  type ListFormat,
  openFile,
  type PlainBatch,
  type RawError,
  type RawRow,
  readPlainBatches,
  readRowBatches,
} from './formats.js';
import { RECORD_BYTES } from './hamming-table.js';
import { type HashIndex, normalizeEntry, type PreparedImport } from './hash-index.js';
import { type EntryFields, ImportSorter } from './import-sorter.js';
import { ImportWriter, type WriteBatch, type WriteResult } from './import-writer.js';
import { type Entry, validateListName } from './store.js';

export interface ImportOptions {
  /** Default: from the file extension. */
  format?: ListFormat;
  /** Signal of rows that do not name one (text files, bare HMA lines). Default `pdq`. */
  signal?: string;
  /** Puts every row in this list. Default: the row's own list, else the file's base name. */
  list?: string;
  /** Reject the whole file, writing nothing, when any line is bad. Default false. */
  strict?: boolean;
  /**
   * Entries per transaction: each batch is committed whole or not at all (what a crash
   * leaves). Batches are written in key order, so each touches only its own key range; larger
   * ones mean fewer durable commits. 100 000 entries hold about 25 MB while they wait.
   */
  batchSize?: number;
  /**
   * Entries sorted in memory. A larger import is distributed by the hash's first byte into
   * temporary files in the index folder (removed at the end), each then sorted alone: entries
   * are written in key order either way, which keeps the write rate flat as the index grows.
   * 500 000 entries of a text list hold about 25 MB (each partition's buffer grows alone).
   */
  memoryEntries?: number;
  /**
   * Called every `memoryEntries` entries and at the end of reading (phase `read`), and after
   * every committed batch (phase `write`).
   */
  onProgress?: (progress: ImportProgress) => void;
  /** Called once at the end with where the time went (benchmarks, diagnostics). */
  onTimings?: (timings: ImportTimings) => void;
  /** Bad lines kept in the report (all are counted). */
  maxErrorsKept?: number;
}

type Defaulted = 'signal' | 'strict' | 'batchSize' | 'memoryEntries' | 'maxErrorsKept';
export const IMPORT_DEFAULTS: Required<Pick<ImportOptions, Defaulted>> = {
  signal: 'pdq',
  strict: false,
  batchSize: 100_000,
  memoryEntries: 500_000,
  maxErrorsKept: 1000,
};

export interface ImportProgress {
  /** `read`: parsing and sorting the file; `write`: committing it in key order. */
  phase: 'read' | 'write';
  bytesRead: number;
  totalBytes: number;
  lines: number;
  /** Good entries read so far (all of them once reading is done). */
  entries: number;
  /** Entries gone through a committed write transaction (added or already present). */
  written: number;
  added: number;
}

/** Seconds of one import by phase; parsing and validation is the rest of `total`. */
export interface ImportTimings {
  total: number;
  /**
   * Sorting, reading back partitions when the import did not fit in memory, and handing
   * batches to the writer thread.
   */
  sort: number;
  /**
   * In LMDB write transactions (puts, counts, commit); for an import written on its own
   * thread, the time spent waiting for that thread (its writes overlap the sort).
   */
  write: number;
  /** Building the search tables and writing their snapshot. */
  tables: number;
}

export interface LineError {
  line: number;
  code: string;
  message: string;
}

export interface ImportReport {
  file: string;
  format: ListFormat;
  /** Rows read (blank and comment lines excluded). */
  rows: number;
  added: number;
  /** Rows whose hash+list pair was already in the index (imports are idempotent). */
  existing: number;
  rejected: number;
  errors: LineError[];
}

/**
 * Imports a list file: reads and validates it whole (sorting it with bounded memory), then writes
 * it in key order in batched transactions. A bad line is reported with its number and
 * skipped; with `strict` nothing is written unless every line is good. A crash mid-import
 * leaves whole batches only; rerunning it adds the rest.
 */
export async function importFile(index: HashIndex, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  // Before anything is read or spilled into the index folder: a large import writes through a
  // store of its own thread, which would not refuse.
  index.assertWritable();
  const format = options.format ?? formatFromPath(file);
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch (error) {
    throw new StaydownError(ErrorCodes.READ_FAILED, `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
      details: { file },
    });
  }
  const settings = { ...IMPORT_DEFAULTS, ...definedOnly(options) };
  if (!Number.isSafeInteger(settings.batchSize) || settings.batchSize < 1) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `batchSize must be a positive integer, got ${settings.batchSize}`,
    );
  }
  if (!Number.isSafeInteger(settings.memoryEntries) || settings.memoryEntries < 1) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `memoryEntries must be a positive integer, got ${settings.memoryEntries}`,
    );
  }
  const fallbackList = options.list ?? path.basename(file, path.extname(file));
  const source = path.basename(file);
  const started = performance.now();
  const timings: ImportTimings = { total: 0, sort: 0, write: 0, tables: 0 };
  const sorter = new ImportSorter(index.dir, settings.memoryEntries);
  let report: ImportReport;
  try {
    const read = await readAll(sorter, file, format, fallbackList, source, settings, totalBytes);
    report = read.report;
    // Strict: the whole file was read before anything is written, so a bad line anywhere
    // leaves the index as it was.
    if (settings.strict && report.rejected > 0) {
      const first = report.errors[0];
      throw new StaydownError(
        ErrorCodes.IMPORT_INVALID_LINE,
        `${report.rejected} bad line(s) in ${source}, nothing imported; first: line ${first.line}: ${first.message}`,
        { details: { file, rejected: report.rejected, errors: report.errors } },
      );
    }
    const imported = new Map<string, ImportedHashes>();
    const writes = await writeSorted(
      index,
      sorter,
      read.entries,
      report,
      source,
      settings,
      totalBytes,
      imported,
      timings,
    );
    // The search tables become the ones the import started from plus the imported hashes,
    // built while the last writes finish on the writer thread; a signal whose starting tables
    // are not at hand, or that another writer touched meanwhile, is rebuilt from the store by
    // refresh().
    let tablesFrom = performance.now();
    const prepared = new Map<string, PreparedImport>();
    try {
      for (const [signal, h] of imported) {
        const p = index.prepareImport(signal, h.start, h.records, h.count);
        if (p) prepared.set(signal, p);
      }
    } catch (error) {
      // What was handed over is still written (and reported) before the error goes up.
      await writes.finish().catch(() => {});
      throw error;
    }
    timings.tables += (performance.now() - tablesFrom) / 1000;
    await writes.finish();
    tablesFrom = performance.now();
    for (const [signal, h] of imported) {
      const p = prepared.get(signal);
      if (p && h.from === h.start && !h.interleaved) {
        index.finishImport(signal, p, h.to, { facts: h.facts, stored: h.stored });
      }
    }
    prepared.clear();
    imported.clear();
    index.refresh();
    timings.tables += (performance.now() - tablesFrom) / 1000;
  } finally {
    sorter.dispose();
  }
  timings.total = (performance.now() - started) / 1000;
  settings.onTimings?.(timings);
  return report;
}

/** The hashes one import wrote for a perceptual signal, as 32-byte records, and its generations. */
interface ImportedHashes {
  records: Uint8Array;
  /** `records` as words: a record is copied in 8 moves. */
  words: Uint32Array;
  count: number;
  /** Per record: the facts of its entry, and 1 when this import stored that entry. */
  facts: EntryFacts;
  stored: Uint8Array;
  /** The signal's generation when the import's first batch of it was handed over. */
  start: number;
  /** Generation before the first batch that changed the signal, and after the last. */
  from: number | undefined;
  to: number;
  /** Some batch did not start where the previous one ended: another writer came between. */
  interleaved: boolean;
}

const RECORD_WORDS = RECORD_BYTES / 4;

/** Records for `capacity` hashes (the import's count for the signal: no regrowing, no copies). */
function importedHashes(capacity: number, start: number): ImportedHashes {
  const records = new Uint8Array(Math.max(1, capacity) * RECORD_BYTES);
  return {
    records,
    words: new Uint32Array(records.buffer),
    count: 0,
    facts: new EntryFacts(capacity),
    stored: new Uint8Array(Math.max(1, capacity)),
    start,
    from: undefined,
    to: 0,
    interleaved: false,
  };
}

/** Appends `count` records (words of `from`) to the signal's; returns where the first went. */
function appendRecords(h: ImportedHashes, from: Uint32Array, count: number): number {
  if (h.count + count > h.stored.length) {
    // Only when the sorter's count was short (it is exact): facts grow by themselves.
    const capacity = Math.max(h.count * 2, h.count + count);
    const records = new Uint8Array(capacity * RECORD_BYTES);
    records.set(h.records);
    const stored = new Uint8Array(capacity);
    stored.set(h.stored);
    h.records = records;
    h.words = new Uint32Array(records.buffer);
    h.stored = stored;
  }
  const first = h.count;
  h.words.set(from.subarray(0, count * RECORD_WORDS), first * RECORD_WORDS);
  h.count += count;
  return first;
}

type Settings = ImportOptions & Required<Pick<ImportOptions, Defaulted>>;

function stopped(error: unknown, source: string, file: string, added: number, atLeast = false): StaydownError {
  const e = toStaydownError(error, ErrorCodes.IMPORT_FAILED);
  return new StaydownError(
    e.code === ErrorCodes.INTERNAL ? ErrorCodes.IMPORT_FAILED : e.code,
    `import of ${source} stopped after ${atLeast ? 'at least ' : ''}${added} added entries: ${e.message}`,
    // What the cause says of itself (a line, a column) is kept beside the file.
    { cause: error, details: { ...e.details, file, added } },
  );
}

/** Reads and validates the whole file into the sorter. */
async function readAll(
  sorter: ImportSorter,
  file: string,
  format: ListFormat,
  fallbackList: string,
  source: string,
  settings: Settings,
  totalBytes: number,
): Promise<{ report: ImportReport; entries: number }> {
  const report: ImportReport = { file, format, rows: 0, added: 0, existing: 0, rejected: 0, errors: [] };
  const input = openFile(file) as ReturnType<typeof openFile> & { bytesRead?: number };
  const now = new Date().toISOString();
  let entries = 0;
  const progress = () =>
    settings.onProgress?.({
      phase: 'read',
      bytesRead: input.bytesRead ?? 0,
      totalBytes,
      lines: report.rows,
      entries,
      written: 0,
      added: 0,
    });
  const reject = (line: number, error: StaydownError) => {
    report.rejected++;
    if (report.errors.length < settings.maxErrorsKept) {
      report.errors.push({ line, code: error.code, message: error.message });
    }
  };
  try {
    const plain = plainRowDefaults(settings, fallbackList, source);
    // Lines that are just a hash of the default signal come as bytes (formats.ts).
    const hashBytes = plain && (format === 'text' || format === 'hma') ? plainHashBytes(plain.type) : 0;
    const fast = plain &&
      hashBytes > 0 && {
        signal: plain.type.name,
        fields: { list: plain.list, label: null, ref: null, addedAt: now, source: plain.source } satisfies EntryFields,
      };
    const batches = fast ? readPlainBatches(input, format as 'text' | 'hma', hashBytes) : rowsOnly(input, format);
    for await (const { rows, hashes } of batches) {
      for (const row of rows) {
        if (typeof row === 'number') {
          // What toEntry makes of such a line, with no string made for it.
          if (!fast) continue;
          report.rows++;
          if (settings.strict && report.rejected > 0) continue;
          sorter.addHash(fast.signal, hashes, row * hashBytes, hashBytes, fast.fields);
          entries++;
          if (entries % settings.memoryEntries === 0) progress();
          continue;
        }
        if ('error' in row) {
          reject(row.line, (row as RawError).error);
          continue;
        }
        report.rows++;
        const entry = toEntry(row, settings, fallbackList, source, now, plain);
        if (entry instanceof StaydownError) {
          reject(row.line, entry);
          continue;
        }
        // A strict import that already failed only goes on to count and report bad lines.
        if (settings.strict && report.rejected > 0) continue;
        try {
          sorter.add(entry);
        } catch (error) {
          // A registered signal whose hashes are not lowercase hex of whole bytes.
          reject(row.line, toStaydownError(error, ErrorCodes.IMPORT_INVALID_LINE));
          continue;
        }
        entries++;
        if (entries % settings.memoryEntries === 0) progress();
      }
      if (settings.strict && report.rejected > 0) sorter.discard();
    }
    progress();
    return { report, entries };
  } catch (error) {
    throw stopped(error, source, file, 0);
  } finally {
    input.destroy();
  }
}

/**
 * Batches of an exact-digest signal handed to the writer thread and not yet answered. A
 * perceptual signal's batches are all handed over at once (about 40 bytes an entry while
 * they wait, a third of what its search tables take) so the tables can be built meanwhile.
 */
const EXACT_WRITES_IN_FLIGHT = 8;

const perceptual = (signal: string) => getSignal(signal).kind === 'perceptual';

/** One batch on its way: where its records went, and its lists and fields for their facts. */
interface PendingBatch {
  batch: WriteBatch;
  /** The signal's records for this batch start here (undefined: not a perceptual signal). */
  first: number | undefined;
  result: Promise<WriteResult>;
  done: boolean;
}

/**
 * Writes the entries in key order, `batchSize` entries per transaction (and a new one for
 * each signal), and puts the imported hashes in `imported` as they are handed over.
 *
 * An import that did not fit in memory writes on a thread of its own (import-writer.ts):
 * this one sorts on and hands over every batch, then builds the search tables while the
 * writes finish. A perceptual signal's batches waiting meanwhile hold about 40 bytes an entry
 * (the hash and two numbers), a third of the search tables they are for; an exact digest's,
 * which has none, wait at most EXACT_WRITES_IN_FLIGHT at a time. A smaller import writes here.
 * Resolves once every batch is handed over; `finish` then waits for their writes and takes in
 * what they did (added counts, generations, and which entries each stored).
 */
async function writeSorted(
  index: HashIndex,
  sorter: ImportSorter,
  entries: number,
  report: ImportReport,
  source: string,
  settings: Settings,
  totalBytes: number,
  imported: Map<string, ImportedHashes>,
  timings: ImportTimings,
): Promise<{ finish: () => Promise<void> }> {
  // Entries per signal: each signal's records are allocated once.
  const expected = sorter.counts();
  let writer: ImportWriter | undefined;
  try {
    writer = sorter.spilled ? new ImportWriter(index.dir) : undefined;
  } catch (error) {
    throw stopped(error, source, report.file, 0);
  }
  // Closing the index stops the thread first (its pending batches then fail with INDEX_CLOSED).
  const release = writer ? index.holdWriter((reason) => (writer as ImportWriter).abort(reason)) : () => true;
  const pending: PendingBatch[] = [];
  let batch: Entry[] = [];
  // Each batch entry's hash bytes, as the sorter had them (a perceptual hash fits a record).
  let batchHashes = new Uint8Array(Math.min(settings.batchSize, 1 << 16) * RECORD_BYTES);
  let batchWide: WideHashes | undefined;
  let written = 0;

  const post = () => {
    if (batch.length === 0) return;
    const signal = batch[0].signal;
    let h = imported.get(signal);
    if (h === undefined && getSignal(signal).kind === 'perceptual') {
      h = importedHashes(expected.get(signal) ?? 0, index.committedGeneration(signal));
      imported.set(signal, h);
    }
    const first = h && appendRecords(h, new Uint32Array(batchHashes.buffer), batch.length);
    const wb = toWriteBatch(batch, batchHashes, batchWide);
    let result: Promise<WriteResult>;
    if (writer) {
      // The hashes go over to the writer; the lists and fields are copies, kept here for the facts.
      result = writer.write(wb);
    } else {
      const t0 = performance.now();
      const outcome = index.writeBulk(batch, { inKeyOrder: true });
      timings.write += (performance.now() - t0) / 1000;
      result = Promise.resolve({
        added: outcome.added,
        existing: outcome.existing,
        generations: [...outcome.generations].map(([s, g]) => [s, g.before, g.after]),
        stored: Uint8Array.from(outcome.stored ?? new Uint8Array(batch.length)),
      });
    }
    const p: PendingBatch = { batch: wb, first, result, done: false };
    result.then(
      () => {
        p.done = true;
      },
      () => {
        p.done = true;
      },
    );
    pending.push(p);
    batch = [];
    batchWide = undefined;
  };

  /** Waits for the oldest batch's write and takes in what it did. */
  const settle = async () => {
    const done = pending.shift();
    if (!done) return;
    const t0 = performance.now();
    const outcome = await done.result;
    timings.write += (performance.now() - t0) / 1000;
    // Closed meanwhile: stop, as a write on this thread would (the rest is never written).
    index.assertWritable();
    const { batch: b, first } = done;
    report.added += outcome.added;
    report.existing += outcome.existing;
    written += b.count;
    const h = imported.get(b.signal);
    if (h && first !== undefined) {
      for (let i = 0; i < b.count; i++) {
        if (outcome.stored[i] !== 1) continue;
        const f = b.fields[b.fieldsOf[i]];
        h.stored[first + i] = 1;
        h.facts.setFields(first + i, b.lists[b.listOf[i]], f[0], f[1]);
      }
    }
    for (const [signal, before, after] of outcome.generations) {
      const g = imported.get(signal);
      if (!g) continue;
      if (g.from === undefined) g.from = before;
      else if (before !== g.to) g.interleaved = true;
      g.to = after;
    }
    settings.onProgress?.({
      phase: 'write',
      bytesRead: totalBytes,
      totalBytes,
      lines: report.rows,
      entries,
      written,
      added: report.added,
    });
  };

  const fail = async (error: unknown): Promise<never> => {
    // Batches not yet written never are, and nothing is left waiting. Some already written
    // may not have been counted yet: the message says "at least" (a rerun completes it).
    for (const p of pending) p.result.catch(() => {});
    const unanswered = pending.length;
    pending.length = 0;
    await writer?.abort();
    release();
    throw stopped(error, source, report.file, report.added, unanswered > 0);
  };

  try {
    let t = performance.now();
    for (const chunk of sorter.sortedChunks()) {
      const { hashes, stride } = chunk;
      const width = Math.min(stride, RECORD_BYTES);
      // One signal per transaction: a batch crosses to the writer as one signal's hashes.
      if (batch.length > 0 && batch[0].signal !== chunk.signal) {
        // A batch written on this thread counts as write time, not sort time.
        const writing = timings.write;
        post();
        t += (timings.write - writing) * 1000;
      }
      for (let i = 0; i < chunk.entries.length; i++) {
        const at = batch.length * RECORD_BYTES;
        if (at + RECORD_BYTES > batchHashes.length) {
          const bigger = new Uint8Array(batchHashes.length * 2);
          bigger.set(batchHashes);
          batchHashes = bigger;
        }
        for (let b = 0; b < width; b++) batchHashes[at + b] = hashes[i * stride + b];
        for (let b = width; b < RECORD_BYTES; b++) batchHashes[at + b] = 0;
        // Hashes longer than a record (exact digests of over 256 bits) travel in full beside it.
        if (stride > RECORD_BYTES || batchWide) {
          batchWide ??= { stride: RECORD_BYTES, bytes: [] };
          batchWide.stride = Math.max(batchWide.stride, stride);
          batchWide.bytes[batch.length] = hashes.slice(i * stride, (i + 1) * stride);
        }
        batch.push(chunk.entries[i]);
        if (batch.length < settings.batchSize) continue;
        // A batch written on this thread counts as write time, not sort time.
        const writing = timings.write;
        post();
        timings.sort += (performance.now() - t) / 1000 - (timings.write - writing);
        // Let the writer's answers in (progress), and take those already back. Batches of a
        // signal without search tables wait once a few are on their way: nothing here needs
        // them all handed over early, and their queue would grow with the file.
        if (writer) await new Promise(setImmediate);
        const cap = perceptual(chunk.signal) ? Number.POSITIVE_INFINITY : EXACT_WRITES_IN_FLIGHT;
        while (pending.length > 0 && (!writer || pending[0].done || pending.length > cap)) await settle();
        t = performance.now();
      }
    }
    const writing = timings.write;
    post();
    timings.sort += (performance.now() - t) / 1000 - (timings.write - writing);
  } catch (error) {
    return fail(error);
  }
  return {
    finish: async () => {
      try {
        while (pending.length > 0) await settle();
      } catch (error) {
        return fail(error);
      }
      await writer?.close();
      release();
    },
  };
}

/** Hashes of a batch that do not fit a 32-byte record, by entry. */
interface WideHashes {
  stride: number;
  bytes: Uint8Array[];
}

/** A batch as it crosses to the writer thread: bytes and small tables, no entry objects. */
function toWriteBatch(entries: Entry[], records: Uint8Array, wide: WideHashes | undefined): WriteBatch {
  const count = entries.length;
  const stride = wide?.stride ?? RECORD_BYTES;
  // Hashes that fit a record go as the batch's records, in one copy.
  const hashes = wide ? new Uint8Array(count * stride) : records.slice(0, count * RECORD_BYTES);
  const lengths = new Uint8Array(count);
  const listOf = new Uint32Array(count);
  const fieldsOf = new Uint32Array(count);
  const lists: string[] = [];
  const listIds = new Map<string, number>();
  const fields: WriteBatch['fields'] = [];
  let last: Entry | undefined;
  let list = -1;
  for (let i = 0; i < count; i++) {
    const e = entries[i];
    lengths[i] = e.hash.length / 2;
    if (wide) hashes.set(wide.bytes[i] ?? records.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES), i * stride);
    if (last === undefined || e.list !== last.list) {
      list = listIds.get(e.list) ?? -1;
      if (list < 0) {
        list = lists.length;
        lists.push(e.list);
        listIds.set(e.list, list);
      }
    }
    listOf[i] = list;
    if (
      last === undefined ||
      e.label !== last.label ||
      e.ref !== last.ref ||
      e.addedAt !== last.addedAt ||
      e.source !== last.source
    ) {
      fields.push([e.label, e.ref, e.addedAt, e.source]);
    }
    fieldsOf[i] = fields.length - 1;
    last = e;
  }
  return { signal: entries[0].signal, count, hashes, lengths, stride, listOf, lists, fieldsOf, fields };
}

/** readRowBatches in readPlainBatches' shape. */
async function* rowsOnly(input: Readable, format: ListFormat): AsyncGenerator<PlainBatch> {
  const none = new Uint8Array(0);
  for await (const rows of readRowBatches(input, format)) yield { rows, hashes: none };
}

/**
 * Bytes of a hash of `type` when a line of exactly that many lowercase hex digits is known to
 * normalize to itself: the built-in signals. A registered signal's normalize may do more.
 */
function plainHashBytes(type: SignalType): number {
  return (BUILTIN_SIGNALS as readonly string[]).includes(type.name) && type.bits % 8 === 0 ? type.bits / 8 : 0;
}

/**
 * What every row that carries only a hash (text files, bare HMA lines) becomes, resolved once
 * per file; undefined when resolving it fails, so each row reports the error as before.
 */
interface PlainRowDefaults {
  type: SignalType;
  list: string;
  source: string | null;
}

function plainRowDefaults(settings: Settings, fallbackList: string, source: string): PlainRowDefaults | undefined {
  try {
    return {
      type: getSignal(settings.signal),
      list: validateListName(settings.list ?? fallbackList),
      source: source === '' ? null : source,
    };
  } catch {
    return undefined;
  }
}

function toEntry(
  row: RawRow,
  settings: Settings,
  fallbackList: string,
  source: string,
  now: string,
  plain?: PlainRowDefaults,
): Entry | StaydownError {
  if (row.hash === undefined) {
    return new StaydownError(ErrorCodes.IMPORT_INVALID_LINE, 'no hash on this line', { details: { line: row.line } });
  }
  if (
    plain &&
    row.signal === undefined &&
    row.list === undefined &&
    row.label === undefined &&
    row.ref === undefined &&
    row.addedAt === undefined &&
    row.source === undefined
  ) {
    try {
      const hash = plain.type.normalize(row.hash);
      return {
        signal: plain.type.name,
        hash,
        list: plain.list,
        label: null,
        ref: null,
        addedAt: now,
        source: plain.source,
      };
    } catch (error) {
      return toStaydownError(error, ErrorCodes.IMPORT_INVALID_LINE);
    }
  }
  try {
    return normalizeEntry(
      {
        signal: row.signal ?? settings.signal,
        hash: row.hash,
        list: settings.list ?? row.list ?? fallbackList,
        label: row.label,
        ref: row.ref,
        addedAt: row.addedAt ?? now,
        source: row.source ?? source,
      },
      now,
    );
  } catch (error) {
    return toStaydownError(error, ErrorCodes.IMPORT_INVALID_LINE);
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
