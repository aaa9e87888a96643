import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { removeLeftovers } from './process-alive.js';
import { orderRecords } from './record-order.js';
import type { Entry } from './store.js';

/**
 * Puts one import's entries in key order with bounded memory. LMDB copies every leaf page a
 * transaction touches, so batches of random hashes written as they come dirty most of the
 * B-tree each time and an import slows as the index grows (10 M hashes: about 30 k/s).
 * Written in key order, each batch touches only the leaves of its own key range, and a fresh
 * index is appended to.
 *
 * Entries are kept as binary records, distributed by signal and the hash's first byte (key
 * order between partitions): the hash's bytes, the list's number and the entry's other fields
 * as JSON, or nothing when they equal the previous record's (a text list's rows all share
 * them). Up to `memoryEntries` records wait in memory; past that every partition's records are
 * appended to its file in the index folder. Each partition is then read back and sorted alone
 * by its records' bytes with the native typed-array sort (record-order.ts): every entry is
 * written and read once, no k-way merge compares keys, and no object or string is made per
 * entry until it is handed out. Only the list file's keys and labels go to disk, never image
 * content. The sort is stable, so of entries with equal keys the first in the file comes
 * first (and is the one stored).
 */

/** Folder in the index directory for imports in progress, one subfolder each. */
const PARTITIONS_FOLDER = 'import-partitions';
/** A partition's first buffer; it grows while the import fits in memory. */
const FIRST_BUFFER = 4 << 10;
/** A buffer grown past this is dropped when its records go to disk (memory stays bounded). */
const KEPT_BUFFER = 256 << 10;
/** Hash bytes a record holds (a length byte); built-in signals have at most 32. */
const MAX_HASH_BYTES = 255;
/** Partition of hashes with no digits (index 256 of a signal's partitions). */
const NO_DIGITS = 256;

/** Entries handed out per chunk: one partition can hold most of an import. */
const CHUNK_ENTRIES = 8192;

/** Entries of one signal in key order, with their hashes' bytes. */
export interface SortedChunk {
  signal: string;
  entries: Entry[];
  /** Entry i's hash bytes at i × stride, zero-padded to stride. */
  hashes: Uint8Array;
  stride: number;
}

/** What an entry holds besides its signal and hash. */
export type EntryFields = Omit<Entry, 'signal' | 'hash'>;

type Value = [label: string | null, ref: string | null, addedAt: string, source: string | null];

interface Partition {
  signal: string;
  /** The hash's first byte, or NO_DIGITS. */
  first: number;
  file: string;
  /** Records in the file, followed by those in `buffer`. */
  onDisk: boolean;
  buffer: Buffer;
  used: number;
  count: number;
  /** Longest hash in the partition (bytes); hashes of one signal all have one length. */
  widest: number;
  /** The fields the last record carries: a record with the same fields stores none. */
  last: EntryFields | undefined;
}

export class ImportSorter {
  private readonly dir: string;
  private readonly memoryEntries: number;
  /** Per signal, its partitions by the hash's first byte (NO_DIGITS last). */
  private bySignal = new Map<string, Array<Partition | undefined>>();
  private lastSignal = '';
  private lastPartitions: Array<Partition | undefined> = [];
  private readonly lists: string[] = [];
  private readonly listIds = new Map<string, number>();
  private lastList: string | undefined;
  private lastListId = 0;
  private inMemory = 0;
  private readonly scratch = Buffer.alloc(MAX_HASH_BYTES);
  private files = 0;
  private wroteFiles = false;

  constructor(indexDir: string, memoryEntries: number) {
    // Unique per import, even for two started in one millisecond by one process (they would
    // otherwise append to each other's files); the pid comes first for removeLeftovers.
    this.dir = path.join(indexDir, PARTITIONS_FOLDER, `${process.pid}-${Date.now()}-${randomBytes(6).toString('hex')}`);
    this.memoryEntries = memoryEntries;
    // Every import clears what killed ones left (a 10 M import leaves about 500 MB), even one
    // small enough to sort in memory.
    removeStalePartitions(path.dirname(this.dir));
  }

  /** Whether entries went to partition files (the import did not fit in memory). */
  get spilled(): boolean {
    return this.wroteFiles;
  }

  /** Adds an entry; its hash must be lowercase hex of whole bytes, as signals normalize it. */
  add(e: Entry): void {
    const hash = e.hash;
    const bytes = hash.length >> 1;
    // Buffer.write would take uppercase digits and store them lowercased, unlike index.add().
    if ((hash.length & 1) !== 0 || bytes > MAX_HASH_BYTES || hash !== hash.toLowerCase()) throw notHex(e.signal, hash);
    if (this.scratch.write(hash, 0, bytes, 'hex') !== bytes) throw notHex(e.signal, hash);
    this.addHash(e.signal, this.scratch, 0, bytes, e);
  }

