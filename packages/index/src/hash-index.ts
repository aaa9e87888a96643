import { appendAll, ErrorCodes, getSignal, listSignals, maxOf, type SignalType, StaydownError } from '@staydown/core';
import { type HugePagesStatus, hugePagesStatus } from '@staydown/huge-pages';
import type { EntryFacts, HitFacts } from './entry-facts.js';
import type { OrderedHits } from './hit-order.js';
import { type ColumnarMatchResult, columnsOf, oneListColumns, resultAsColumns } from './match-columns.js';
import { type IndexOptions, resolveIndexOptions } from './options.js';
import { type PreparedExtension, SignalSpace, type SpaceHits } from './signal-space.js';
import { type Entry, type EntryKey, IndexStore, type ListSettings, validateListName } from './store.js';

/** One hit: which known hash the query is near, in which list, how far. */
export interface Match {
  signal: string;
  hash: string;
  list: string;
  label: string | null;
  ref: string | null;
  distance: number;
}

/**
 * `matches` are the hits to act on; `suppressed` are hits explained at least as well by an
 * allow-list entry (a known false positive such as a common logo), and `allowedBy` names the
 * allow-list entries that did it. All sorted by distance, then list, then hash.
 */
export interface MatchResult {
  matches: Match[];
  suppressed: Match[];
  allowedBy: Match[];
  /** Only with SearchOptions.limit: how many of each there were, the limit aside. */
  totals?: MatchTotals;
}

export interface MatchTotals {
  matches: number;
  suppressed: number;
  allowedBy: number;
}

export interface SearchOptions {
  /** Largest distance that counts; default: each list's threshold (or the signal's default). */
  maxDistance?: number;
  /** Only matches in these lists (allow-lists still suppress). Unknown names throw UNKNOWN_LIST. */
  lists?: readonly string[];
  /**
   * `auto` (default) lets the cost model choose between the multi-index tables and the
   * linear scan; `scan` forces the brute-force WebAssembly scan (benchmarks, cross-checks).
   */
  strategy?: 'auto' | 'scan';
  /**
   * At most this many matches, suppressed hits and allow-list hits each, the nearest first;
   * the result's `totals` then counts them all (0: counts only). For answers too large to act
   * on one by one: a query near a blank image finds 156 000 hashes of a clustered 10 M list,
   * and making an object of each costs more than finding them. Default: no limit.
   */
  limit?: number;
}

export interface EntryInput {
  signal: string;
  hash: string;
  list: string;
  label?: string | null;
  ref?: string | null;
  addedAt?: string | Date;
  source?: string | null;
}

/** A bulk import's search table, built before its writes finished (HashIndex.prepareImport). @internal */
export interface PreparedImport {
  from: number;
  extension: PreparedExtension;
}

export interface ListInfo extends ListSettings {
  /** Entries per signal. */
  counts: Record<string, number>;
}

export interface IndexStats {
  dir: string;
  lists: ListInfo[];
  signals: Record<string, { entries: number; indexedHashes?: number; substrings?: number; memoryBytes?: number }>;
  totalEntries: number;
  /** Whether the search tables' memory asks for transparent huge pages, and why not. */
  hugePages: HugePagesStatus;
}

/** A list's view for one search: its settings resolved once per call. */
interface ListView {
  enabled: boolean;
  allow: boolean;
  thresholds: Record<string, number>;
}

/**
 * The lists' views for a call, and the plan each signal and maxDistance makes of them. The
 * views of all lists are kept while the lists' settings stand, and so are their plans: made
 * again per query, passes over 100 k hashes ran 4 % slower at r=16 (absmall.mjs).
 */
interface ListViews {
  byName: Map<string, ListView>;
  /** By signal, then maxDistance (undefined: each list's threshold). */
  plans: Map<string, Map<number | undefined, SearchPlan>>;
}

/** Each enabled list's largest distance for one signal and maxDistance. */
interface SearchPlan {
  limits: Map<string, number>;
  /** The enabled lists' names. */
  enabled: string[];
  anyAllow: boolean;
  /** The largest of `limits`. */
  widest: number;
}

export class HashIndex {
  readonly dir: string;
  private readonly store: IndexStore;
  private readonly options: Required<IndexOptions>;
  private readonly spaces = new Map<string, SignalSpace>();
  private listCache: { generation: number; lists: ListSettings[]; all?: ListViews } | undefined;
  private closed = false;
  /** Stops for the writer threads of imports in progress (holdWriter). */
  private readonly writers = new Set<(reason: StaydownError) => Promise<void>>();

  /** @internal use openIndex() */
  constructor(store: IndexStore, options: Required<IndexOptions>) {
    this.dir = store.dir;
    this.store = store;
    this.options = options;
  }

