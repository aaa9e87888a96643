import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { type Database, open, type RootDatabase } from 'lmdb';
import type { HitFacts } from './entry-facts.js';

/**
 * The durable half of the index: every entry and list setting in one LMDB environment.
 * LMDB gives crash-safe transactions (a batch is committed whole or not at all), readers in
 * several processes and threads at once, and incremental writes without a rebuild.
 *
 * Keys are strings `signal␟hash␟list` (␟ = U+001F), so all entries of one hash are a key
 * range and one hash+list pair is stored once. Values are [label, ref, addedAt ms, source].
 */

export interface Entry {
  signal: string;
  hash: string;
  list: string;
  label: string | null;
  ref: string | null;
  /** When the entry was added (ISO 8601). */
  addedAt: string;
  /** Where it came from: the file it was imported from, or `api`. */
  source: string | null;
}

export interface ListSettings {
  name: string;
  enabled: boolean;
  /** An allow-list holds known false positives; a match to it suppresses other matches. */
  allow: boolean;
  /** Per-signal match thresholds; a signal without one uses its default. */
  thresholds: Record<string, number>;
  createdAt: string;
}

export interface EntryKey {
  signal: string;
  hash: string;
  list: string;
}

type StoredValue = [label: string | null, ref: string | null, addedAt: number, source: string | null];

const SEP = '\x1f';
const APPEND = { append: true } as const;
const NO_OVERWRITE = { noOverwrite: true } as const;
const AFTER_SEP = '\x20';

export const entryKey = (signal: string, hash: string, list: string) => `${signal}${SEP}${hash}${SEP}${list}`;
const countKey = (list: string, signal: string) => `count${SEP}${list}${SEP}${signal}`;
const generationKey = (signal: string) => `gen${SEP}${signal}`;
/** Bumped on every list settings change, so searches re-read settings only when they change. */
const LISTS_GENERATION = 'lists-gen';
/** A random number drawn when the store is made: tells a snapshot of this store from one of an earlier store in the same folder. */
const STORE_ID = 'store-id';
/**
 * The longest a run of searches goes on reading one snapshot without a commit of its own
 * thread in between (see beginSearch). Renewing the read snapshot and reading the change
 * counters again took about 1.8 µs, 1–3 % of the r=16 rate at 10 M hashes, done per search.
 */
export const SNAPSHOT_REUSE_MS = 1;
/**
 * Commits made by any store in this thread. Another thread or process can only tell this one
 * about its commit by a message, which arrives in a later turn of the event loop.
 */
let commitsInThread = 0;

/** The read snapshot searches are reading, and what was read from it (see beginSearch). */
interface SearchSnapshot {
  commits: number;
  takenAt: number;
  listsGeneration?: number;
  generations: Map<string, number>;
}

/** The last name that passed (never the empty string, which is invalid). */
let lastValidListName: string | undefined;

export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** List names travel in files and on command lines: printable, no separators, bounded. */
export function validateListName(name: unknown): string {
  if (lastValidListName !== undefined && name === lastValidListName) return lastValidListName; // imports repeat one name millions of times
  // Keys are stored as UTF-8, which turns a lone surrogate into U+FFFD: two such names would
  // become one list and lose entries.
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 200 ||
    /[\x00-\x1f\x7f]/.test(name) ||
    LONE_SURROGATE.test(name)
  ) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `list name must be 1–200 printable characters (well-formed Unicode), got ${JSON.stringify(name)}`,
      { details: { list: typeof name === 'string' ? name.slice(0, 200) : null } },
    );
  }
  lastValidListName = name;
  return name;
}

export interface WriteOutcome {
  added: number;
  existing: number;
  /** Hashes (per signal) that had no entry before this batch: new records for the search tables. */
  newHashes: Map<string, string[]>;
  /** Each touched signal's change counter before and after the batch. */
  generations: Map<string, { before: number; after: number }>;
  /** With `inKeyOrder`: per batch entry, 1 when this write stored it, 0 when it was there already. */
  stored?: Uint8Array;
}

