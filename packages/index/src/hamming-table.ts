import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { popcount32 } from '@staydown/core';
import { DENSE_SORT_KEYS, DenseCells, denseSortKey } from './dense-cells.js';
import { FoldedBlock } from './folded-block.js';
import { HitSet } from './hit-set.js';
import { removeLeftovers } from './process-alive.js';
import {
  CANDIDATES_AT,
  createKernel,
  createMemory,
  growMemory,
  KERNEL_SCRATCH_END,
  KEYS_CAP,
  type Kernel,
  RANGES_AT,
  SKIPPED_AT,
  WASM_PAGE,
  type WasmMemory,
} from './wasm-kernel.js';

/**
 * Exact Hamming range search over distinct 256-bit records (multi-index hashing, Norouzi et al.).
 *
 * The bits are split into m substrings; each gets a table that sorts record ids by the
 * substring's value (CSR: one `offsets` array indexed by value, one `ids` array). A record
 * within distance r of the query has, by pigeonhole, some substring within floor(r/m); the
 * refined form used here (r = r'·m + a) probes the first a+1 tables within r' and the rest
 * within r'−1, then verifies every candidate with a full popcount. Nothing is approximate:
 * the answer is exactly a brute-force scan's. When the probes would cost more than scanning
 * (large radii, small tables, clustered buckets) it scans instead, with the same kernels.
 *
 * Clustered lists (blank or flat images, much-reposted pictures) make a few buckets huge, and
 * walking them costs a cache miss per member. Every record in a bucket of more than
 * HEAVY_BUCKET ids is also copied, once, into a contiguous dense block; probing skips heavy
 * buckets and, when it skipped any, the kernel scans the dense block instead (sequential
 * memory, a few ns per record) — a small scan rather than the whole list or a budget overrun.
 * The block is ordered so that a query reads only the cells of it that can hold a match
 * (dense-cells.ts), and its records are kept folded so that the scan rejects most of those
 * on a quarter or half of their bytes (folded-block.ts). A bitmap of dense-block membership
 * keeps each record reported once.
 *
 * Records, ids, offsets, the dense block and the scratch buffers live in one WebAssembly
 * memory so the kernels read them in place. Memory per record: 32 (record) + 3·m (ids, 4·m
 * above 16 M records) + the offsets (at most 48) + 36 per dense-block member (and its cells'
 * directory, 2.3 MB at 10 M). 118.7 bytes at
 * 10 M clustered hashes (9.45 M distinct, 11 substrings of 23–24 bits covering 255 bits).
 */

export const RECORD_BYTES = 32;
const QUERY_AT = 0;
const KEYS_AT = 64;
const OUT_AT = KEYS_AT + KEYS_CAP * 4;
const OUT_CAP = 65536;
/** The ids array of each probe key's table (probeKeys probes every table in one call). */
const IDS_BASES_AT = OUT_AT + OUT_CAP * 8;
export const RECORD_WORDS = RECORD_BYTES / 4;
/** Records gathered per kernel call: their ids fill the probe keys' scratch, the records its hits'. */
const GATHER_CHUNK = Math.min(KEYS_CAP, (OUT_CAP * 8) / RECORD_BYTES);
/** Query, keys and hits here; the kernel's own scratch above; the tables from SCRATCH_BYTES on. */
const SCRATCH_BYTES = KERNEL_SCRATCH_END;

/**
 * Cost model (ns per operation), measured with the kernels on 1–10 M records: a probe and a
 * candidate each cost about one cache miss; the scan streams memory.
 */
const COST = { probe: 60, verify: 40, scan: 3 };
/**
 * Radius-0 buckets are a fraction of what probing visits (neighbouring keys of a dense key
 * are dense too): scan when they alone exceed 1/DENSE_FACTOR of the candidate budget.
 */
const DENSE_FACTOR = 16;
/**
 * Up to this radius the dense scan tests groups of records on their 64-bit folds, above it on
 * their 128-bit folds (folded-block.ts). On the clustered 10 M list the 64-bit test lets 0.5 %
 * of the scanned records through at r=16 but 62 % at r=31, where the 128-bit one lets 6 %
 * through. Only those two radii were measured; 24 lies between them.
 */
const FOLD64_MAX_DISTANCE = 24;
/**
 * Buckets with more ids than this are skipped by probing; their records are in the dense block.
 * At 10 M clustered hashes 32 rather than 64 put 1.31 M records there instead of 0.83 M (17 MB
 * more, paid for by 2-byte entry-fact codes): the near-heavy buckets around a cluster were
 * walked a cache miss per id, and the block scans them in order. Whole passes of table
 * searches, both tables built from the same records in one process, in both build orders
 * (the same threshold twice: 1.008x and 1.000x): r=16 1.047x and 1.061x, r=31 1.022x and
 * 1.014x (abheavy2.mjs).
 */
export const HEAVY_BUCKET = 32;
/** Below this many records a table is not worth building: the scan is already microseconds. */
export const MIN_TABLE_RECORDS = 4096;
const MAX_SUBSTRING_BITS = 24;
const MIN_SUBSTRING_BITS = 8;
/** The bucket offsets (4 bytes per key, 2^len keys per table) may take this much per record. */
const MAX_OFFSET_BYTES_PER_RECORD = 48;