  private assertOpen(): void {
    if (this.closed) throw new StaydownError(ErrorCodes.INDEX_CLOSED, `the index at ${this.dir} is closed`);
  }

  // ---- search ---------------------------------------------------------------------------

  search(signal: string, hex: string, options: SearchOptions = {}): MatchResult {
    this.assertOpen();
    return this.searchWith(getSignal(signal), hex, options, this.listViews(options.lists));
  }

  /**
   * search()'s answer as columns (match-columns.ts): the same hits in the same order, read by
   * position, with an object made per hit only when asked for. For answers that can be large
   * and are mostly counted, filtered or written out.
   */
  searchColumns(signal: string, hex: string, options: SearchOptions = {}): ColumnarMatchResult {
    this.assertOpen();
    return this.searchColumnsWith(getSignal(signal), hex, options, this.listViews(options.lists));
  }

  /** searchColumns for many hashes of one signal, with the lists' settings read once. */
  searchBatchColumns(signal: string, hexes: readonly string[], options: SearchOptions = {}): ColumnarMatchResult[] {
    this.assertOpen();
    const type = getSignal(signal);
    const views = this.listViews(options.lists);
    return hexes.map((hex) => this.searchColumnsWith(type, hex, options, views));
  }

  private searchColumnsWith(
    type: SignalType,
    hex: string,
    options: SearchOptions,
    views: ListViews,
  ): ColumnarMatchResult {
    // A limited answer is small: search() builds it without ordering the hits it leaves out.
    if (type.kind !== 'perceptual' || options.limit !== undefined) {
      return resultAsColumns(type.name, this.searchWith(type, hex, options, views));
    }
    const { limits, widest } = planOf(views, type, checkMaxDistance(type, options.maxDistance));
    if (limits.size === 0) return resultAsColumns(type.name, this.searchWith(type, hex, options, views));
    const found = this.space(type).search(hex, widest, options.strategy === 'scan', 'records');
    const one =
      found.recent.length === 0
        ? oneListColumns(type.name, found.table, found.facts, limits, type.bits / 8)
        : undefined;
    if (one === undefined) return resultAsColumns(type.name, this.searchWith(type, hex, options, views, found));
    const none = columnsOf(type.name, []);
    // One list's hits: an allow-list's are all allow-list hits; any other's all match.
    if (one.list !== undefined && views.byName.get(one.list)?.allow) {
      return { matches: none, suppressed: none, allowedBy: one.columns };
    }
    return { matches: one.columns, suppressed: none, allowedBy: none };
  }

  searchBatch(signal: string, hexes: readonly string[], options: SearchOptions = {}): MatchResult[] {
    this.assertOpen();
    const type = getSignal(signal);
    const lists = this.listViews(options.lists);
    return hexes.map((hex) => this.searchWith(type, hex, options, lists));
  }

  /**
   * Matches every signal of one image (e.g. hashImage's result): each signal present is
   * searched at each list's threshold, or perceptual ones at `maxDistance` when given (exact
   * digests always at 0). Keys that are not signals (width, quality…) are ignored.
   */
  matchHashes(hashes: Partial<Record<string, unknown>>, options: SearchOptions = {}): MatchResult {
    this.assertOpen();
    checkLimit(options.limit);
    const lists = this.listViews(options.lists);
    const known = new Set(listSignals().map((s) => s.name));
    const exactOptions = { ...options, maxDistance: undefined };
    const merged: MatchResult = { matches: [], suppressed: [], allowedBy: [] };
    const totals: MatchTotals = { matches: 0, suppressed: 0, allowedBy: 0 };
    for (const [name, value] of Object.entries(hashes)) {
      if (!known.has(name) || typeof value !== 'string') continue;
      const type = getSignal(name);
      const r = this.searchWith(type, value, type.kind === 'perceptual' ? options : exactOptions, lists);
      appendAll(merged.matches, r.matches);
      appendAll(merged.suppressed, r.suppressed);
      appendAll(merged.allowedBy, r.allowedBy);
      totals.matches += r.totals?.matches ?? r.matches.length;
      totals.suppressed += r.totals?.suppressed ?? r.suppressed.length;
      totals.allowedBy += r.totals?.allowedBy ?? r.allowedBy.length;
    }
    merged.matches.sort(byDistance);
    merged.suppressed.sort(byDistance);
    merged.allowedBy.sort(byDistance);
    // Each signal's nearest `limit` hold the nearest `limit` of all.
    if (options.limit === undefined) return merged;
    return { ...limited(merged, options.limit, 0, false), totals };
  }