export class IndexStore {
  readonly dir: string;
  readonly readOnly: boolean;
  /**
   * This store's random id (1 to 2^48 − 1), or 0 for a store made before ids (its snapshots
   * carry none). Generations restart at 0 in a store made again after `index.mdb` was deleted,
   * so without the id its first writes would match the old store's snapshot.
   */
  get id(): number {
    // Read again while 0: a reader may have opened a new store before its writer drew the id.
    this.knownId ||= this.meta.get(STORE_ID) ?? 0;
    return this.knownId;
  }
  private knownId: number;
  private readonly root: RootDatabase;
  private readonly entries: Database<StoredValue, string>;
  private readonly lists: Database<Omit<ListSettings, 'name'>, string>;
  private readonly meta: Database<number, string>;
  /** `entries` with values as their encoded bytes (writes that encode a value once for many keys). */
  private rawEntries: Database<Buffer, string> | undefined;
  private snapshot: SearchSnapshot | undefined;

  private constructor(dir: string, readOnly: boolean, root: RootDatabase) {
    this.dir = dir;
    this.readOnly = readOnly;
    this.root = root;
    this.entries = root.openDB({ name: 'entries' });
    this.lists = root.openDB({ name: 'lists' });
    this.meta = root.openDB({ name: 'meta' });
    this.knownId = this.meta.get(STORE_ID) ?? (readOnly ? 0 : this.claimId());
  }

  /**
   * A value as `entries` stores it, by that database's own msgpack encoder (lmdb-js exposes it
   * as `encoder`, untyped), copied out of the encoder's reused buffer.
   */
  private encodeValue(value: StoredValue): Buffer {
    const { encoder } = this.entries as unknown as { encoder: { encode(v: unknown): Uint8Array } };
    return Buffer.from(encoder.encode(value));
  }

  private entriesAsBytes(): Database<Buffer, string> {
    this.rawEntries ??= this.root.openDB({ name: 'entries', encoding: 'binary' });
    return this.rawEntries;
  }

  /** Gives a new, empty store its id (a store that already holds entries keeps 0, as its snapshots do). */
  private claimId(): number {
    // Read first: opening a store made before ids must not wait for another writer's lock.
    if (!this.isEmpty()) return 0;
    return this.commit(() => {
      const held = this.meta.get(STORE_ID);
      if (held !== undefined) return held;
      if (!this.isEmpty()) return 0;
      const id = randomInt(1, 2 ** 48 - 1);
      this.meta.putSync(STORE_ID, id);
      return id;
    });
  }

  private isEmpty(): boolean {
    return this.meta.getKeysCount({ limit: 1 }) === 0 && this.entries.getKeysCount({ limit: 1 }) === 0;
  }

  static open(dir: string, readOnly: boolean, mustExist = false): IndexStore {
    const file = path.join(dir, 'index.mdb');
    // lmdb would create the folder even to read: a mistyped --db must leave nothing behind.
    if ((readOnly || mustExist) && !existsSync(file)) {
      throw new StaydownError(ErrorCodes.INDEX_OPEN_FAILED, `cannot open index at ${dir}: there is no index there`, {
        details: { dir },
      });
    }
    try {
      if (!readOnly) mkdirSync(dir, { recursive: true });
      const root = open({ path: file, maxDbs: 8, readOnly, pageSize: 16384 });
      return new IndexStore(dir, readOnly, root);
    } catch (error) {
      throw new StaydownError(
        ErrorCodes.INDEX_OPEN_FAILED,
        `cannot open index at ${dir}: ${(error as Error).message}`,
        {
          cause: error,
          details: { dir },
        },
      );
    }
  }

  close(): Promise<void> {
    return this.root.close();
  }

  /**
   * Moves reads to the latest committed state. lmdb-js renews its read snapshot once per
   * event turn; an import must also see what another process committed a moment ago.
   */
  refreshReads(): void {
    this.root.resetReadTxn();
    this.snapshot = undefined;
  }