/**
 * Substring lengths for n records of `bits` bits: m = bits / log2(n) substrings, so a bucket
 * holds about one record (Norouzi et al.; 11 substrings of 23–24 bits at 10 M). The offsets
 * (4 bytes per key) may take MAX_OFFSET_BYTES_PER_RECORD: the bits / m left over after m
 * equal substrings lengthen substrings only while that holds, and any still left over are not
 * indexed. The answer stays exact — pigeonhole holds over the bits the substrings cover, and
 * every candidate is verified on all bits — whereas one more, shorter substring would cost far
 * more: at 9.45 M clustered hashes 12 substrings of 21–22 bits searched r=31 at 1 522–1 555 q/s
 * and 11 of 23–24 at 1 814–2 499 (r=16: 11–14 k against 17–19 k), while the full 11-way
 * split's offsets were over budget by only 1.7 bytes a hash.
 */
export function chooseSubstrings(n: number, bits: number): number[] {
  if (n < MIN_TABLE_RECORDS) return [];
  const maxM = Math.floor(bits / MIN_SUBSTRING_BITS);
  const budget = n * MAX_OFFSET_BYTES_PER_RECORD;
  const offsetsOf = (lengths: number[]) => lengths.reduce((t, len) => t + offsetsBytes(len), 0);
  let m = Math.min(maxM, Math.max(Math.ceil(bits / MAX_SUBSTRING_BITS), Math.round(bits / Math.log2(n))));
  while (m < maxM && offsetsOf(Array(m).fill(Math.floor(bits / m))) > budget) m++;
  const lengths = Array<number>(m).fill(Math.floor(bits / m));
  const extra = bits - lengths[0] * m;
  for (let j = 0; j < extra && lengths[j] < MAX_SUBSTRING_BITS; j++) {
    lengths[j]++;
    if (offsetsOf(lengths) > budget) {
      lengths[j]--;
      break;
    }
  }
  return lengths;
}

/** Record ids take 3 bytes while they fit (≤ 16 M records), else 4. */
export function idBytesFor(count: number): number {
  return count <= 1 << 24 ? 3 : 4;
}

function binomialsUpTo(len: number, k: number): number {
  let total = 0;
  let c = 1;
  for (let t = 0; t <= k; t++) {
    total += c;
    c = (c * (len - t)) / (t + 1);
  }
  return total;
}

/**
 * What a snapshot reflects, for its owner to compare: a store (a random id, so that a store
 * deleted and made again is never taken for the old one; 0 for stores made before ids), a
 * signal and that store's change counter for it.
 */
export interface SnapshotTag {
  store: number;
  signal: string;
  generation: number;
}

/** Whether a snapshot's header carries exactly `tag`. */
export function hasTag(header: TableHeader, tag: SnapshotTag): boolean {
  return header.generation === tag.generation && header.signal === tag.signal && (header.store ?? 0) === tag.store;
}

export interface TableHeader {
  bits: number;
  count: number;
  lengths: number[];
  /** Opaque to the table: the owner's tag, to tell a stale snapshot (see SnapshotTag). */
  generation: number;
  signal: string;
  /** Absent in snapshots written before stores had ids: read as 0. */
  store?: number;
  /** Records in the dense block, and the bucket size above which probing skips a bucket. */
  dense: number;
  heavy: number;
  /** Bytes per id in the tables' id arrays (3 or 4). */
  idBytes: number;
  /**
   * Bytes the owner appended after the table (per-record data in the table's id order, so it
   * is only valid with this very table); absent or 0 in snapshots without any.
   */
  extraBytes?: number;
  /** SHA-256 of the body and extra bytes: a damaged snapshot is rebuilt, never trusted. */
  sha256?: string;
}

/**
 * 004: the dense block is ordered by cell, then popcount (dense-cells.ts). 005: its records
 * are kept folded (folded-block.ts). 006: the owner's entry-fact codes are two bytes
 * (entry-facts.ts), and tables are built with heavy buckets above 32 ids.
 */
const MAGIC = Buffer.from('SDMIH006', 'latin1');
const IO_CHUNK = 1 << 28;

export class HammingTable {
  readonly bits: number;
  readonly count: number;
  readonly lengths: readonly number[];
  private readonly starts: number[];
  private readonly memory: WasmMemory;
  private readonly kernel: Kernel;
  private readonly offsetsAt: number[];
  private readonly recordsAt = SCRATCH_BYTES;
  /** Records in the dense block; heavy-bucket threshold (ids). */
  private dense = 0;
  private readonly heavy: number;
  /** The probe's found records, made at the first probe (tables only scanned never need it). */
  private hits: HitSet | undefined;
  private readonly bitmapAt: number;
  /** Bytes per id in the per-table id arrays (3 up to 16 M records). */
  readonly idBytes: number;
  /**
   * The dense block's directory: a query scans only the cells, and within them the popcounts,
   * that can hold a record within its distance (dense-cells.ts). Made from the block itself,
   * when it is built or loaded.
   */
  private cells: DenseCells | undefined;

  private constructor(
    bits: number,
    count: number,
    lengths: number[],
    memory: WasmMemory,
    idBytes: number,
    heavy = HEAVY_BUCKET,
    dense = 0,
  ) {
    this.bits = bits;
    this.idBytes = idBytes;
    this.heavy = heavy;
    this.dense = dense;
    this.count = count;
    this.lengths = lengths;
    this.starts = [];
    let s = 0;
    for (const len of lengths) {
      this.starts.push(s);
      s += len;
    }
    this.memory = memory;
    this.kernel = createKernel(memory);
    this.offsetsAt = [];
    let at = this.idsAt(lengths.length);
    for (const len of lengths) {
      this.offsetsAt.push(at);
      at += offsetsBytes(len);
    }
    this.bitmapAt = at;
  }