  /** Starts every search call: the committed state (IndexStore.beginSearch), the lists' settings once. */
  private listViews(only: readonly string[] | undefined): ListViews {
    this.store.beginSearch();
    const generation = this.store.listsGeneration();
    if (this.listCache?.generation !== generation) {
      this.listCache = { generation, lists: this.store.listSettings() };
    }
    const cache = this.listCache;
    if (only === undefined) {
      cache.all ??= viewsOf(cache.lists, undefined);
      return cache.all;
    }
    const wanted = new Set(only);
    for (const name of wanted) {
      if (!cache.lists.some((l) => l.name === name)) {
        throw new StaydownError(ErrorCodes.UNKNOWN_LIST, `no list named ${JSON.stringify(name)} in the index`, {
          details: { list: name },
        });
      }
    }
    return viewsOf(cache.lists, wanted);
  }

  /** `found`: the table's hits for this query, when the caller searched it already. */
  private searchWith(
    type: SignalType,
    hex: string,
    options: SearchOptions,
    views: ListViews,
    found?: SpaceHits,
  ): MatchResult {
    const fixed = checkMaxDistance(type, options.maxDistance);
    checkLimit(options.limit);
    const { limits, enabled, anyAllow, widest } = planOf(views, type, fixed);
    // A perceptual query the table will search is checked as the search parses it into bytes
    // (SignalSpace.search); lowercasing it here first cost 0.7 µs a query.
    const hash = type.kind === 'perceptual' && limits.size > 0 ? hex : type.normalize(hex);
    const lists = views.byName;

    const hits: Match[] = [];
    /**
     * Whether `hits` is already in result order: a search's table hands its hashes over by
     * distance then hash (hit-order.ts), which is byDistance's order while every hit is of one
     * list. Knowing it spares checking it: comparing 156 000 near-blank hashes pairwise took
     * 14 ms of a 160 ms clustered query.
     */
    let ordered = false;
    const keep = options.limit;
    /** Qualifying hits past the limit, counted and not built, and whether an allow-list holds them. */
    let beyond = 0;
    let beyondAllowed = false;
    // With a few lists to look in, each found hash costs one key lookup per list; with many,
    // one range read of all its entries.
    const read =
      enabled.length <= POINT_LOOKUP_LISTS
        ? (found: string) => this.store.entriesInLists(type.name, found, enabled)
        : (found: string) => this.store.entriesForHash(type.name, found);
    const collect = (found: string, distance: number) => {
      for (const entry of read(found)) {
        const limit = limits.get(entry.list);
        if (limit !== undefined && distance <= limit) hits.push(toMatch(entry, distance));
      }
    };
    if (type.kind === 'exact') {
      collect(hash, 0);
    } else if (limits.size > 0) {
      const scan = options.strategy === 'scan';
      const { table, facts, recent } =
        found ?? this.space(type).search(hash, widest, scan, keep === undefined ? 'whole' : 'few');
      // Only a hash removed from the table and added again can be found twice.
      const seen = recent.length > 0 ? new Set<string>() : undefined;
      // Hits of one list share a facts object: its list's limit is looked up once per run.
      let lastFacts: HitFacts | undefined;
      let lastLimit: number | undefined;
      const take = (found: string, distance: number, facts: HitFacts | undefined) => {
        if (seen) {
          if (seen.has(found)) return;
          seen.add(found);
        }
        if (facts === undefined) {
          collect(found, distance);
          return;
        }
        if (facts !== lastFacts) {
          lastFacts = facts;
          lastLimit = limits.get(facts.list);
        }
        if (lastLimit !== undefined && distance <= lastLimit) {
          hits.push({ signal: type.name, hash: found, list: facts.list, label: facts.label, ref: facts.ref, distance });
        }
      };
      const { ids, distances, hashAt } = table;
      let k = 0;
      if (keep !== undefined && recent.length === 0) {
        const nearest = buildNearest(table, facts, limits, keep, hits, take);
        k = nearest.next;
        beyond = nearest.beyond;
        beyondAllowed = nearest.list !== undefined && lists.get(nearest.list)?.allow === true;
      }
      for (; k < ids.length; k++) {
        const hitFacts = facts.get(ids[k]);
        const distance = distances[k];
        if (seen || hitFacts === undefined) {
          take(hashAt(k), distance, hitFacts);
          continue;
        }
        // The hash's only entry, known in memory: no store read. take() written out: with
        // the hits handed over whole, passes at r=16 ran 2.7 % faster (abx.mjs, both orders).
        if (hitFacts !== lastFacts) {
          lastFacts = hitFacts;
          lastLimit = limits.get(hitFacts.list);
        }
        if (lastLimit !== undefined && distance <= lastLimit) {
          hits.push({
            signal: type.name,
            hash: hashAt(k),
            list: hitFacts.list,
            label: hitFacts.label,
            ref: hitFacts.ref,
            distance,
          });
        }
      }
      for (const r of recent) take(r.hash, r.distance, r.facts);
      // The table hands its hashes over by distance then hash (hit-order.ts): byDistance's
      // order while every hit is of one list and none came from the recent additions.
      ordered = recent.length === 0 && hits.every((h) => h.list === hits[0].list);
    }
    const result = splitByAllowLists(hits, lists, anyAllow, ordered);
    return keep === undefined ? result : limited(result, keep, beyond, beyondAllowed);
  }

