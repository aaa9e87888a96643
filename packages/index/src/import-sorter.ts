import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { removeLeftovers } from './process-alive.js';
import { byKeyFields, type Entry, entryKey, sortByKey } from './store.js';

/**
 * Puts one import's entries in key order with bounded memory. LMDB copies every leaf page a
 * transaction touches, so batches of random hashes written as they come dirty most of the
 * B-tree each time and an import slows as the index grows (10 M hashes: about 30 k/s).
 * Written in key order, each batch touches only the leaves of its own key range, and a fresh
 * index is appended to.
 *
 * Up to `memoryEntries` entries are sorted in memory. Past that, entries are distributed by
 * signal and the hash's first byte (key order between partitions) into files in the index
 * folder, and each partition is read back and sorted alone: every entry is written and read
 * once, and no k-way merge compares keys. Only the list file's keys and labels go to disk,
 * never image content. Sorts are stable, so of entries with equal keys the first in the file
 * comes first (and is the one stored).
 */

const SEP = '\x1f';
/** Folder in the index directory for imports in progress, one subfolder each. */
const PARTITIONS_FOLDER = 'import-partitions';
/** Bytes buffered per partition before they are appended to its file. */
const PARTITION_BUFFER = 64 << 10;

interface Partition {
  signal: string;
  /** The hash's first two hex digits. */
  prefix: string;
  file: string;
  buffer: Buffer;
  used: number;
  /** Value of the last record written: a record with the same value stores a flag only. */
  last: Entry | undefined;
}

export class ImportSorter {
  private readonly dir: string;
  private readonly memoryEntries: number;
  private pending: Entry[] = [];
  private partitions: Map<string, Partition> | undefined;

  constructor(indexDir: string, memoryEntries: number) {
    this.dir = path.join(indexDir, PARTITIONS_FOLDER, `${process.pid}-${Date.now()}`);
    this.memoryEntries = memoryEntries;
    // Every import clears what killed ones left (a 10 M import leaves about 800 MB), even one
    // small enough to sort in memory.
    removeStalePartitions(path.dirname(this.dir));
  }

  /** Whether entries went to partition files (the import did not fit in memory). */
  get spilled(): boolean {
    return this.partitions !== undefined;
  }

  add(entry: Entry): void {
    if (this.partitions) {
      this.toPartition(entry);
      return;
    }
    this.pending.push(entry);
    if (this.pending.length > this.memoryEntries) {
      mkdirSync(this.dir, { recursive: true });
      this.partitions = new Map();
      for (const e of this.pending) this.toPartition(e);
      this.pending = [];
    }
  }

  /** Drops what was added (a strict import that failed keeps only its error count). */
  discard(): void {
    this.pending = [];
    this.partitions?.clear(); // their files go with dispose()
  }

  /** Every entry added, in key order. */
  *sorted(): Generator<Entry> {
    if (!this.partitions) {
      yield* sortByKey(this.pending);
      return;
    }
    const parts = [...this.partitions.values()];
    for (const p of parts) flushPartition(p);
    parts.sort((a, b) =>
      byKeyFields({ signal: a.signal, hash: a.prefix, list: '' }, { signal: b.signal, hash: b.prefix, list: '' }),
    );
    for (const p of parts) {
      const entries = readPartition(p.file);
      rmSync(p.file, { force: true });
      yield* sortByKey(entries);
    }
  }

  dispose(): void {
    this.pending = [];
    if (!this.partitions) return;
    this.partitions = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    try {
      rmdirSync(path.dirname(this.dir)); // only when no other import is using it
    } catch {}
  }

  private toPartition(e: Entry): void {
    const partitions = this.partitions as Map<string, Partition>;
    const id = `${e.signal}${SEP}${e.hash.slice(0, 2)}`;
    let p = partitions.get(id);
    if (!p) {
      p = {
        signal: e.signal,
        prefix: e.hash.slice(0, 2),
        file: path.join(this.dir, `part-${partitions.size}`),
        buffer: Buffer.allocUnsafe(PARTITION_BUFFER),
        used: 0,
        last: undefined,
      };
      partitions.set(id, p);
    }
    const key = entryKey(e.signal, e.hash, e.list);
    const same =
      p.last !== undefined &&
      e.label === p.last.label &&
      e.ref === p.last.ref &&
      e.addedAt === p.last.addedAt &&
      e.source === p.last.source;
    const value = same ? '' : JSON.stringify([e.label, e.ref, e.addedAt, e.source]);
    const room = 2 + key.length * 3 + 4 + value.length * 3;
    if (p.used + room > p.buffer.length) {
      flushPartition(p);
      if (room > p.buffer.length) p.buffer = Buffer.allocUnsafe(room);
    }
    // Record: u16 key bytes, key, u32 value bytes (0: same value as the record before), value.
    const keyBytes = p.buffer.write(key, p.used + 2, 'utf8');
    p.buffer.writeUInt16LE(keyBytes, p.used);
    p.used += 2 + keyBytes;
    const valueBytes = value === '' ? 0 : p.buffer.write(value, p.used + 4, 'utf8');
    p.buffer.writeUInt32LE(valueBytes, p.used);
    p.used += 4 + valueBytes;
    p.last = e;
  }
}

/** Appends the partition's buffered records to its file (opened and closed each time, so
 * hundreds of partitions never hold hundreds of descriptors). */
function flushPartition(p: Partition): void {
  if (p.used === 0) return;
  const fd = openSync(p.file, 'a');
  try {
    writeSync(fd, p.buffer, 0, p.used);
  } finally {
    closeSync(fd);
  }
  p.used = 0;
}

function readPartition(file: string): Entry[] {
  const bytes = readFileSync(file);
  const out: Entry[] = [];
  let value: [string | null, string | null, string, string | null] = [null, null, '', null];
  for (let at = 0; at < bytes.length; ) {
    const keyBytes = bytes.readUInt16LE(at);
    const key = bytes.toString('utf8', at + 2, at + 2 + keyBytes);
    at += 2 + keyBytes;
    const valueBytes = bytes.readUInt32LE(at);
    at += 4;
    if (valueBytes > 0) {
      value = JSON.parse(bytes.toString('utf8', at, at + valueBytes));
      at += valueBytes;
    }
    const a = key.indexOf(SEP);
    const b = key.indexOf(SEP, a + 1);
    out.push({
      signal: key.slice(0, a),
      hash: key.slice(a + 1, b),
      list: key.slice(b + 1),
      label: value[0],
      ref: value[1],
      addedAt: value[2],
      source: value[3],
    });
  }
  return out;
}

/** Partitions left by imports whose process is gone (killed mid-import). */
function removeStalePartitions(parent: string): void {
  removeLeftovers(parent, (name) => Number(name.split('-')[0]));
  try {
    rmdirSync(parent); // only when nothing is left in it
  } catch {}
}