  /** Views of the scratch area, made once per memory buffer (a grown memory has a new one). */
  private views?: ScratchViews;

  private scratch(): ScratchViews {
    const buffer = this.memory.buffer;
    if (this.views?.buffer !== buffer) this.views = scratchViews(buffer);
    return this.views;
  }

  /** How many records sit in the dense block (members of heavy buckets). */
  get denseCount(): number {
    return this.dense;
  }

  private denseIdsAt(): number {
    return this.bitmapAt + bitmapBytes(this.count);
  }

  private denseRecordsAt(): number {
    return align8(this.denseIdsAt() + this.dense * 4);
  }

  /** Records, ids, offsets and the dense block: the part of memory a snapshot holds, in this order. */
  private static bodyBytes(count: number, lengths: readonly number[], idBytes: number, dense = 0): number {
    const tables =
      count * RECORD_BYTES +
      lengths.length * idsBytes(count, idBytes) +
      lengths.reduce((t, len) => t + offsetsBytes(len), 0);
    return align8(tables + bitmapBytes(count) + dense * 4) + dense * RECORD_BYTES;
  }

  private idsAt(j: number): number {
    return this.recordsAt + this.count * RECORD_BYTES + j * idsBytes(this.count, this.idBytes);
  }

  /**
   * Builds from `count` records packed in `records` (count × 32 bytes). `options` force the
   * substring lengths or the heavy-bucket threshold (tests of large-N layouts on small sets).
   */
  static build(
    records: Uint8Array,
    count: number,
    bits: number,
    options: { lengths?: number[]; heavy?: number; idBytes?: number } = {},
  ): HammingTable {
    const lengths = options.lengths ?? chooseSubstrings(count, bits);
    if (lengths.reduce((t, len) => t + len, 0) > bits)
      throw new RangeError(`substrings ${lengths} exceed ${bits} bits`);
    const idBytes = options.idBytes ?? idBytesFor(count);
    const memory = createMemory(SCRATCH_BYTES + HammingTable.bodyBytes(count, lengths, idBytes));
    new Uint8Array(memory.buffer, SCRATCH_BYTES, count * RECORD_BYTES).set(records.subarray(0, count * RECORD_BYTES));
    const table = new HammingTable(bits, count, lengths, memory, idBytes, options.heavy ?? HEAVY_BUCKET);
    table.buildTables();
    table.buildDenseBlock();
    return table;
  }

  /** Marks every member of a heavy bucket, then copies those records (and their ids) into one block. */
  private buildDenseBlock(): void {
    const bitmap = new Uint32Array(this.memory.buffer, this.bitmapAt, bitmapBytes(this.count) / 4);
    for (let j = 0; j < this.lengths.length; j++) {
      const off = this.offsetsView(j);
      const ids = this.idsView(j);
      for (let k = 0; k + 1 < off.length; k++) {
        if (off[k + 1] - off[k] <= this.heavy) continue;
        for (let x = off[k]; x < off[k + 1]; x++) {
          const id = ids.get(x);
          bitmap[id >>> 5] |= 1 << (id & 31);
        }
      }
    }
    let dense = 0;
    for (let w = 0; w < bitmap.length; w++) dense += popcount32(bitmap[w]);
    if (dense === 0) return;
    const needed = SCRATCH_BYTES + HammingTable.bodyBytes(this.count, this.lengths, this.idBytes, dense);
    const have = this.memory.buffer.byteLength;
    if (needed > have) growMemory(this.memory, Math.ceil((needed - have) / WASM_PAGE));
    this.dense = dense;
    const denseIds = new Uint32Array(this.memory.buffer, this.denseIdsAt(), dense);
    const block = this.denseBlock();
    const words = new Uint32Array(this.memory.buffer, this.bitmapAt, bitmapBytes(this.count) / 4);
    // Counting sort of the members by cell, then popcount (ids ascending within one key).
    const recordWords = new Uint32Array(this.memory.buffer, this.recordsAt, this.count * 8);
    const starts = new Uint32Array(DENSE_SORT_KEYS + 1);
    for (let i = 0; i < this.count; i++) {
      if ((words[i >>> 5] & (1 << (i & 31))) !== 0) starts[denseSortKey(recordWords, i * 8) + 1]++;
    }
    for (let k = 1; k < starts.length; k++) starts[k] += starts[k - 1];
    for (let i = 0; i < this.count; i++) {
      if ((words[i >>> 5] & (1 << (i & 31))) === 0) continue;
      const at = starts[denseSortKey(recordWords, i * 8)]++;
      denseIds[at] = i;
      block.write(at, recordWords, i * 8);
    }
    this.cells = DenseCells.of(block);
  }

  /** The dense block's records, kept folded (a fresh view: the memory may have grown). */
  private denseBlock(): FoldedBlock {
    return new FoldedBlock(new Uint32Array(this.memory.buffer, this.denseRecordsAt(), this.dense * 8), this.dense);
  }