  /**
   * Starts a search's reads. A search sees every commit made in this thread (through any
   * store) before it, and every other commit made before the current run of synchronous code
   * began or more than SNAPSHOT_REUSE_MS before the search: within a run, searches reuse one
   * read snapshot and the change counters read from it instead of renewing it per search.
   * (A batch call starts its reads once, as before, and answers from one snapshot.)
   */
  beginSearch(): void {
    const commits = commitsInThread;
    const now = performance.now();
    const current = this.snapshot;
    if (current !== undefined && current.commits === commits && now - current.takenAt < SNAPSHOT_REUSE_MS) return;
    this.root.resetReadTxn();
    const snapshot: SearchSnapshot = { commits, takenAt: now, generations: new Map() };
    this.snapshot = snapshot;
    // lmdb-js renews its own read snapshot at the next macrotask: forget this one before.
    queueMicrotask(() => {
      if (this.snapshot === snapshot) this.snapshot = undefined;
    });
  }

  /** The signal's change counter in the current read snapshot (kept while a search snapshot is). */
  generation(signal: string): number {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return this.meta.get(generationKey(signal)) ?? 0;
    let generation = snapshot.generations.get(signal);
    if (generation === undefined) {
      generation = this.meta.get(generationKey(signal)) ?? 0;
      snapshot.generations.set(signal, generation);
    }
    return generation;
  }

  /**
   * A write transaction, counted for every store of this thread (also when it failed: a
   * needless renewal of the next search's snapshot costs nothing).
   */
  private commit<T>(action: () => T): T {
    this.snapshot = undefined;
    try {
      return this.root.transactionSync(action);
    } finally {
      commitsInThread++;
    }
  }

  private assertWritable(): void {
    if (this.readOnly) throw new StaydownError(ErrorCodes.INVALID_OPTION, 'the index was opened read-only');
  }