  /** The signal's in-memory structure, (re)loaded when the store has moved on. */
  private space(type: SignalType): SignalSpace {
    const generation = this.store.generation(type.name);
    let space = this.spaces.get(type.name);
    if (!space || space.generation !== generation) {
      space = SignalSpace.load(this.store, type, this.options.snapshots);
      this.spaces.set(type.name, space);
    }
    return space;
  }

  /** Loads the search structures of every perceptual signal now instead of at first query. */
  warm(): void {
    this.assertOpen();
    for (const name of this.store.signals()) {
      const type = getSignal(name);
      if (type.kind === 'perceptual') this.space(type);
    }
  }

  // ---- entries ----------------------------------------------------------------------------

  /** Adds entries in one transaction; a hash+list pair already present is left unchanged. */
  add(entries: readonly EntryInput[]): { added: number; existing: number } {
    this.assertOpen();
    const now = new Date().toISOString();
    const normalized = entries.map((e) => normalizeEntry({ source: 'api', ...e }, now));
    // Only a loaded search structure needs to hear of new hashes; others load fresh later.
    const outcome = this.store.write(normalized, (signal) => this.spaces.has(signal));
    for (const [signal, g] of outcome.generations) {
      const space = this.spaces.get(signal);
      if (!space) continue;
      if (space.generation === g.before) {
        const newHashes = new Set(outcome.newHashes.get(signal));
        // Facts only for a new hash this call brought once; any other hash of the call may now
        // have another entry, so its facts are forgotten (read from the store instead).
        const onlyOnce = new Map<string, Entry | undefined>();
        for (const e of normalized) {
          if (e.signal !== signal) continue;
          onlyOnce.set(e.hash, onlyOnce.has(e.hash) ? undefined : e);
        }
        const added: Array<{ hash: string; facts: HitFacts | undefined }> = [];
        const touched: string[] = [];
        for (const [hash, e] of onlyOnce) {
          if (newHashes.has(hash)) added.push({ hash, facts: e && { list: e.list, label: e.label, ref: e.ref } });
          else touched.push(hash);
        }
        space.forgetFacts(touched);
        space.addHashes(added);
        space.generation = g.after;
      }
    }
    return { added: outcome.added, existing: outcome.existing };
  }

  /**
   * Writes prepared entries without tracking new hashes (bulk import); the search structures
   * of the touched signals are reloaded on next use or by refresh().
   * @internal
   */
  writeBulk(
    entries: readonly Entry[],
    options: { inKeyOrder?: boolean } = {},
  ): {
    added: number;
    existing: number;
    generations: Map<string, { before: number; after: number }>;
    /** With `inKeyOrder`: per entry, 1 when this write stored it. */
    stored: Uint8Array | undefined;
  } {
    this.assertOpen();
    const outcome = this.store.write(entries, () => false, options);
    return {
      added: outcome.added,
      existing: outcome.existing,
      generations: outcome.generations,
      stored: outcome.stored,
    };
  }

  /**
   * Throws what a write would (INDEX_CLOSED, or INVALID_OPTION when opened read-only): a large
   * import writes through a store of its own thread, which would not.
   * @internal
   */
  assertWritable(): void {
    this.assertOpen();
    if (this.store.readOnly) throw new StaydownError(ErrorCodes.INVALID_OPTION, 'the index was opened read-only');
  }

  /**
   * Registers an import's writer thread, which close() stops (with the reason) before it
   * closes the store; returns the function that unregisters it.
   * @internal
   */
  holdWriter(stop: (reason: StaydownError) => Promise<void>): () => void {
    this.writers.add(stop);
    return () => this.writers.delete(stop);
  }

  /** The store's change counter for `signal` as last committed (by any writer). @internal */
  committedGeneration(signal: string): number {
    this.assertOpen();
    this.store.refreshReads();
    return this.store.generation(getSignal(signal).name);
  }