  /**
   * Sorts record ids by each substring's value (stable: ids ascend within a bucket). A plain
   * counting sort scatters over a 2^len offsets array and the whole id array, a cache miss
   * per record and table once they outgrow the cache (10 M records: 64 MB of offsets), so
   * ids are first split by the value's top bits into partitions (a few hundred sequential
   * streams) and each partition, whose offsets and ids fit in cache, is counting-sorted alone.
   */
  private buildTables(): void {
    const words = new Uint32Array(this.memory.buffer, this.recordsAt, this.count * 8);
    const n = this.count;
    const keys = new Uint32Array(n);
    // Ids in partition order, and beside each its value's low bits: the bucket passes then
    // read both in order instead of looking the value up by id all over `keys`.
    const byTop = new Uint32Array(n);
    const low = new Uint16Array(n);
    for (let j = 0; j < this.lengths.length; j++) {
      const off = this.offsetsView(j);
      const start = this.starts[j];
      const len = this.lengths[j];
      for (let i = 0; i < n; i++) keys[i] = extract(words, i * 8, start, len);
      const lowBits = Math.min(len, PARTITION_LOW_BITS);
      const parts = 1 << (len - lowBits);
      // Partition starts by the top bits, then ids scattered into them in id order.
      const partStart = new Uint32Array(parts + 1);
      for (let i = 0; i < n; i++) partStart[(keys[i] >>> lowBits) + 1]++;
      for (let p = 1; p <= parts; p++) partStart[p] += partStart[p - 1];
      const cursor = partStart.slice(0, parts);
      for (let i = 0; i < n; i++) {
        const key = keys[i];
        const at = cursor[key >>> lowBits]++;
        byTop[at] = i;
        low[at] = key; // the low 16 bits (the typed array drops the rest)
      }
      const ids = this.idsView(j);
      const buckets = 1 << lowBits;
      off.fill(0);
      for (let p = 0; p < parts; p++) {
        const from = partStart[p];
        const to = partStart[p + 1];
        const base = p * buckets;
        // Bucket sizes of this partition, then their global start positions.
        for (let x = from; x < to; x++) off[base + low[x] + 1]++;
        off[base] = from;
        for (let k = 1; k <= buckets; k++) off[base + k] += off[base + k - 1];
        for (let x = from; x < to; x++) ids.set(off[base + low[x]]++, byTop[x]);
        // The increments moved each bucket's start to its end: shift them back.
        for (let k = buckets; k > 0; k--) off[base + k] = off[base + k - 1];
        off[base] = from;
      }
      off[1 << len] = n;
    }
  }

  /** Table j's ids, 3 or 4 bytes each, little-endian. */
  private idsView(j: number): { get(x: number): number; set(x: number, id: number): void } {
    if (this.idBytes === 4) {
      const ids = new Uint32Array(this.memory.buffer, this.idsAt(j), this.count);
      return {
        get: (x) => ids[x],
        set: (x, id) => {
          ids[x] = id;
        },
      };
    }
    const b = new Uint8Array(this.memory.buffer, this.idsAt(j), this.count * 3);
    return {
      get: (x) => b[3 * x] | (b[3 * x + 1] << 8) | (b[3 * x + 2] << 16),
      set: (x, id) => {
        b[3 * x] = id & 0xff;
        b[3 * x + 1] = (id >>> 8) & 0xff;
        b[3 * x + 2] = id >>> 16;
      },
    };
  }

