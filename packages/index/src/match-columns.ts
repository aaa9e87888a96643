import { ErrorCodes, StaydownError } from '@staydown/core';
import type { EntryFacts, HitFacts } from './entry-facts.js';
import { RECORD_BYTES } from './hamming-table.js';
import type { Match, MatchTotals } from './hash-index.js';
import type { OrderedHits } from './hit-order.js';

/**
 * A search's hits, in result order, held as columns rather than one object each. Hit k's
 * fields are read by position and a `Match` object is made only when asked for. For answers
 * that are counted, filtered or written out more than they are kept: a query near a blank
 * image finds 156 000 hashes of a clustered 10 M list in 6 ms, and search(), which makes an
 * object and a string of each, took 74 ms in all, nearly half of it in the garbage collector
 * copying them while the answer was still being built (heavycol.mjs, heavyprof2.mjs).
 */
export interface MatchColumns extends Iterable<Match> {
  readonly signal: string;
  /** How many hits. */
  readonly length: number;
  /** Hit k's distance from the query (k from 0 to length − 1; otherwise INVALID_OPTION). */
  distance(k: number): number;
  /** Hit k's hash (lowercase hex), made when asked for. */
  hash(k: number): string;
  list(k: number): string;
  label(k: number): string | null;
  ref(k: number): string | null;
  /** Hit k as a Match: the object search() would have returned in its place. */
  at(k: number): Match;
  /** Every hit as a Match: search()'s array. */
  toArray(): Match[];
}

/** searchColumns' answer: the parts of a MatchResult, as columns. */
export interface ColumnarMatchResult {
  matches: MatchColumns;
  suppressed: MatchColumns;
  allowedBy: MatchColumns;
  /** Only with SearchOptions.limit: how many of each there were, the limit aside. */
  totals?: MatchTotals;
}

abstract class ColumnsBase implements MatchColumns {
  abstract readonly signal: string;
  abstract readonly length: number;
  protected abstract distanceAt(k: number): number;
  protected abstract hashAt(k: number): string;
  protected abstract factsAt(k: number): HitFacts;

  distance(k: number): number {
    return this.distanceAt(this.checked(k));
  }
  hash(k: number): string {
    return this.hashAt(this.checked(k));
  }
  list(k: number): string {
    return this.factsAt(this.checked(k)).list;
  }
  label(k: number): string | null {
    return this.factsAt(this.checked(k)).label;
  }
  ref(k: number): string | null {
    return this.factsAt(this.checked(k)).ref;
  }
  at(k: number): Match {
    return this.matchAt(this.checked(k));
  }
  toArray(): Match[] {
    const out = new Array<Match>(this.length);
    for (let k = 0; k < out.length; k++) out[k] = this.matchAt(k);
    return out;
  }
  *[Symbol.iterator](): Iterator<Match> {
    for (let k = 0; k < this.length; k++) yield this.matchAt(k);
  }

  protected matchAt(k: number): Match {
    const { list, label, ref } = this.factsAt(k);
    return { signal: this.signal, hash: this.hashAt(k), list, label, ref, distance: this.distanceAt(k) };
  }

  private checked(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.length) {
      throw new StaydownError(ErrorCodes.INVALID_OPTION, `hit ${k} is out of range: there are ${this.length}`);
    }
    return k;
  }
}

/** Columns over Match objects already made (an exact digest's few, or a mixed answer). */
class ArrayColumns extends ColumnsBase {
  readonly length: number;
  constructor(
    readonly signal: string,
    private readonly matches: readonly Match[],
  ) {
    super();
    this.length = matches.length;
  }
  protected distanceAt(k: number): number {
    return this.matches[k].distance;
  }
  protected hashAt(k: number): string {
    return this.matches[k].hash;
  }
  protected factsAt(k: number): HitFacts {
    return this.matches[k];
  }
  override toArray(): Match[] {
    return this.matches.slice();
  }
}

/**
 * Columns over a search table's hits: their distances, their records (a buffer of this
 * result's own, so that keeping it keeps nothing of the table) and their facts' codes into
 * EntryFacts' distinct facts (a few, shared, only ever appended to).
 */