  /**
   * The first half of taking in a bulk import of `signal` that started at generation `from`:
   * the search table of the structure at `from` plus the imported hashes (`count` records),
   * built without reading every key back from the store, while the import's writes finish.
   * Undefined when the structure at `from` is neither loaded nor in a snapshot; refresh()
   * then rebuilds it from the store.
   * @internal
   */
  prepareImport(signal: string, from: number, records: Uint8Array, count: number): PreparedImport | undefined {
    this.assertOpen();
    const type = getSignal(signal);
    if (type.kind !== 'perceptual') return undefined;
    let base: SignalSpace | undefined = this.spaces.get(type.name);
    if (base && base.generation !== from) base = undefined;
    if (!base && from > 0) {
      if (!this.options.snapshots) return undefined;
      base = SignalSpace.fromSnapshot(this.store, type, from);
      if (!base) return undefined;
    }
    return { from, extension: SignalSpace.prepareExtension(type, base, records, count) };
  }

  /**
   * The second half: once the import's writes moved the signal from `prepared.from` to `to`
   * with nobody else writing in between (the caller checks), the prepared structure, with the
   * facts of what the import stored, becomes the signal's. Returns false (and changes nothing)
   * when the store is no longer at `to`.
   * @internal
   */
  finishImport(
    signal: string,
    prepared: PreparedImport,
    to: number,
    facts?: { facts: EntryFacts; stored: Uint8Array },
  ): boolean {
    this.assertOpen();
    const type = getSignal(signal);
    this.store.refreshReads();
    if (this.store.generation(type.name) !== to) return false;
    this.spaces.set(type.name, SignalSpace.finishExtension(prepared.extension, to, facts));
    return true;
  }

  remove(keys: readonly EntryKey[]): number {
    this.assertOpen();
    const normalized = keys.map((k) => {
      const type = getSignal(k.signal);
      return { signal: type.name, hash: type.normalize(k.hash), list: validateListName(k.list) };
    });
    const { removed, generations } = this.store.remove(normalized);
    // A removed hash stays in the tables until the next rebuild; its facts are forgotten, so
    // results are read back from the store and it can no longer match.
    for (const [signal, g] of generations) {
      const space = this.spaces.get(signal);
      if (space && space.generation === g.before) {
        space.forgetFacts(normalized.filter((k) => k.signal === signal).map((k) => k.hash));
        space.generation = g.after;
      }
    }
    return removed;
  }

  /** Entries in key order, optionally of one list and/or signal (for export). */
  entries(filter: { list?: string; signal?: string } = {}): Iterable<Entry> {
    this.assertOpen();
    if (filter.list !== undefined) this.requireList(filter.list);
    return this.store.iterate({ list: filter.list, signal: filter.signal ? getSignal(filter.signal).name : undefined });
  }

  /** Rebuilds stale search structures and writes their snapshots (after a bulk import). */
  refresh(): void {
    this.assertOpen();
    for (const name of this.store.signals()) {
      const type = getSignal(name);
      if (type.kind !== 'perceptual') continue;
      const space = this.space(type);
      if (this.options.snapshots && !this.store.readOnly) space.saveSnapshot(this.store);
    }
  }

  // ---- lists ------------------------------------------------------------------------------

  lists(): ListInfo[] {
    this.assertOpen();
    const counts = this.store.counts();
    return this.store
      .listSettings()
      .map((l) => ({ ...l, counts: Object.fromEntries(counts.get(l.name) ?? new Map<string, number>()) }));
  }

  private requireList(name: string): ListSettings {
    const list = this.store.getList(name);
    if (!list) {
      throw new StaydownError(ErrorCodes.UNKNOWN_LIST, `no list named ${JSON.stringify(name)} in the index`, {
        details: { list: name },
      });
    }
    return list;
  }

  /** Creates an empty list (or updates an existing one's settings). */
  createList(name: string, settings: { enabled?: boolean; allow?: boolean } = {}): ListSettings {
    this.assertOpen();
    return this.store.putList(name, settings);
  }

  setEnabled(name: string, enabled: boolean): ListSettings {
    this.assertOpen();
    this.requireList(name);
    return this.store.putList(name, { enabled });
  }

  /** Marks a list as an allow-list of known false positives (or back to a normal list). */
  setAllowList(name: string, allow: boolean): ListSettings {
    this.assertOpen();
    this.requireList(name);
    return this.store.putList(name, { allow });
  }