  /**
   * Stores entries in one transaction (all or nothing). Existing hash+list pairs are kept as
   * they are. For signals where `trackNewHashes` says so, it reports hashes no list held
   * before (one extra read per entry); otherwise the search tables are rebuilt on next use.
   */
  write(
    batch: readonly Entry[],
    trackNewHashes: (signal: string) => boolean = () => true,
    options: { inKeyOrder?: boolean } = {},
  ): WriteOutcome {
    this.assertWritable();
    const outcome: WriteOutcome = { added: 0, existing: 0, newHashes: new Map(), generations: new Map() };
    // Per-batch caches: an import repeats one list, signal and date millions of times.
    const counts = new Map<string, number>();
    const listsSeen = new Set<string>();
    const tracked = new Map<string, boolean>();
    let lastAddedAt = '';
    let lastAddedMs = 0;
    let lastLabel: string | null = null;
    let lastRef: string | null = null;
    let lastSource: string | null = null;
    let value: Buffer | undefined;
    const raw = this.entriesAsBytes();
    let lastCountKey = '';
    let lastList = '';
    let lastSignal = '';
    // Keys in order: the B-tree is walked forward, each leaf visited once per batch. Sorting
    // by (signal, hash, list) is key order (the separator sorts below every name character and
    // a signal's hashes are all one length) without building a key per comparison.
    const sorted = options.inKeyOrder ? batch : sortByKey(batch);
    this.commit(() => {
      // Keys past the last stored key are appended (MDB_APPEND: no search, leaves filled
      // whole), as in every batch of a fresh import written in key order. An append that
      // fails (the key is not past the end) turns appending off for the rest of the batch.
      let appending = options.inKeyOrder === true;
      let previous: EntryKey | undefined;
      const storedFlags = options.inKeyOrder ? new Uint8Array(sorted.length) : undefined;
      outcome.stored = storedFlags;
      for (let i = 0; i < sorted.length; i++) {
        const e = sorted[i];
        // In key order a repeated hash+list is next to its first: already stored, and an
        // append of it would fail and end appending for the rest of the batch. (Compared by
        // field: comparing the concatenated keys flattened both, a fifth of the write time.)
        if (
          previous !== undefined &&
          e.hash === previous.hash &&
          e.list === previous.list &&
          e.signal === previous.signal
        ) {
          outcome.existing++;
          continue;
        }
        previous = e;
        const key = entryKey(e.signal, e.hash, e.list);
        let track = tracked.get(e.signal);
        if (track === undefined) {
          track = trackNewHashes(e.signal);
          tracked.set(e.signal, track);
        }
        // A hash is new to the search tables when no list held it before (this transaction
        // sees its own writes, so a hash repeated within the batch is reported once).
        const isNewHash = track && !this.hasHash(e.signal, e.hash);
        // The value encoded once per run of entries that share it (an import's rows mostly
        // do), and written as bytes: encoding it per entry cost a sixth of the write.
        if (
          value === undefined ||
          e.addedAt !== lastAddedAt ||
          e.label !== lastLabel ||
          e.ref !== lastRef ||
          e.source !== lastSource
        ) {
          if (e.addedAt !== lastAddedAt) lastAddedMs = Date.parse(e.addedAt);
          lastAddedAt = e.addedAt;
          lastLabel = e.label;
          lastRef = e.ref;
          lastSource = e.source;
          value = this.encodeValue([e.label, e.ref, lastAddedMs, e.source]);
        }
        // lmdb-js returns false when noOverwrite finds the key or an append is out of order
        // (its typings say void).
        let stored = appending && (raw.putSync(key, value, APPEND) as unknown as boolean);
        if (!stored) {
          appending = false;
          stored = raw.putSync(key, value, NO_OVERWRITE) as unknown as boolean;
        }
        if (!stored) {
          outcome.existing++;
          continue;
        }
        outcome.added++;
        if (storedFlags) storedFlags[i] = 1;
        if (isNewHash) {
          let list = outcome.newHashes.get(e.signal);
          if (!list) {
            list = [];
            outcome.newHashes.set(e.signal, list);
          }
          list.push(e.hash);
        }
        if (e.list !== lastList || e.signal !== lastSignal) {
          lastList = e.list;
          lastSignal = e.signal;
          lastCountKey = countKey(e.list, e.signal);
          if (!outcome.generations.has(e.signal)) outcome.generations.set(e.signal, { before: 0, after: 0 });
          if (!listsSeen.has(e.list)) {
            listsSeen.add(e.list);
            this.ensureListInTxn(e.list);
          }
        }
        counts.set(lastCountKey, (counts.get(lastCountKey) ?? 0) + 1);
      }
      for (const [ck, n] of counts) this.meta.putSync(ck, (this.meta.get(ck) ?? 0) + n);
      this.bumpGenerations(outcome.generations);
    });
    return outcome;
  }

  /** Removes entries in one transaction; returns how many existed. */
  remove(keys: readonly EntryKey[]): { removed: number; generations: Map<string, { before: number; after: number }> } {
    this.assertWritable();
    let removed = 0;
    const generations = new Map<string, { before: number; after: number }>();
    this.commit(() => {
      for (const k of keys) {
        const key = entryKey(k.signal, k.hash, k.list);
        if (this.entries.get(key) === undefined) continue;
        this.entries.removeSync(key);
        removed++;
        const ck = countKey(k.list, k.signal);
        this.meta.putSync(ck, Math.max(0, (this.meta.get(ck) ?? 1) - 1));
        generations.set(k.signal, { before: 0, after: 0 });
      }
      this.bumpGenerations(generations);
    });
    return { removed, generations };
  }

  private bumpGenerations(generations: Map<string, { before: number; after: number }>): void {
    for (const [signal, g] of generations) {
      g.before = this.generation(signal);
      g.after = g.before + 1;
      this.meta.putSync(generationKey(signal), g.after);
    }
  }

  hasHash(signal: string, hash: string): boolean {
    const prefix = `${signal}${SEP}${hash}${SEP}`;
    for (const _ of this.entries.getKeys({ start: prefix, end: `${signal}${SEP}${hash}${AFTER_SEP}`, limit: 1 })) {
      return true;
    }
    return false;
  }

