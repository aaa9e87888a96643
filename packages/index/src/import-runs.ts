import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { byKeyFields, type Entry, entryKey } from './store.js';

/**
 * An external merge sort of one import's entries. LMDB copies every leaf page a transaction
 * touches, so batches of random hashes written as they come dirty most of the B-tree each time
 * and an import slows as the index grows (10 M hashes: about 30 k/s). Written in key order,
 * each batch touches only the leaves of its own key range, and a fresh index is appended to.
 *
 * Entries are sorted in memory in runs of bounded size; a run that is not the last is
 * spilled to a temporary file in the index folder, and the runs are merged back in key
 * order. Only keys and values of the list file go to disk, never image content. Entries with
 * equal keys come out in file order, so the first of them is the one stored.
 */

const SEP = '\x1f';
/** Folder in the index directory for the runs of imports in progress, one subfolder each. */
const RUNS_FOLDER = 'import-runs';
const CHUNK_BYTES = 4 << 20;

type Value = [label: string | null, ref: string | null, addedAt: string, source: string | null];

/** Sorted runs spilled to `<index dir>/import-runs/<pid>-<time>`; dispose() removes them. */
export class SpilledRuns {
  private readonly dir: string;
  private readonly files: string[] = [];
  private created = false;

  constructor(indexDir: string) {
    this.dir = path.join(indexDir, RUNS_FOLDER, `${process.pid}-${Date.now()}`);
  }

  get count(): number {
    return this.files.length;
  }

  /** Writes entries already in key order (sortByKey) as the next run. */
  spill(sorted: readonly Entry[]): void {
    if (!this.created) {
      removeStaleRuns(path.dirname(this.dir));
      mkdirSync(this.dir, { recursive: true });
      this.created = true;
    }
    const file = path.join(this.dir, `run-${this.files.length}`);
    const values: Value[] = [];
    const valueIds = new Map<string, number>();
    const fd = openSync(file, 'w');
    try {
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      let at = 0;
      let last: Pick<Entry, 'label' | 'ref' | 'addedAt' | 'source'> = { label: '', ref: '', addedAt: '', source: '' };
      let id = -1;
      for (const e of sorted) {
        const key = entryKey(e.signal, e.hash, e.list);
        if (at + key.length * 3 + 6 > CHUNK_BYTES) {
          writeSync(fd, buf, 0, at);
          at = 0;
        }
        // Imports repeat one value for millions of rows: look it up only when it changes.
        if (e.label !== last.label || e.ref !== last.ref || e.addedAt !== last.addedAt || e.source !== last.source) {
          last = e;
          const tag = `${e.label ?? '\0'}${SEP}${e.ref ?? '\0'}${SEP}${e.addedAt}${SEP}${e.source ?? '\0'}`;
          let found = valueIds.get(tag);
          if (found === undefined) {
            found = values.length;
            values.push([e.label, e.ref, e.addedAt, e.source]);
            valueIds.set(tag, found);
          }
          id = found;
        }
        const length = buf.write(key, at + 2, 'utf8');
        buf.writeUInt16LE(length, at);
        buf.writeUInt32LE(id, at + 2 + length);
        at += length + 6;
      }
      if (at > 0) writeSync(fd, buf, 0, at);
    } finally {
      closeSync(fd);
    }
    writeFileSync(`${file}.values.json`, JSON.stringify(values));
    this.files.push(file);
  }

  /**
   * Every spilled run and then `last` (sorted, kept in memory) merged in key order; among
   * equal keys, earlier runs first.
   */
  *merge(last: readonly Entry[]): Generator<Entry> {
    const sources: Array<Iterator<Entry>> = this.files.map((f) => readRun(f));
    sources.push(last[Symbol.iterator]());
    yield* mergeSorted(sources);
  }

  dispose(): void {
    if (!this.created) return;
    rmSync(this.dir, { recursive: true, force: true });
    try {
      rmdirSync(path.dirname(this.dir)); // only when no other import is using it
    } catch {}
  }
}

/** Runs left by imports whose process is gone (killed mid-import). */
function removeStaleRuns(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isRunning(pid)) {
      rmSync(path.join(parent, name), { recursive: true, force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function* readRun(file: string): Generator<Entry> {
  const values = (JSON.parse(readFileSync(`${file}.values.json`, 'utf8')) as Value[]).map(
    ([label, ref, addedAt, source]) => ({ label, ref, addedAt, source }),
  );
  const fd = openSync(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let at = 0;
    let end = 0;
    for (;;) {
      if (end - at < 2 || end - at < 6 + buf.readUInt16LE(at)) {
        // Keep the partial record, read more behind it.
        buf.copy(buf, 0, at, end);
        end -= at;
        at = 0;
        if (end === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
        const n = readSync(fd, buf, end, buf.length - end, null);
        if (n === 0) {
          if (end !== 0) throw new Error(`import run ${file} ends inside a record`);
          return;
        }
        end += n;
        continue;
      }
      const length = buf.readUInt16LE(at);
      const key = buf.toString('utf8', at + 2, at + 2 + length);
      const value = values[buf.readUInt32LE(at + 2 + length)];
      at += length + 6;
      const a = key.indexOf(SEP);
      const b = key.indexOf(SEP, a + 1);
      yield {
        signal: key.slice(0, a),
        hash: key.slice(a + 1, b),
        list: key.slice(b + 1),
        label: value.label,
        ref: value.ref,
        addedAt: value.addedAt,
        source: value.source,
      };
    }
  } finally {
    closeSync(fd);
  }
}

/** k-way merge of sorted sources with a binary heap; ties go to the lower source index. */
export function* mergeSorted(sources: ReadonlyArray<Iterator<Entry>>): Generator<Entry> {
  const heads: Entry[] = [];
  const order: number[] = [];
  const before = (i: number, j: number) => {
    const c = byKeyFields(heads[order[i]], heads[order[j]]);
    return c < 0 || (c === 0 && order[i] < order[j]);
  };
  const down = (from: number) => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= order.length) return;
      const m = l + 1 < order.length && before(l + 1, l) ? l + 1 : l;
      if (!before(m, i)) return;
      [order[i], order[m]] = [order[m], order[i]];
      i = m;
    }
  };
  for (let s = 0; s < sources.length; s++) {
    const r = sources[s].next();
    if (!r.done) {
      heads[s] = r.value;
      order.push(s);
    }
  }
  for (let i = (order.length >> 1) - 1; i >= 0; i--) down(i);
  while (order.length > 0) {
    const s = order[0];
    yield heads[s];
    const r = sources[s].next();
    if (r.done) {
      const tail = order.pop() as number;
      if (order.length === 0) return;
      order[0] = tail;
    } else {
      heads[s] = r.value;
    }
    down(0);
  }
}