  private offsetsView(j: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, this.offsetsAt[j], (1 << this.lengths[j]) + 1);
  }

  /** The stored record `id` (a view: copy it before the table is dropped). */
  record(id: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.recordsAt + id * RECORD_BYTES, RECORD_BYTES);
  }

  /** Whether the records ascend, known once asked (recordsAscend). */
  private ascending: boolean | undefined;

  /**
   * Whether every record is bytewise greater than the one before, as in a table built from the
   * store's key order or from a whole sorted import: then the order of ids is the order of
   * hashes, which hit-order.ts uses. Checked once, on first asking.
   */
  recordsAscend(): boolean {
    if (this.ascending === undefined) {
      // Word by word (neighbours share a few bytes at most); the first word that differs is
      // compared with its bytes in stored order, most significant first (80 ms at 9.45 M).
      const words = this.recordWords();
      const bigEndian = (v: number) =>
        (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
      let ascending = true;
      for (let q = 8; q < words.length && ascending; q += 8) {
        let w = 0;
        while (w < 8 && words[q - 8 + w] === words[q + w]) w++;
        ascending = w < 8 && bigEndian(words[q - 8 + w]) < bigEndian(words[q + w]);
      }
      this.ascending = ascending;
    }
    return this.ascending;
  }

  /**
   * Copies the records of `ids[0 … n)` into `into`, record k at words 8k to 8k + 7: in the
   * kernel (wasm-kernel.ts, gather), GATHER_CHUNK ids at a time through the probe's scratch.
   */
  gatherRecords(ids: Int32Array, n: number, into: Uint32Array): void {
    const { keys, outWords } = this.scratch();
    for (let from = 0; from < n; from += GATHER_CHUNK) {
      const m = Math.min(GATHER_CHUNK, n - from);
      keys.set(ids.subarray(from, from + m));
      this.kernel.gather(KEYS_AT, m, this.recordsAt, OUT_AT);
      into.set(outWords.subarray(0, m * RECORD_WORDS), from * RECORD_WORDS);
    }
  }

  /** All records as 32-bit words: record i's are words 8i to 8i + 7 (little-endian, as stored). */
  recordWords(): Uint32Array {
    return new Uint32Array(this.memory.buffer, this.recordsAt, this.count * RECORD_WORDS);
  }

  /** Bytes held (the WebAssembly memory and the probe's found-set). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength + (this.hits?.memoryBytes ?? 0);
  }

  /**
   * Calls `onHit(id, distance)` for every record within `maxDistance` of `query` (32 bytes).
   * A record is reported once. `forceScan` skips the tables (the brute-force baseline).
   * Returns how it searched, for benchmarks and tests.
   */
  search(
    query: Uint8Array,
    maxDistance: number,
    onHit: (id: number, distance: number) => void,
    forceScan = false,
  ): 'index' | 'scan' {
    if (this.count === 0) return 'scan';
    const { query: copy, qwords } = this.scratch();
    // The query's words are read from this aligned copy (the caller's bytes may sit anywhere).
    copy.set(query.subarray(0, RECORD_BYTES));
    if (forceScan || this.lengths.length === 0 || !this.indexIsCheaper(maxDistance) || this.inDenseBuckets(qwords)) {
      this.scan(maxDistance, onHit);
      return 'scan';
    }
    if (this.probe(qwords, maxDistance, onHit)) return 'index';
    this.scan(maxDistance, onHit);
    return 'scan';
  }

  /** radii() by maxDistance: made once, not an array per query (1 % of an r=16 query's time). */
  private readonly radiiByDistance = new Map<number, readonly number[]>();

  /** Each table's probe radius for maxDistance (the refined pigeonhole split). */
  private radii(maxDistance: number): readonly number[] {
    let radii = this.radiiByDistance.get(maxDistance);
    if (radii === undefined) {
      const m = this.lengths.length;
      const base = Math.floor(maxDistance / m);
      const a = maxDistance - base * m;
      radii = this.lengths.map((_, j) => (j <= a ? base : base - 1));
      this.radiiByDistance.set(maxDistance, radii);
    }
    return radii;
  }

  /** indexIsCheaper per radius: the answer depends only on the table's shape. */
  private readonly cheaper = new Map<number, boolean>();

  private indexIsCheaper(maxDistance: number): boolean {
    let known = this.cheaper.get(maxDistance);
    if (known === undefined) {
      known = this.estimateIndexIsCheaper(maxDistance);
      this.cheaper.set(maxDistance, known);
    }
    return known;
  }

  private estimateIndexIsCheaper(maxDistance: number): boolean {
    const radii = this.radii(maxDistance);
    let probes = 0;
    let candidates = 0;
    for (let j = 0; j < radii.length; j++) {
      if (radii[j] < 0) continue;
      const p = binomialsUpTo(this.lengths[j], radii[j]);
      probes += p;
      candidates += (p * this.count) / 2 ** this.lengths[j];
    }
    return probes * COST.probe + candidates * COST.verify < this.count * COST.scan;
  }

  /**
   * True when the query's own buckets (radius 0, one lookup per table) already hold more
   * candidates than a scan could verify in its time, or sit in heavy buckets while the dense
   * block is most of the table (everything clustered): scanning at once avoids paying for both.
   */
  private inDenseBuckets(qwords: Uint32Array): boolean {
    const budget = (this.count * COST.scan) / COST.verify;
    const words = this.scratch().all;
    let total = 0;
    for (let j = 0; j < this.lengths.length; j++) {
      const at = (this.offsetsAt[j] >>> 2) + extract(qwords, 0, this.starts[j], this.lengths[j]);
      const size = words[at + 1] - words[at];
      if (size <= this.heavy) total += size;
      else if (this.dense * 2 > this.count) return true;
    }
    return total * DENSE_FACTOR > budget;
  }

  private scan(maxDistance: number, onHit: (id: number, distance: number) => void): void {
    const { out } = this.scratch();
    for (let start = 0; start < this.count; start += OUT_CAP) {
      const n = Math.min(OUT_CAP, this.count - start);
      const hits = this.kernel.scan(QUERY_AT, this.recordsAt + start * RECORD_BYTES, n, maxDistance, OUT_AT);
      for (let h = 0; h < hits; h++) onHit(start + out[2 * h], out[2 * h + 1]);
    }
  }

  /**
   * Multi-index probing: keys are enumerated here, bucket walks and verification run in the
   * kernel. Returns false (having reported nothing) when the candidates outgrow the budget
   * where a scan would have been cheaper — clustered data makes some buckets huge.
   */
  private probe(qwords: Uint32Array, maxDistance: number, onHit: (id: number, distance: number) => void): boolean {
    // Taken while in use, so that a search made from inside onHit gets a set of its own.
    const found = this.hits ?? new HitSet(this.count);
    this.hits = undefined;
    try {
      return this.probeInto(found, qwords, maxDistance, onHit);
    } finally {
      found.clear();
      this.hits = found;
    }
  }

  private probeInto(
    found: HitSet,
    qwords: Uint32Array,
    maxDistance: number,
    onHit: (id: number, distance: number) => void,
  ): boolean {
    const radii = this.radii(maxDistance);
    const budget = (this.count * COST.scan) / COST.verify;
    const { keys, idsBases, ranges, out, counters } = this.scratch();
    let total = 0;
    /** Heavy buckets skipped: their offsets entry and ids addresses, and how many ids they hold. */
    const heavyKeys: number[] = [];
    let heavyIds = 0;
    // All tables' keys go to the kernel together (more independent reads in flight), in calls
    // of at most `chunk` keys so that light buckets alone cannot run far past the budget.
    const chunk = Math.min(KEYS_CAP, Math.max(64, Math.floor(budget / this.heavy)));
    let nKeys = 0;
    let overflow = false;
    const flush = () => {
      const hits = this.kernel.probeKeys(
        QUERY_AT,
        this.recordsAt,
        KEYS_AT,
        IDS_BASES_AT,
        nKeys,
        maxDistance,
        OUT_AT,
        OUT_CAP,
        this.heavy * this.idBytes,
        this.idBytes,
        idMask(this.idBytes),
      );
      if (counters[SKIPPED] > 0) {
        heavyIds += counters[SKIPPED];
        // The kernel left each key's bucket as a byte range of its ids (sequential, cached).
        const heavyBytes = this.heavy * this.idBytes;
        for (let k = 0; k < nKeys; k++) {
          if (ranges[2 * k + 1] - ranges[2 * k] > heavyBytes) heavyKeys.push(keys[k], idsBases[k]);
        }
      }
      nKeys = 0;
      total += counters[CANDIDATES];
      if (hits > OUT_CAP || total > budget) overflow = true;
      else for (let h = 0; h < hits; h++) found.add(out[2 * h], out[2 * h + 1]);
    };
    for (let j = 0; j < radii.length && !overflow; j++) {
      if (radii[j] < 0) continue;
      const idsAt = this.idsAt(j);
      const offsetsAt = this.offsetsAt[j];
      const len = this.lengths[j];
      const add = (key: number) => {
        keys[nKeys] = offsetsAt + key * 4;
        idsBases[nKeys++] = idsAt;
        if (nKeys === chunk) flush();
      };
      // Every key within radii[j] bits of the query's substring: the query's key XOR each
      // mask of up to two bits (the radii of r ≤ 2m, every PDQ threshold in use at 1 M+
      // hashes), in runs up to the next flush; recursion beyond.
      const key = extract(qwords, 0, this.starts[j], len);
      const radius = radii[j];
      if (radius <= 2) {
        const masks = flipMasks(len, radius);
        for (let from = 0; from < masks.length && !overflow; ) {
          const run = Math.min(masks.length - from, chunk - nKeys);
          for (let i = 0; i < run; i++) {
            keys[nKeys + i] = offsetsAt + (key ^ masks[from + i]) * 4;
            idsBases[nKeys + i] = idsAt;
          }
          nKeys += run;
          from += run;
          if (nKeys === chunk) flush();
        }
        continue;
      }
      const visit = (k: number, from: number, left: number): void => {
        add(k);
        if (left === 0) return;
        for (let b = from; b < len && !overflow; b++) visit(k ^ (1 << b), b + 1, left - 1);
      };
      visit(key, 0, radius);
    }
    if (!overflow && nKeys > 0) flush();
    if (overflow) return false;
    // Which of the dense block a scan would read, worked out only when walking the heavy
    // buckets would cost more than working it out.
    const plan =
      this.cells && heavyIds * COST.verify > this.cells.planCost ? this.cells.ranges(qwords, maxDistance) : undefined;
    if (plan === undefined || heavyIds * COST.verify <= plan.records * COST.scan) {
      // Few heavy ids: walking those buckets costs less than scanning the dense block.
      for (let h = 0; h < heavyKeys.length; h += 2) {
        keys[0] = heavyKeys[h];
        idsBases[0] = heavyKeys[h + 1];
        const hits = this.kernel.probeKeys(
          QUERY_AT,
          this.recordsAt,
          KEYS_AT,
          IDS_BASES_AT,
          1,
          maxDistance,
          OUT_AT,
          OUT_CAP,
          -1,
          this.idBytes,
          idMask(this.idBytes),
        );
        if (hits > OUT_CAP) return false;
        for (let x = 0; x < hits; x++) found.add(out[2 * x], out[2 * x + 1]);
      }
      const { ids, distances } = found;
      for (let h = 0; h < found.size; h++) onHit(ids[h], distances[h]);
      return true;
    }
    // Many heavy ids: all their records are in the dense block, whose cells that can hold a
    // match are scanned. Records found in light buckets that the block also holds are left to
    // the scan.
    if (this.dense * 2 > this.count) return false;
    const denseIds = new Uint32Array(this.memory.buffer, this.denseIdsAt(), this.dense);
    const base = this.denseRecordsAt();
    const cellRanges = plan.ranges;
    const useFold64 = maxDistance <= FOLD64_MAX_DISTANCE ? 1 : 0;
    for (let r = 0; r < cellRanges.length; r += 2) {
      for (let start = cellRanges[r]; start < cellRanges[r + 1]; start += OUT_CAP) {
        const end = Math.min(start + OUT_CAP, cellRanges[r + 1]);
        const hits = this.kernel.scanFolded(QUERY_AT, base, this.dense, start, end, maxDistance, OUT_AT, useFold64);
        for (let h = 0; h < hits; h++) onHit(denseIds[out[2 * h]], out[2 * h + 1]);
      }
    }
    const bitmap = new Uint32Array(this.memory.buffer, this.bitmapAt, bitmapBytes(this.count) / 4);
    const { ids, distances } = found;
    for (let h = 0; h < found.size; h++) {
      const id = ids[h];
      if ((bitmap[id >>> 5] & (1 << (id & 31))) === 0) onHit(id, distances[h]);
    }
    return true;
  }

  /**
   * Writes the table to `path` atomically (temporary file, fsync, rename), followed by the
   * owner's `extra` bytes, which readSnapshot hands back with this same table.
   */
  writeSnapshot(path: string, tag: SnapshotTag, extra?: Uint8Array): void {
    const body = new Uint8Array(
      this.memory.buffer,
      this.recordsAt,
      HammingTable.bodyBytes(this.count, this.lengths, this.idBytes, this.dense),
    );
    const header: TableHeader = {
      bits: this.bits,
      count: this.count,
      lengths: [...this.lengths],
      generation: tag.generation,
      signal: tag.signal,
      store: tag.store,
      dense: this.dense,
      heavy: this.heavy,
      idBytes: this.idBytes,
      extraBytes: extra?.byteLength ?? 0,
      sha256: snapshotDigest(body, extra),
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const head = Buffer.alloc(align8(MAGIC.length + 4 + json.length));
    MAGIC.copy(head, 0);
    head.writeUInt32LE(json.length, MAGIC.length);
    json.copy(head, MAGIC.length + 4);
    removeStaleTemps(path);
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, head);
      writeAll(fd, body);
      if (extra && extra.byteLength > 0) writeAll(fd, extra);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(tmp);
      throw error;
    }
    closeSync(fd);
    renameSync(tmp, path);
  }

  /** Reads only the header, to decide whether a snapshot is current. Undefined when unreadable. */
  static readHeader(path: string): { header: TableHeader; dataAt: number } | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const fixed = Buffer.alloc(MAGIC.length + 4);
      if (readSync(fd, fixed, 0, fixed.length, 0) !== fixed.length || !fixed.subarray(0, 8).equals(MAGIC)) return;
      const len = fixed.readUInt32LE(MAGIC.length);
      if (len > 1 << 20) return undefined;
      const json = Buffer.alloc(len);
      if (readSync(fd, json, 0, len, fixed.length) !== len) return undefined;
      const header = JSON.parse(json.toString('utf8')) as TableHeader;
      if (!Number.isInteger(header.count) || !Array.isArray(header.lengths)) return undefined;
      if (!Number.isInteger(header.dense) || !Number.isInteger(header.heavy)) return undefined;
      if (header.dense < 0 || header.dense > header.count || header.heavy < 1) return undefined;
      if (header.idBytes !== 3 && header.idBytes !== 4) return undefined;
      if (header.idBytes === 3 && header.count > 1 << 24) return undefined;
      header.extraBytes ??= 0;
      if (!Number.isSafeInteger(header.extraBytes) || header.extraBytes < 0) return undefined;
      return { header, dataAt: align8(fixed.length + len) };
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** Loads a snapshot written by writeSnapshot; undefined when missing, truncated or foreign. */
  static readSnapshot(
    path: string,
  ): { table: HammingTable; header: TableHeader; extra: Uint8Array | undefined } | undefined {
    const head = HammingTable.readHeader(path);
    if (!head) return undefined;
    const { header, dataAt } = head;
    const { count, lengths, bits, dense, heavy, idBytes } = header;
    if (lengths.some((len) => !Number.isInteger(len) || len < 1 || len > MAX_SUBSTRING_BITS)) return undefined;
    if (lengths.reduce((t, len) => t + len, 0) > bits) return undefined;
    const bodyBytes = HammingTable.bodyBytes(count, lengths, idBytes, dense);
    const extraBytes = header.extraBytes ?? 0;
    if (statSync(path).size !== dataAt + bodyBytes + extraBytes) return undefined;
    const memory = createMemory(SCRATCH_BYTES + bodyBytes);
    const extra = extraBytes > 0 ? new Uint8Array(extraBytes) : undefined;
    const body = new Uint8Array(memory.buffer, SCRATCH_BYTES, bodyBytes);
    const fd = openSync(path, 'r');
    try {
      readAll(fd, body, dataAt);
      if (extra) readAll(fd, extra, dataAt + bodyBytes);
    } finally {
      closeSync(fd);
    }
    // A damaged file of the right size would give wrong answers (or read out of bounds): the
    // owner rebuilds from the store instead. Snapshots written before the digest existed too.
    if (header.sha256 !== snapshotDigest(body, extra)) return undefined;
    const table = new HammingTable(bits, count, lengths, memory, idBytes, heavy, dense);
    if (dense > 0) {
      // The directory is made from the block; a block out of its order is a foreign layout.
      table.cells = DenseCells.of(table.denseBlock());
      if (!table.cells) return undefined;
    }
    return { table, header, extra };
  }
}