  /** Adds an entry whose hash is the `bytes` bytes of `from` at `at`; `fields` gives the rest. */
  addHash(signal: string, from: Uint8Array, at: number, bytes: number, fields: EntryFields): void {
    if (bytes > MAX_HASH_BYTES) throw notHex(signal, Buffer.from(from.subarray(at, at + bytes)).toString('hex'));
    const p = this.partition(signal, bytes === 0 ? NO_DIGITS : from[at]);
    const last = p.last;
    const same =
      last !== undefined &&
      fields.label === last.label &&
      fields.ref === last.ref &&
      fields.addedAt === last.addedAt &&
      fields.source === last.source;
    const value = same ? '' : JSON.stringify([fields.label, fields.ref, fields.addedAt, fields.source] satisfies Value);
    const room = 1 + bytes + 8 + value.length * 3;
    if (p.used + room > p.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(p.buffer.length * 2, p.used + room));
      p.buffer.copy(bigger, 0, 0, p.used);
      p.buffer = bigger;
    }
    // Record: u8 hash bytes, the hash, u32 list number, u32 field bytes (0: as the record
    // before in this partition), the fields as JSON.
    const buffer = p.buffer;
    let to = p.used;
    buffer[to++] = bytes;
    for (let k = 0; k < bytes; k++) buffer[to++] = from[at + k];
    buffer.writeUInt32LE(this.listId(fields.list), to);
    const valueBytes = value === '' ? 0 : buffer.write(value, to + 8, 'utf8');
    buffer.writeUInt32LE(valueBytes, to + 4);
    p.used = to + 8 + valueBytes;
    p.last = fields;
    p.count++;
    if (bytes > p.widest) p.widest = bytes;
    if (++this.inMemory > this.memoryEntries) this.spill();
  }

  /** How many entries of each signal were added. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.all()) out.set(p.signal, (out.get(p.signal) ?? 0) + p.count);
    return out;
  }

  /** Drops what was added (a strict import that failed keeps only its error count). */
  discard(): void {
    for (const p of this.all()) if (p.onDisk) rmSync(p.file, { force: true });
    this.bySignal.clear();
    this.lastSignal = '';
    this.lastPartitions = [];
    this.inMemory = 0;
  }

  /** Every entry added, in key order. */
  *sorted(): Generator<Entry> {
    for (const chunk of this.sortedChunks()) yield* chunk.entries;
  }

  /** Every entry added, in key order, in chunks of at most `size` entries of one signal. */
  *sortedChunks(size = CHUNK_ENTRIES): Generator<SortedChunk> {
    // A hash with no digits sorts before every other of its signal.
    const place = (p: Partition) => (p.first === NO_DIGITS ? -1 : p.first);
    const parts = [...this.all()].sort((a, b) =>
      a.signal !== b.signal ? (a.signal < b.signal ? -1 : 1) : place(a) - place(b),
    );
    // Lists compare as the key's strings do (store.ts byKeyFields): by rank.
    const rank = new Uint32Array(this.lists.length);
    const byName = this.lists.map((_, i) => i).sort((a, b) => (this.lists[a] < this.lists[b] ? -1 : 1));
    byName.forEach((id, r) => {
      rank[id] = r;
    });
    for (const p of parts) {
      const memory = p.buffer.subarray(0, p.used);
      let records = memory;
      if (p.onDisk) {
        const file = readFileSync(p.file);
        rmSync(p.file, { force: true });
        records = Buffer.concat([file, memory]);
      }
      p.buffer = Buffer.alloc(0);
      p.used = 0;
      yield* this.sortedPartition(p, records, rank, size);
    }
    this.bySignal.clear();
  }

  dispose(): void {
    this.discard();
    if (!this.wroteFiles) return;
    rmSync(this.dir, { recursive: true, force: true });
    try {
      rmdirSync(path.dirname(this.dir)); // only when no other import is using it
    } catch {}
  }

  private *sortedPartition(p: Partition, records: Buffer, rank: Uint32Array, size: number): Generator<SortedChunk> {
    const n = p.count;
    const width = p.widest;
    // Sort keys: the hash zero-padded to the widest, its length (a shorter hash sorts first,
    // as its hex does), the list's rank, big-endian.
    const stride = width + 5;
    const keys = new Uint8Array(n * stride);
    const listOf = new Uint32Array(n);
    const values = new Array<Value>(n);
    let value: Value | undefined;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const bytes = records[at];
      const k = i * stride;
      // Byte loops here and below: a subarray per record cost more than the copy.
      for (let b = 0; b < bytes; b++) keys[k + b] = records[at + 1 + b];
      keys[k + width] = bytes;
      at += 1 + bytes;
      const list = records.readUInt32LE(at);
      listOf[i] = list;
      const r = rank[list];
      keys[k + width + 1] = r >>> 24;
      keys[k + width + 2] = (r >>> 16) & 0xff;
      keys[k + width + 3] = (r >>> 8) & 0xff;
      keys[k + width + 4] = r & 0xff;
      const valueBytes = records.readUInt32LE(at + 4);
      at += 8;
      if (valueBytes > 0) {
        value = JSON.parse(records.toString('utf8', at, at + valueBytes)) as Value;
        at += valueBytes;
      }
      values[i] = value as Value;
    }
    const order = orderRecords(keys, n, stride, stride);
    for (let from = 0; from < n; from += size) {
      const m = Math.min(size, n - from);
      const entries = new Array<Entry>(m);
      const hashes = new Uint8Array(m * width);
      for (let j = 0; j < m; j++) {
        const k = order[from + j] * stride;
        for (let b = 0; b < width; b++) hashes[j * width + b] = keys[k + b];
      }
      // The chunk's hex in one native call; each entry's hash is a piece of it.
      const hex = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength).toString('hex');
      for (let j = 0; j < m; j++) {
        const i = order[from + j];
        const v = values[i];
        entries[j] = {
          signal: p.signal,
          hash: hex.substring(j * width * 2, (j * width + keys[i * stride + width]) * 2),
          list: this.lists[listOf[i]],
          label: v[0],
          ref: v[1],
          addedAt: v[2],
          source: v[3],
        };
      }
      yield { signal: p.signal, entries, hashes, stride: width };
    }
  }

  private partition(signal: string, first: number): Partition {
    if (signal !== this.lastSignal || this.lastPartitions.length === 0) {
      let parts = this.bySignal.get(signal);
      if (!parts) {
        parts = new Array<Partition | undefined>(NO_DIGITS + 1);
        this.bySignal.set(signal, parts);
      }
      this.lastSignal = signal;
      this.lastPartitions = parts;
    }
    let p = this.lastPartitions[first];
    if (!p) {
      p = {
        signal,
        first,
        file: path.join(this.dir, `part-${this.files++}`),
        onDisk: false,
        buffer: Buffer.allocUnsafe(FIRST_BUFFER),
        used: 0,
        count: 0,
        widest: 0,
        last: undefined,
      };
      this.lastPartitions[first] = p;
    }
    return p;
  }

  private listId(list: string): number {
    if (list === this.lastList) return this.lastListId;
    let id = this.listIds.get(list);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push(list);
      this.listIds.set(list, id);
    }
    this.lastList = list;
    this.lastListId = id;
    return id;
  }

  /** Appends every partition's waiting records to its file. */
  private spill(): void {
    if (!this.wroteFiles) mkdirSync(this.dir, { recursive: true });
    this.wroteFiles = true;
    for (const p of this.all()) {
      if (p.used === 0) continue;
      // Opened and closed each time, so hundreds of partitions never hold hundreds of descriptors.
      const fd = openSync(p.file, 'a');
      try {
        writeSync(fd, p.buffer, 0, p.used);
      } finally {
        closeSync(fd);
      }
      p.onDisk = true;
      p.used = 0;
      if (p.buffer.length > KEPT_BUFFER) p.buffer = Buffer.allocUnsafe(FIRST_BUFFER);
    }
    this.inMemory = 0;
  }

  private *all(): Generator<Partition> {
    for (const parts of this.bySignal.values()) for (const p of parts) if (p) yield p;
  }
}

function notHex(signal: string, hash: string): StaydownError {
  return new StaydownError(
    ErrorCodes.INVALID_HASH,
    `${signal} hash must be lowercase hex of whole bytes (at most ${MAX_HASH_BYTES}), got ${JSON.stringify(hash.slice(0, 80))}`,
    { details: { signal } },
  );
}

/** Partitions left by imports whose process is gone (killed mid-import). */
function removeStalePartitions(parent: string): void {
  removeLeftovers(parent, (name) => Number(name.split('-')[0]));
  try {
    rmdirSync(parent); // only when nothing is left in it
  } catch {}
}