  /** Sets the list's match threshold for a perceptual signal. */
  setThreshold(name: string, signal: string, threshold: number): ListSettings {
    this.assertOpen();
    this.requireList(name);
    const type = getSignal(signal);
    if (type.kind !== 'perceptual') {
      throw new StaydownError(ErrorCodes.INVALID_OPTION, `${type.name} is an exact digest: it has no threshold`);
    }
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > type.bits) {
      throw new StaydownError(
        ErrorCodes.INVALID_OPTION,
        `threshold must be an integer 0–${type.bits}, got ${threshold}`,
      );
    }
    return this.store.putList(name, { thresholds: { [type.name]: threshold } });
  }

  deleteList(name: string): number {
    this.assertOpen();
    this.requireList(name);
    return this.store.deleteList(name);
  }

  stats(): IndexStats {
    this.assertOpen();
    const lists = this.lists();
    const signals: IndexStats['signals'] = {};
    let totalEntries = 0;
    for (const l of lists) {
      for (const [signal, n] of Object.entries(l.counts)) {
        signals[signal] ??= { entries: 0 };
        signals[signal].entries += n;
        totalEntries += n;
      }
    }
    for (const [name, space] of this.spaces) {
      signals[name] ??= { entries: 0 };
      Object.assign(signals[name], {
        indexedHashes: space.size,
        substrings: space.substrings,
        memoryBytes: space.memoryBytes,
      });
    }
    return { dir: this.dir, lists, signals, totalEntries, hugePages: hugePagesStatus() };
  }

  /** Saves snapshots of changed search structures and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An import's writer thread must be gone before the store closes under it.
    const closed = new StaydownError(ErrorCodes.INDEX_CLOSED, `the index at ${this.dir} is closed`);
    for (const stop of [...this.writers]) await stop(closed);
    try {
      if (this.options.snapshots && !this.store.readOnly) {
        for (const space of this.spaces.values()) {
          if (space.generation === this.store.generation(space.signal.name)) space.saveSnapshot(this.store);
        }
      }
    } finally {
      this.spaces.clear();
      await this.store.close();
    }
  }
}

/**
 * An ISO 8601 date or date-time, as exports write it (a space for the T is accepted). Anything
 * else Date.parse happens to read ("1" is the year 2001) is refused, not guessed.
 */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Validates and normalises one entry; throws INVALID_HASH / UNKNOWN_SIGNAL / INVALID_OPTION. */
export function normalizeEntry(e: EntryInput, now: string): Entry {
  const type = getSignal(e.signal);
  let addedAt = now;
  if (e.addedAt !== undefined && e.addedAt !== now) {
    const ms =
      e.addedAt instanceof Date ? e.addedAt.getTime() : ISO_DATE.test(String(e.addedAt)) ? Date.parse(e.addedAt) : NaN;
    if (Number.isNaN(ms)) {
      throw new StaydownError(ErrorCodes.INVALID_OPTION, `added_at is not a date: ${JSON.stringify(e.addedAt)}`);
    }
    addedAt = new Date(ms).toISOString();
  }
  return {
    signal: type.name,
    hash: type.normalize(e.hash),
    list: validateListName(e.list),
    label: emptyToNull(e.label),
    ref: emptyToNull(e.ref),
    addedAt,
    source: emptyToNull(e.source),
  };
}

function emptyToNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : String(value);
}

/** The views of `lists`, with only the `wanted` ones enabled (allow-lists always). */
function viewsOf(lists: readonly ListSettings[], wanted: ReadonlySet<string> | undefined): ListViews {
  const byName = new Map<string, ListView>();
  for (const l of lists) {
    const enabled = l.enabled && (l.allow || wanted === undefined || wanted.has(l.name));
    byName.set(l.name, { enabled, allow: l.allow, thresholds: l.thresholds });
  }
  return { byName, plans: new Map() };
}

/** Each enabled list's largest distance for `type` at `fixed` (or its threshold), made once per views. */
function planOf(views: ListViews, type: SignalType, fixed: number | undefined): SearchPlan {
  let bySignal = views.plans.get(type.name);
  if (bySignal === undefined) {
    bySignal = new Map();
    views.plans.set(type.name, bySignal);
  }
  let plan = bySignal.get(fixed);
  if (plan === undefined) {
    const limits = new Map<string, number>();
    let anyAllow = false;
    for (const [name, list] of views.byName) {
      if (!list.enabled) continue;
      limits.set(name, type.kind === 'exact' ? 0 : (fixed ?? list.thresholds[type.name] ?? type.defaultThreshold));
      anyAllow ||= list.allow;
    }
    plan = { limits, enabled: [...limits.keys()], anyAllow, widest: limits.size > 0 ? maxOf(limits.values()) : 0 };
    bySignal.set(fixed, plan);
  }
  return plan;
}

function checkMaxDistance(type: SignalType, fixed: number | undefined): number | undefined {
  if (fixed !== undefined && (!Number.isInteger(fixed) || fixed < 0 || fixed > type.bits)) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `maxDistance must be an integer 0–${type.bits}, got ${fixed}`);
  }
  return fixed;
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `limit must be a non-negative integer, got ${limit}`);
  }
}

/**
 * With a limit: builds table hits, in table order, until `keep` qualify. While all hits are of
 * one list that order is the result's, so the rest are only counted (`beyond`, all of `list`)
 * and `next` is past the end; otherwise `next` is where building must go on, for every hit.
 */