/** Removes `<path>.<pid>.tmp` files of writers that were killed mid-write (as large as the snapshot). */
function removeStaleTemps(path: string): void {
  const prefix = `${basename(path)}.`;
  removeLeftovers(dirname(path), (name) =>
    name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -'.tmp'.length)) : undefined,
  );
}

/** SHA-256 of a snapshot's body and extra bytes (about 0.7 s per GB here): integrity, not secrecy. */
function snapshotDigest(body: Uint8Array, extra: Uint8Array | undefined): string {
  const hash = createHash('sha256').update(body);
  if (extra) hash.update(extra);
  return hash.digest('hex');
}

/**
 * Appendable records searched by linear scan: the entries added since the table was built.
 * Kept small (the owner rebuilds the table when it grows), so scanning it costs little.
 */
export class LinearStore {
  private memory: WasmMemory;
  private kernel: Kernel;
  private capacity: number;
  count = 0;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.memory = createMemory(SCRATCH_BYTES + capacity * RECORD_BYTES);
    this.kernel = createKernel(this.memory);
  }

  append(record: Uint8Array): number {
    if (this.count === this.capacity) {
      const more = this.capacity;
      growMemory(this.memory, Math.ceil((more * RECORD_BYTES) / 65536));
      this.capacity += more;
    }
    new Uint8Array(this.memory.buffer, SCRATCH_BYTES + this.count * RECORD_BYTES, RECORD_BYTES).set(record);
    return this.count++;
  }

  record(id: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, SCRATCH_BYTES + id * RECORD_BYTES, RECORD_BYTES);
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  search(query: Uint8Array, maxDistance: number, onHit: (id: number, distance: number) => void): void {
    new Uint8Array(this.memory.buffer, QUERY_AT, RECORD_BYTES).set(query);
    const out = new Int32Array(this.memory.buffer, OUT_AT, OUT_CAP * 2);
    for (let start = 0; start < this.count; start += OUT_CAP) {
      const n = Math.min(OUT_CAP, this.count - start);
      const hits = this.kernel.scan(QUERY_AT, SCRATCH_BYTES + start * RECORD_BYTES, n, maxDistance, OUT_AT);
      for (let h = 0; h < hits; h++) onHit(start + out[2 * h], out[2 * h + 1]);
    }
  }
}

