import { existsSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, hexInto, type SignalType, StaydownError } from '@staydown/core';
import { EntryFacts, type HitFacts } from './entry-facts.js';
import { HammingTable, hasTag, LinearStore, RECORD_BYTES } from './hamming-table.js';
import { type GatherRecords, type HitUse, inResultOrder, type OrderedHits } from './hit-order.js';
import { HitList } from './hit-set.js';
import type { IndexStore } from './store.js';

/**
 * Hits from which a search asks whether its table's records ascend (HammingTable.recordsAscend,
 * one pass over the table the first time) to order them by id instead of sorting their bytes.
 */
const ID_ORDER_MIN_HITS = 1024;

/** A hash added since the table was built, found by a search. */
export interface RecentHit {
  hash: string;
  distance: number;
  /** The facts of the hash's only entry when known here; else the store holds its entries. */
  facts: HitFacts | undefined;
}

/** What one search of a signal's hashes found. */
export interface SpaceHits {
  /** The table's hits by distance, then hash. */
  table: OrderedHits;
  /** Table hit k's facts are facts.get(table.ids[k]): undefined when the store must be read. */
  facts: EntryFacts;
  /** Hits among the hashes added since the table was built, in no order (one may be a table hit too). */
  recent: RecentHit[];
  mode: 'index' | 'scan';
}

const NO_HITS: OrderedHits = {
  ids: new Int32Array(0),
  distances: new Int32Array(0),
  hashAt: () => {
    throw new RangeError('no hits');
  },
  ownHashAt: () => {
    throw new RangeError('no hits');
  },
};

/** A table built from an import's records, waiting for their facts (SignalSpace.prepareExtension). */
export interface PreparedExtension {
  signal: SignalType;
  table: HammingTable;
  /** The base's facts, copied to the records' new ids. */
  facts: EntryFacts;
  /** Per added record: its id, or −1 − the id of the equal record kept before it. */
  placeOf: Int32Array;
}

/**
 * The in-memory search structure of one perceptual signal: a frozen multi-index table of its
 * distinct hashes plus a small linearly scanned store of hashes added since. It knows the
 * store generation it reflects; when another writer moves the generation on, it is rebuilt.
 * Beside each record it holds the facts of the hash's only entry, when only one holds it
 * (entry-facts.ts), ids 0…table.count − 1 for the table and on from there for the delta.
 */
export class SignalSpace {
  readonly signal: SignalType;
  private table: HammingTable;
  private delta = new LinearStore();
  private facts: EntryFacts;
  generation: number;
  /** The generation of the snapshot on disk (-1: none written by us). */
  private snapshotGeneration: number;
  readonly loadedFrom: 'snapshot' | 'store';
  /**
   * One search's query record and hits, kept for the next: allocating them per search (two
   * 1 KB typed arrays) was an eighth of an r=0 query's time. Taken while in use, so a search
   * made from inside onHit gets its own.
   */
  private scratch: { query: Uint8Array; hits: HitList } | undefined;
  /** Hit records copied out by the current table's kernel (inResultOrder). */
  private readonly gather: GatherRecords = (ids, n, into) => this.table.gatherRecords(ids, n, into);

  private constructor(
    signal: SignalType,
    table: HammingTable,
    generation: number,
    from: 'snapshot' | 'store',
    facts: EntryFacts,
  ) {
    this.signal = signal;
    this.table = table;
    this.facts = facts;
    this.generation = generation;
    this.snapshotGeneration = from === 'snapshot' ? generation : -1;
    this.loadedFrom = from;
  }

  static snapshotPath(dir: string, signal: string): string {
    return path.join(dir, `mih-${signal}.snap`);
  }

  /** Loads the snapshot when it matches the store's generation, else rebuilds from the store. */
  static load(store: IndexStore, signal: SignalType, useSnapshot: boolean): SignalSpace {
    if (signal.bits > RECORD_BYTES * 8 || signal.bits % 8 !== 0) {
      throw new StaydownError(
        ErrorCodes.INVALID_OPTION,
        `perceptual signal ${signal.name} has ${signal.bits} bits; the index searches whole bytes up to 256 bits`,
        { details: { signal: signal.name, bits: signal.bits } },
      );
    }
    const generation = store.generation(signal.name);
    if (useSnapshot) {
      const space = SignalSpace.fromSnapshot(store, signal, generation);
      if (space) return space;
    }
    let records = new Uint8Array(RECORD_BYTES * 1024);
    let count = 0;
    const facts = new EntryFacts();
    for (const { hash, facts: only } of store.hashesWithFacts(signal.name)) {
      if ((count + 1) * RECORD_BYTES > records.length) {
        const bigger = new Uint8Array(records.length * 2);
        bigger.set(records);
        records = bigger;
      }
      writeRecord(records, count * RECORD_BYTES, hash);
      facts.set(count, only);
      count++;
    }
    const table = HammingTable.build(records, count, signal.bits);
    const space = new SignalSpace(signal, table, generation, 'store', facts);
    if (useSnapshot && !store.readOnly) space.saveSnapshot(store);
    return space;
  }