function buildNearest(
  table: OrderedHits,
  facts: EntryFacts,
  limits: Map<string, number>,
  keep: number,
  hits: Match[],
  take: (found: string, distance: number, facts: HitFacts | undefined) => void,
): { next: number; beyond: number; list: string | undefined } {
  const { ids, distances, ownHashAt } = table;
  let k = 0;
  // Hashes of their own: a kept result does not keep the hex of the hits it left out alive.
  for (; k < ids.length && hits.length < keep; k++) take(ownHashAt(k), distances[k], facts.get(ids[k]));
  const list = hits.length > 0 ? hits[0].list : undefined;
  if (k < ids.length && hits.every((h) => h.list === list)) {
    const rest = countOneList(table, facts, limits, k, list);
    if (rest !== undefined) return { next: ids.length, beyond: rest.count, list: rest.list };
  }
  // Another list's hit, or one whose entries only the store knows: build them all.
  return { next: k, beyond: 0, list: undefined };
}

/**
 * Counts the qualifying table hits from `from` on while all are of `list` (any one list when
 * undefined). Undefined as soon as one is of another list or only the store knows its entries:
 * then the hits are not in result order and must all be built and sorted.
 */
function countOneList(
  table: OrderedHits,
  facts: EntryFacts,
  limits: Map<string, number>,
  from: number,
  list: string | undefined,
): { count: number; list: string | undefined } | undefined {
  const { ids, distances } = table;
  let count = 0;
  let lastFacts: HitFacts | undefined;
  let lastLimit: number | undefined;
  for (let k = from; k < ids.length; k++) {
    const hitFacts = facts.get(ids[k]);
    if (hitFacts === undefined) return undefined;
    if (hitFacts !== lastFacts) {
      lastFacts = hitFacts;
      lastLimit = limits.get(hitFacts.list);
    }
    if (lastLimit === undefined || distances[k] > lastLimit) continue;
    if (list === undefined) list = hitFacts.list;
    else if (hitFacts.list !== list) return undefined;
    count++;
  }
  return { count, list };
}

/**
 * The first `keep` of each part, with totals that add the `beyond` hits counted and not built
 * (all of one list: an allow-list's, when `beyondAllowed`, else a list whose hits all match).
 */
function limited(result: MatchResult, keep: number, beyond: number, beyondAllowed: boolean): MatchResult {
  const { matches, suppressed, allowedBy } = result;
  const totals: MatchTotals = {
    matches: matches.length + (beyondAllowed ? 0 : beyond),
    suppressed: suppressed.length,
    allowedBy: allowedBy.length + (beyondAllowed ? beyond : 0),
  };
  // Written out, not spread or looped over: this runs once per query, 1 µs a call otherwise.
  if (matches.length > keep) matches.length = keep;
  if (suppressed.length > keep) suppressed.length = keep;
  if (allowedBy.length > keep) allowedBy.length = keep;
  return { matches, suppressed, allowedBy, totals };
}

/** `ordered`: hits are in byDistance order already (and so is any part of them). */
function splitByAllowLists(
  hits: Match[],
  lists: Map<string, ListView>,
  anyAllow: boolean,
  ordered: boolean,
): MatchResult {
  const sorted = ordered ? (part: Match[]) => part : sortByDistance;
  if (!anyAllow) return { matches: sorted(hits), suppressed: [], allowedBy: [] };
  const result: MatchResult = { matches: [], suppressed: [], allowedBy: [] };
  let nearestAllowed = Number.POSITIVE_INFINITY;
  for (const hit of hits) {
    if (lists.get(hit.list)?.allow) {
      result.allowedBy.push(hit);
      nearestAllowed = Math.min(nearestAllowed, hit.distance);
    }
  }
  // A hit is suppressed when an allow-list entry is at least as close: the query is better
  // explained by the known false positive. A closer listed hash still matches.
  for (const hit of hits) {
    if (lists.get(hit.list)?.allow) continue;
    (hit.distance >= nearestAllowed ? result.suppressed : result.matches).push(hit);
  }
  result.matches = sorted(result.matches);
  result.suppressed = sorted(result.suppressed);
  result.allowedBy = sorted(result.allowedBy);
  return result;
}

/**
 * The matches in byDistance order. A clustered query finds hundreds of hashes over a few dozen
 * distances: a counting sort on the distance, then a comparison sort of each run of equal
 * distance, compares about half as often as one comparison sort.
 * @internal exported for tests
 */
export function sortByDistance(matches: Match[]): Match[] {
  // A one-list search hands its matches over in this order already (see hit-order.ts).
  if (inOrder(matches)) return matches;
  if (matches.length < 64) return matches.sort(byDistance);
  return sortOneListByKey(matches) ?? sortByDistanceRuns(matches);
}