interface ScratchViews {
  buffer: ArrayBuffer;
  /** All of memory as words (bucket offsets are read by address). */
  all: Uint32Array;
  query: Uint8Array;
  qwords: Uint32Array;
  keys: Uint32Array;
  idsBases: Uint32Array;
  ranges: Uint32Array;
  out: Int32Array;
  /** The hits' scratch as words: gatherRecords' records. */
  outWords: Uint32Array;
  /** The kernel's counters: [CANDIDATES] and [SKIPPED]. */
  counters: Uint32Array;
}

const CANDIDATES = 0;
const SKIPPED = (SKIPPED_AT - CANDIDATES_AT) / 4;

function scratchViews(buffer: ArrayBuffer): ScratchViews {
  return {
    buffer,
    all: new Uint32Array(buffer),
    query: new Uint8Array(buffer, QUERY_AT, RECORD_BYTES),
    qwords: new Uint32Array(buffer, QUERY_AT, 8),
    keys: new Uint32Array(buffer, KEYS_AT, KEYS_CAP),
    idsBases: new Uint32Array(buffer, IDS_BASES_AT, KEYS_CAP),
    ranges: new Uint32Array(buffer, RANGES_AT, KEYS_CAP * 2),
    out: new Int32Array(buffer, OUT_AT, OUT_CAP * 2),
    outWords: new Uint32Array(buffer, OUT_AT, OUT_CAP * 2),
    counters: new Uint32Array(buffer, CANDIDATES_AT, 2),
  };
}