  /** Every entry (all lists) of one hash. */
  entriesForHash(signal: string, hash: string): Entry[] {
    const out: Entry[] = [];
    const range = this.entries.getRange({
      start: `${signal}${SEP}${hash}${SEP}`,
      end: `${signal}${SEP}${hash}${AFTER_SEP}`,
    });
    for (const { key, value } of range) out.push(toEntry(key, value));
    return out;
  }

  /**
   * The entries of one hash in the given lists: one key lookup per list, cheaper than a range
   * read when an index holds a few lists (a search reads this for every hash it finds).
   */
  entriesInLists(signal: string, hash: string, lists: readonly string[]): Entry[] {
    const out: Entry[] = [];
    for (const list of lists) {
      const key = entryKey(signal, hash, list);
      const value = this.entries.get(key);
      if (value !== undefined) out.push(toEntry(key, value));
    }
    return out;
  }

  /** Entries in key order (signal, hash, list), optionally of one signal and/or one list. */
  *iterate(filter: { signal?: string; list?: string } = {}): Generator<Entry> {
    const range = filter.signal
      ? this.entries.getRange({ start: `${filter.signal}${SEP}`, end: `${filter.signal}${AFTER_SEP}` })
      : this.entries.getRange({});
    for (const { key, value } of range) {
      const entry = toEntry(key, value);
      if (filter.list === undefined || entry.list === filter.list) yield entry;
    }
  }

  /**
   * Distinct hashes of one signal, in order, each with the facts of its only entry, or
   * undefined when several lists hold it.
   */
  *hashesWithFacts(signal: string): Generator<{ hash: string; facts: HitFacts | undefined }> {
    let hash = '';
    let facts: HitFacts | undefined;
    let entries = 0;
    for (const { key, value } of this.entries.getRange({ start: `${signal}${SEP}`, end: `${signal}${AFTER_SEP}` })) {
      const at = key.indexOf(SEP, signal.length + 1);
      const h = key.slice(signal.length + 1, at);
      if (h !== hash) {
        if (entries > 0) yield { hash, facts: entries === 1 ? facts : undefined };
        hash = h;
        entries = 0;
      }
      entries++;
      facts = { list: key.slice(at + 1), label: value[0], ref: value[1] };
    }
    if (entries > 0) yield { hash, facts: entries === 1 ? facts : undefined };
  }

  /** Entry counts per list and signal. */
  counts(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const { key, value } of this.meta.getRange({ start: `count${SEP}`, end: `count${AFTER_SEP}` })) {
      const [, list, signal] = key.split(SEP);
      if (!value) continue;
      let perList = out.get(list);
      if (!perList) {
        perList = new Map();
        out.set(list, perList);
      }
      perList.set(signal, value);
    }
    return out;
  }

  signals(): string[] {
    const set = new Set<string>();
    for (const key of this.meta.getKeys({ start: `gen${SEP}`, end: `gen${AFTER_SEP}` })) set.add(key.split(SEP)[1]);
    return [...set];
  }

  listSettings(): ListSettings[] {
    return [...this.lists.getRange({})].map(({ key, value }) => ({ name: key, ...value }));
  }

  getList(name: string): ListSettings | undefined {
    const value = this.lists.get(name);
    return value ? { name, ...value } : undefined;
  }

  /** The lists' change counter in the current read snapshot (kept as generation() keeps its). */
  listsGeneration(): number {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return this.meta.get(LISTS_GENERATION) ?? 0;
    snapshot.listsGeneration ??= this.meta.get(LISTS_GENERATION) ?? 0;
    return snapshot.listsGeneration;
  }

  private bumpListsGeneration(): void {
    this.meta.putSync(LISTS_GENERATION, this.listsGeneration() + 1);
  }

  private ensureListInTxn(name: string): void {
    if (this.lists.get(name) === undefined) {
      this.lists.putSync(name, { enabled: true, allow: false, thresholds: {}, createdAt: new Date().toISOString() });
      this.bumpListsGeneration();
    }
  }

  /** Creates the list when missing; settings given are applied. */
  putList(name: string, patch: Partial<Omit<ListSettings, 'name' | 'createdAt'>> = {}): ListSettings {
    this.assertWritable();
    validateListName(name);
    return this.commit(() => {
      const current = this.lists.get(name) ?? {
        enabled: true,
        allow: false,
        thresholds: {},
        createdAt: new Date().toISOString(),
      };
      const next = { ...current, ...patch, thresholds: { ...current.thresholds, ...(patch.thresholds ?? {}) } };
      this.lists.putSync(name, next);
      this.bumpListsGeneration();
      return { name, ...next };
    });
  }

  /** Removes a list and all its entries (in batches; each batch is atomic). */
  deleteList(name: string): number {
    this.assertWritable();
    let removed = 0;
    for (;;) {
      const batch: EntryKey[] = [];
      for (const e of this.iterate({ list: name })) {
        batch.push(e);
        if (batch.length === 10_000) break;
      }
      if (batch.length === 0) break;
      removed += this.remove(batch).removed;
    }
    this.commit(() => {
      this.lists.removeSync(name);
      this.bumpListsGeneration();
      for (const key of [
        ...this.meta.getKeys({ start: `count${SEP}${name}${SEP}`, end: `count${SEP}${name}${AFTER_SEP}` }),
      ]) {
        this.meta.removeSync(key);
      }
    });
    return removed;
  }
}