  /**
   * The snapshot on disk when it reflects this very store at generation `generation` exactly
   * (e.g. the state an import started from), else undefined.
   */
  static fromSnapshot(store: IndexStore, signal: SignalType, generation: number): SignalSpace | undefined {
    const file = SignalSpace.snapshotPath(store.dir, signal.name);
    const head = HammingTable.readHeader(file);
    if (!head || !hasTag(head.header, { store: store.id, signal: signal.name, generation })) return undefined;
    const snap = HammingTable.readSnapshot(file);
    if (!snap || snap.table.bits !== signal.bits) return undefined;
    return new SignalSpace(signal, snap.table, generation, 'snapshot', snapshotFacts(snap));
  }

  /**
   * The space after a bulk import, without reading the store again: the distinct hashes of
   * `base` (the space at the generation the import started from; none for an empty signal)
   * plus `added` records (`count` × 32 bytes, duplicates allowed), each once. The import wrote
   * every one of those hashes, so this holds the same hashes a rebuild from the store would.
   * Without a base, `added` is consumed: records in key order are deduplicated in place.
   *
   * `addedFacts` tells, per added record, whether the import stored its entry (`stored`) and
   * that entry's facts. Without it every record of the import is marked unknown.
   */
  static extended(
    signal: SignalType,
    base: SignalSpace | undefined,
    added: Uint8Array,
    count: number,
    generation: number,
    addedFacts?: { facts: EntryFacts; stored: Uint8Array },
  ): SignalSpace {
    return SignalSpace.finishExtension(
      SignalSpace.prepareExtension(signal, base, added, count),
      generation,
      addedFacts,
    );
  }

  /**
   * The first half of extended(), which needs no facts of the added records: their table, and
   * where each of them went. An import builds it while its writes finish on their thread.
   */
  static prepareExtension(
    signal: SignalType,
    base: SignalSpace | undefined,
    added: Uint8Array,
    count: number,
  ): PreparedExtension {
    const baseCount = base ? base.table.count + base.delta.count : 0;
    const facts = new EntryFacts(baseCount + count);
    const placeOf = new Int32Array(count);
    if (!base) {
      const kept = keepSortedOnce(added, count, placeOf);
      if (kept >= 0) return { signal, table: HammingTable.build(added, kept, signal.bits), facts, placeOf };
    }
    const records = new Uint8Array(Math.max(1, baseCount + count) * RECORD_BYTES);
    const seen = new RecordSet(records, baseCount + count);
    let n = 0;
    /** Adds the record unless an equal one is in; returns -1, or the equal record's id. */
    const keep = (from: Uint8Array, at: number): number => {
      records.set(from.subarray(at, at + RECORD_BYTES), n * RECORD_BYTES);
      const equal = seen.add(n);
      if (equal < 0) n++;
      return equal;
    };
    if (base) {
      const baseIds = base.table.count + base.delta.count;
      for (let i = 0; i < baseIds; i++) {
        const record = i < base.table.count ? base.table.record(i) : base.delta.record(i - base.table.count);
        const id = n;
        if (keep(record, 0) < 0) facts.copy(base.facts, i, id);
      }
    }
    for (let i = 0; i < count; i++) {
      const id = n;
      const equal = keep(added, i * RECORD_BYTES);
      placeOf[i] = equal < 0 ? id : -equal - 1;
    }
    return { signal, table: HammingTable.build(records, n, signal.bits), facts, placeOf };
  }

  /** The second half of extended(): the space at `generation`, with the added records' facts. */
  static finishExtension(
    prepared: PreparedExtension,
    generation: number,
    addedFacts?: { facts: EntryFacts; stored: Uint8Array },
  ): SignalSpace {
    const { facts, placeOf } = prepared;
    for (let i = 0; i < placeOf.length; i++) {
      const place = placeOf[i];
      const stored = addedFacts !== undefined && addedFacts.stored[i] === 1;
      if (place >= 0) {
        // A new hash: its facts are those of the entry that brought it, if this write stored it.
        facts.set(place, stored ? addedFacts?.facts.get(i) : undefined);
      } else if (stored || addedFacts === undefined) {
        // One more entry for a hash already held: it no longer has one entry only.
        facts.set(-place - 1, undefined);
      }
    }
    return new SignalSpace(prepared.signal, prepared.table, generation, 'store', facts);
  }