class TableColumns extends ColumnsBase {
  readonly length: number;
  private readonly text: Buffer;
  constructor(
    readonly signal: string,
    private readonly distances: Int32Array,
    records: Uint8Array,
    private readonly bytes: number,
    private readonly codes: Uint16Array,
    private readonly byCode: readonly HitFacts[],
  ) {
    super();
    this.length = distances.length;
    this.text = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  }
  protected distanceAt(k: number): number {
    return this.distances[k];
  }
  protected hashAt(k: number): string {
    return this.text.toString('hex', k * RECORD_BYTES, k * RECORD_BYTES + this.bytes);
  }
  protected factsAt(k: number): HitFacts {
    return this.byCode[this.codes[k] - 1];
  }
}

/** Columns over `matches` (in result order). */
export function columnsOf(signal: string, matches: readonly Match[]): MatchColumns {
  return new ArrayColumns(signal, matches);
}

/** A MatchResult as columns. */
export function resultAsColumns(
  signal: string,
  result: { matches: Match[]; suppressed: Match[]; allowedBy: Match[]; totals?: MatchTotals },
): ColumnarMatchResult {
  const columns: ColumnarMatchResult = {
    matches: columnsOf(signal, result.matches),
    suppressed: columnsOf(signal, result.suppressed),
    allowedBy: columnsOf(signal, result.allowedBy),
  };
  if (result.totals) columns.totals = result.totals;
  return columns;
}

/**
 * The table's qualifying hits as columns, when every one is of a single list and its facts
 * are known in memory: the table's order (distance, then hash) is then the result's, and no
 * hit needs an object. A hit qualifies when its list is searched (`limits`) and it lies
 * within that list's distance. Undefined when the hits are of several lists, or of a hash
 * whose entries only the store knows: the caller then builds matches one by one.
 */
export function oneListColumns(
  signal: string,
  table: OrderedHits,
  facts: EntryFacts,
  limits: Map<string, number>,
  bytes: number,
): { columns: MatchColumns; list: string | undefined } | undefined {
  const { ids, distances, records } = table;
  const n = ids.length;
  if (n === 0) return { columns: columnsOf(signal, []), list: undefined };
  if (records === undefined) throw new StaydownError(ErrorCodes.INTERNAL, "oneListColumns needs the hits' records");
  // Codes, not facts objects: a near-blank query keeps 156 000, and typed arrays hold them
  // with no pointer per hit.
  const codes = new Uint16Array(n);
  const byCode = facts.byCode;
  let count = 0;
  let list: string | undefined;
  let lastCode = -1;
  let lastList: string | undefined;
  let limit: number | undefined;
  for (let k = 0; k < n; k++) {
    const code = facts.code(ids[k]);
    if (code === 0) return undefined;
    if (code !== lastCode) {
      lastCode = code;
      const name = byCode[code - 1].list;
      // Facts of one list differ in label or ref: its limit is looked up once per list.
      if (name !== lastList) {
        lastList = name;
        limit = limits.get(name);
      }
    }
    if (limit === undefined || distances[k] > limit) continue;
    if (list === undefined) list = lastList;
    else if (lastList !== list) return undefined;
    codes[count++] = code;
  }
  if (count === n) return { columns: new TableColumns(signal, distances, records, bytes, codes, byCode), list };
  // Some hits are of lists not searched, or beyond their list's distance: keep the others.
  const keptDistances = new Int32Array(count);
  const keptRecords = new Uint8Array(count * RECORD_BYTES);
  lastCode = -1;
  for (let k = 0, c = 0; k < n; k++) {
    const code = facts.code(ids[k]);
    if (code !== lastCode) {
      lastCode = code;
      limit = limits.get(byCode[code - 1].list);
    }
    if (limit === undefined || distances[k] > limit) continue;
    keptDistances[c] = distances[k];
    keptRecords.set(records.subarray(k * RECORD_BYTES, (k + 1) * RECORD_BYTES), c * RECORD_BYTES);
    c++;
  }
  return {
    columns: new TableColumns(signal, keptDistances, keptRecords, bytes, codes.subarray(0, count), byCode),
    list,
  };
}