/** Entries a sort key can number: the index takes the low 21 bits of a float64's 53. */
const MAX_NUMBERED = 1 << 21;

/**
 * The batch in key order, stable (equal keys keep their order). Batches of one signal (every
 * import) are sorted as numbers, the first 32 bits of the hash above the entry's position,
 * by the typed-array sort; only entries sharing those 32 bits are then compared as strings,
 * which cost far more per comparison and which random hashes share rarely.
 */
export function sortByKey<T extends EntryKey>(batch: readonly T[]): T[] {
  const n = batch.length;
  const signal = n > 0 ? batch[0].signal : '';
  let uniform = n > 64 && n <= MAX_NUMBERED;
  for (let i = 0; uniform && i < n; i++) uniform = batch[i].signal === signal && batch[i].hash.length >= 8;
  if (!uniform) return batch.slice().sort(byKeyFields);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = Number.parseInt(batch[i].hash.slice(0, 8), 16) * MAX_NUMBERED + i;
  keys.sort();
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = batch[keys[i] % MAX_NUMBERED];
  // Runs sharing the 32-bit prefix, ordered by the rest of the key (stable: sort is).
  for (let from = 0; from < n; ) {
    const prefix = Math.floor(keys[from] / MAX_NUMBERED);
    let to = from + 1;
    while (to < n && Math.floor(keys[to] / MAX_NUMBERED) === prefix) to++;
    if (to - from > 1) {
      const part = out.slice(from, to).sort(byKeyFields);
      for (let i = from; i < to; i++) out[i] = part[i - from];
    }
    from = to;
  }
  return out;
}

export function byKeyFields(x: EntryKey, y: EntryKey): number {
  if (x.signal !== y.signal) return x.signal < y.signal ? -1 : 1;
  if (x.hash !== y.hash) return x.hash < y.hash ? -1 : 1;
  return x.list < y.list ? -1 : x.list > y.list ? 1 : 0;
}

// Entries of one import share their date: format it once, not per entry read (searches
// return every entry of every hash they find; clustered lists give hundreds per query).
let lastAddedMs = Number.NaN;
let lastAddedIso = '';

function addedAtIso(ms: number): string {
  if (ms !== lastAddedMs) {
    lastAddedIso = new Date(ms).toISOString();
    lastAddedMs = ms;
  }
  return lastAddedIso;
}

function toEntry(key: string, value: StoredValue): Entry {
  const a = key.indexOf(SEP);
  const b = key.indexOf(SEP, a + 1);
  return {
    signal: key.slice(0, a),
    hash: key.slice(a + 1, b),
    list: key.slice(b + 1),
    label: value[0] ?? null,
    ref: value[1] ?? null,
    addedAt: addedAtIso(value[2]),
    source: value[3] ?? null,
  };
}