  get size(): number {
    return this.table.count + this.delta.count;
  }

  get memoryBytes(): number {
    const scratch = this.scratch ? RECORD_BYTES + this.scratch.hits.memoryBytes : 0;
    return this.table.memoryBytes + this.delta.memoryBytes + this.facts.memoryBytes + scratch;
  }

  get substrings(): number {
    return this.table.lengths.length;
  }

  /**
   * Adds hashes that no entry held before (the caller knows from the store write), each with
   * the facts of its one entry, or undefined when the write gave it several.
   */
  addHashes(hashes: ReadonlyArray<{ hash: string; facts: HitFacts | undefined }>): void {
    const record = new Uint8Array(RECORD_BYTES);
    for (const { hash, facts } of hashes) {
      record.fill(0);
      writeRecord(record, 0, hash);
      // A hash whose entries were all removed keeps its record (removing never rebuilds): it
      // gets its facts back instead of a second record, which would be reported twice.
      const held = this.heldId(record);
      if (held >= 0) {
        this.facts.set(held, facts);
        continue;
      }
      const id = this.table.count + this.delta.append(record);
      this.facts.set(id, facts);
    }
    // Scanning the delta costs ~3 ns per hash per query: fold it into the table before it matters.
    if (this.delta.count > Math.max(4096, this.table.count / 16)) this.merge();
  }

  /** The id of the record equal to `record`, or -1. */
  private heldId(record: Uint8Array): number {
    let held = -1;
    this.table.search(record, 0, (id) => {
      held = id;
    });
    if (held < 0) {
      this.delta.search(record, 0, (id) => {
        held = this.table.count + id;
      });
    }
    return held;
  }

  /** Marks held hashes as having more than one entry now (a write added another list's). */
  forgetFacts(hashes: Iterable<string>): void {
    const query = new Uint8Array(RECORD_BYTES);
    for (const hash of hashes) {
      query.fill(0);
      writeRecord(query, 0, hash);
      this.table.search(query, 0, (id) => this.facts.set(id, undefined));
      this.delta.search(query, 0, (id) => this.facts.set(this.table.count + id, undefined));
    }
  }

  /** Merging keeps ids (the table's records first, then the delta's), so the facts stay put. */
  private merge(): void {
    const count = this.table.count + this.delta.count;
    const records = new Uint8Array(count * RECORD_BYTES);
    for (let i = 0; i < this.table.count; i++) records.set(this.table.record(i), i * RECORD_BYTES);
    for (let i = 0; i < this.delta.count; i++) records.set(this.delta.record(i), (this.table.count + i) * RECORD_BYTES);
    this.table = HammingTable.build(records, count, this.signal.bits);
    this.delta = new LinearStore();
  }

  /**
   * Every stored hash within maxDistance: the table's hits at once, in result order, and any
   * among the hashes added since the table was built. Handing the table's over whole, rather
   * than through a call per hit, lets the caller turn them into matches in one loop.
   * `use`: what the caller will read of the table's hits (inResultOrder's HitUse).
   */
  search(hex: string, maxDistance: number, forceScan = false, use: HitUse = 'whole'): SpaceHits {
    const scratch = this.scratch ?? { query: new Uint8Array(RECORD_BYTES), hits: new HitList() };
    this.scratch = undefined;
    try {
      return this.searchWith(scratch.query, scratch.hits, hex, maxDistance, forceScan, use);
    } finally {
      scratch.hits.clear();
      this.scratch = scratch;
    }
  }

  private searchWith(
    query: Uint8Array,
    hits: HitList,
    hex: string,
    maxDistance: number,
    forceScan: boolean,
    use: HitUse,
  ): SpaceHits {
    const bytes = this.signal.bits / 8;
    query.fill(0);
    // Checked as it is parsed; anything else (spaces around it) or nothing valid: normalize()
    // trims it, or throws INVALID_HASH.
    if (!hexInto(hex, query, 0, bytes)) writeRecord(query, 0, this.signal.normalize(hex));
    const mode = this.table.search(query, maxDistance, (id, d) => hits.add(id, d), forceScan);
    const n = hits.size;
    // Whether ids order the hashes is worth knowing only for hits enough to sort.
    const table =
      n === 0
        ? NO_HITS
        : inResultOrder(
            hits,
            this.table.recordWords(),
            bytes,
            n >= ID_ORDER_MIN_HITS && this.table.recordsAscend(),
            undefined,
            use,
            this.gather,
          );
    const recent: RecentHit[] = [];
    if (this.delta.count > 0) {
      const base = this.table.count;
      const deltaHex = recordsHex(this.delta.record(0));
      this.delta.search(query, maxDistance, (id, distance) => {
        const at = id * RECORD_BYTES;
        recent.push({ hash: deltaHex.toString('hex', at, at + bytes), distance, facts: this.facts.get(base + id) });
      });
    }
    return { table, facts: this.facts, recent, mode };
  }