/** flipMasks' answers by len × 4 + radius: a handful of substring lengths, radii 0–2. */
const flipMaskCache = new Map<number, Int32Array>();

/**
 * Every mask of up to `radius` (0–2) set bits among `len`: XORed with a key, the keys within
 * `radius` of it. Written out a run at a time, the probe keys of an r=31 query (3 035 at
 * 10 M hashes) cost less than with a call per key.
 * @internal exported for tests
 */
export function flipMasks(len: number, radius: number): Int32Array {
  const cacheKey = len * 4 + radius;
  let masks = flipMaskCache.get(cacheKey);
  if (masks === undefined) {
    const out = [0];
    for (let a = 0; a < len && radius >= 1; a++) {
      out.push(1 << a);
      for (let b = a + 1; b < len && radius >= 2; b++) out.push((1 << a) | (1 << b));
    }
    masks = Int32Array.from(out);
    flipMaskCache.set(cacheKey, masks);
  }
  return masks;
}

/** `len` bits (≤ 32) starting at bit `start` of the record whose words begin at `base`. */
function extract(words: Uint32Array, base: number, start: number, len: number): number {
  const w = start >>> 5;
  const shift = start & 31;
  let v = words[base + w] >>> shift;
  if (shift + len > 32) v |= words[base + w + 1] << (32 - shift);
  return (v & ((1 << len) - 1)) >>> 0;
}

/** Buckets counting-sorted at once within one partition (256 KB of offsets: fits in cache). */
const PARTITION_LOW_BITS = 16;

function offsetsBytes(len: number): number {
  return ((1 << len) + 1) * 4;
}

/** One table's id array: ids of idBytes each, padded so the kernel's 4-byte read of the last stays inside. */
function idsBytes(count: number, idBytes: number): number {
  return (count * idBytes + 4 + 3) & ~3;
}

function idMask(idBytes: number): number {
  return idBytes === 4 ? -1 : (1 << (idBytes * 8)) - 1;
}

function bitmapBytes(count: number): number {
  return Math.ceil(count / 32) * 4;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) {
    at += writeSync(fd, bytes, at, Math.min(IO_CHUNK, bytes.length - at));
  }
}

function readAll(fd: number, into: Uint8Array, position: number): void {
  for (let at = 0; at < into.length; ) {
    const n = readSync(fd, into, at, Math.min(IO_CHUNK, into.length - at), position + at);
    if (n === 0) throw new Error('snapshot ended early');
    at += n;
  }
}