function inOrder(matches: Match[]): boolean {
  for (let i = 1; i < matches.length; i++) if (byDistance(matches[i - 1], matches[i]) > 0) return false;
  return true;
}

/** Hex digits of the hash packed into a key: 9 (36 bits); longer common prefixes are settled by byDistance. */
const KEY_DIGITS = 9;
/** Matches a key can number (16 bits of it). */
const KEY_MAX_MATCHES = 1 << 16;

/**
 * The usual large result: one list and one signal, so the order is distance then hash. Each
 * match gets a 64-bit key (distance, the hash's first 36 bits, its position), sorted natively
 * with no comparator call (comparing hundreds of hashes through a JS comparator cost a fifth
 * of a clustered r=31 query); runs whose 36-bit prefixes are equal are then settled by
 * byDistance. Undefined when the matches are not of that kind.
 */
function sortOneListByKey(matches: Match[]): Match[] | undefined {
  const n = matches.length;
  if (n > KEY_MAX_MATCHES) return undefined;
  const { list, signal } = matches[0];
  for (const m of matches) {
    if (m.list !== list || m.signal !== signal || m.hash.length < KEY_DIGITS || m.distance > 511) return undefined;
  }
  const keys = new BigUint64Array(n);
  const words = new Uint32Array(keys.buffer);
  for (let i = 0; i < n; i++) {
    const { hash, distance } = matches[i];
    let top = 0; // first 5 digits: 20 bits
    let next = 0; // digits 5–8: 16 bits
    for (let c = 0; c < KEY_DIGITS; c++) {
      const v = hexValue(hash.charCodeAt(c));
      if (v < 0) return undefined;
      if (c < 5) top = (top << 4) | v;
      else next = (next << 4) | v;
    }
    // Little-endian halves: high word distance (9 bits) and 20 hash bits, low word 16 hash bits and i.
    words[2 * i + 1] = ((distance << 23) | (top << 3)) >>> 0;
    words[2 * i] = ((next << 16) | i) >>> 0;
  }
  keys.sort();
  const out = new Array<Match>(n);
  for (let i = 0; i < n; i++) out[i] = matches[words[2 * i] & 0xffff];
  // Equal distance and 36-bit prefix (rare): order those runs by the whole hash.
  for (let from = 0; from < n - 1; ) {
    let to = from + 1;
    while (to < n && words[2 * to + 1] === words[2 * from + 1] && words[2 * to] >>> 16 === words[2 * from] >>> 16) to++;
    if (to - from > 1) {
      const run = out.slice(from, to).sort(byDistance);
      for (let k = 0; k < run.length; k++) out[from + k] = run[k];
    }
    from = to;
  }
  return out;
}

/** A lowercase hex digit's value (hashes are normalised), or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Any mix of lists and signals: a counting sort on the distance, then each run by byDistance. */
function sortByDistanceRuns(matches: Match[]): Match[] {
  let max = 0;
  for (const m of matches) if (m.distance > max) max = m.distance;
  const starts = new Int32Array(max + 2);
  for (const m of matches) starts[m.distance + 1]++;
  for (let d = 1; d <= max + 1; d++) starts[d] += starts[d - 1];
  const next = starts.slice(0, max + 1);
  const out = new Array<Match>(matches.length);
  for (const m of matches) out[next[m.distance]++] = m;
  for (let d = 0; d <= max; d++) {
    const from = starts[d];
    const to = starts[d + 1];
    if (to - from < 2) continue;
    const run = out.slice(from, to).sort(byDistance);
    for (let i = 0; i < run.length; i++) out[from + i] = run[i];
  }
  return out;
}

function toMatch(entry: Entry, distance: number): Match {
  return {
    signal: entry.signal,
    hash: entry.hash,
    list: entry.list,
    label: entry.label,
    ref: entry.ref,
    distance,
  };
}

/** Up to this many enabled lists, a found hash's entries are read by key, one per list. */
const POINT_LOOKUP_LISTS = 8;

/** The order of every result: distance, then list, hash and signal. */
export function byDistance(a: Match, b: Match): number {
  return (
    a.distance - b.distance ||
    (a.list < b.list ? -1 : a.list > b.list ? 1 : 0) ||
    (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0) ||
    (a.signal < b.signal ? -1 : a.signal > b.signal ? 1 : 0)
  );
}

/**
 * Opens (or creates) the index in `dir`. Search structures load lazily per signal, from a
 * snapshot when it is current; call warm() to load them up front.
 */
export async function openIndex(dir: string, options: IndexOptions = {}): Promise<HashIndex> {
  const resolved = resolveIndexOptions(options);
  const store = IndexStore.open(dir, resolved.readOnly, resolved.mustExist);
  return new HashIndex(store, resolved);
}