  /** Writes the current state (delta folded in) for the next open; skipped when unchanged. */
  saveSnapshot(store: IndexStore): void {
    if (this.snapshotGeneration === this.generation && this.delta.count === 0) return;
    if (this.delta.count > 0) this.merge();
    this.table.writeSnapshot(
      SignalSpace.snapshotPath(store.dir, this.signal.name),
      { store: store.id, signal: this.signal.name, generation: this.generation },
      this.facts.serialize(this.table.count),
    );
    this.snapshotGeneration = this.generation;
  }

  static dropSnapshot(dir: string, signal: string): void {
    const file = SignalSpace.snapshotPath(dir, signal);
    if (existsSync(file)) unlinkSync(file);
  }
}

/** Hex digits into a zero-padded 32-byte record (shorter hashes keep their distances). */
function writeRecord(into: Uint8Array, at: number, hex: string): void {
  Buffer.from(into.buffer, into.byteOffset + at, RECORD_BYTES).write(hex, 'hex');
}

/** The facts saved with a snapshot's table, or all unknown when it has none (older snapshots). */
function snapshotFacts(snap: { table: HammingTable; extra: Uint8Array | undefined }): EntryFacts {
  return EntryFacts.deserialize(snap.extra, snap.table.count) ?? new EntryFacts(snap.table.count);
}

/** A Buffer from record 0 (`first`) to the end of its memory: record i is at i × 32. */
function recordsHex(first: Uint8Array): Buffer {
  return Buffer.from(first.buffer, first.byteOffset, first.buffer.byteLength - first.byteOffset);
}

/**
 * When `count` records are in ascending order (as an import writes them: key order), keeps
 * each once by moving it over the equal ones before it, in place, and returns how many were
 * kept; placeOf[i] is where record i went (≥ 0), or −1 − the kept record it equals. Returns
 * -1, changing nothing, when they are not in order. An import into a signal with no hashes
 * yet (a first list) then needs no hash set: finding 9.45 M distinct among 10 M records in
 * one took 6 s of cache misses.
 */
function keepSortedOnce(records: Uint8Array, count: number, placeOf: Int32Array): number {
  if (records.byteOffset % 4 !== 0) return -1;
  const words = new Uint32Array(records.buffer, records.byteOffset, count * RECORD_WORDS);
  // Words hold bytes little-endian: compare byte by byte where two words differ.
  const compare = (a: number, b: number) => {
    for (let w = 0; w < RECORD_WORDS; w++) {
      const x = words[a + w];
      const y = words[b + w];
      if (x !== y) {
        for (let shift = 0; shift < 32; shift += 8) {
          const d = ((x >>> shift) & 0xff) - ((y >>> shift) & 0xff);
          if (d !== 0) return d;
        }
      }
    }
    return 0;
  };
  for (let i = 1; i < count; i++) if (compare((i - 1) * RECORD_WORDS, i * RECORD_WORDS) > 0) return -1;
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const at = i * RECORD_WORDS;
    if (kept > 0 && compare((kept - 1) * RECORD_WORDS, at) === 0) {
      placeOf[i] = -kept; // −1 − (kept − 1)
      continue;
    }
    if (kept !== i) words.copyWithin(kept * RECORD_WORDS, at, at + RECORD_WORDS);
    placeOf[i] = kept++;
  }
  return kept;
}

const RECORD_WORDS = RECORD_BYTES / 4;

/**
 * A set of the records written into `records` (by index), by open addressing: dropping
 * duplicates from millions of records costs one hash and a compare or two each, and no
 * string per record.
 */
class RecordSet {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly records: Uint8Array;

  constructor(records: Uint8Array, capacity: number) {
    let size = 1024;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.records = records;
  }

  /** Adds record `id`; returns -1, or the id of the equal record already in the set. */
  add(id: number): number {
    const r = this.records;
    const at = id * RECORD_BYTES;
    let h = 0;
    for (let i = 0; i < RECORD_BYTES; i += 4) {
      const word = r[at + i] | (r[at + i + 1] << 8) | (r[at + i + 2] << 16) | (r[at + i + 3] << 24);
      h = Math.imul(h ^ word, 0x9e3779b1);
      h ^= h >>> 15;
    }
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const other = this.slots[slot];
      if (other === -1) {
        this.slots[slot] = id;
        return -1;
      }
      if (sameRecord(r, other * RECORD_BYTES, at)) return other;
    }
  }
}

function sameRecord(r: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < RECORD_BYTES; i++) if (r[a + i] !== r[b + i]) return false;
  return true;
}
