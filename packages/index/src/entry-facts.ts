/**
 * What a match reports of a found hash (list, label, ref), held in memory per search-table
 * record for hashes that exactly one entry holds, the common case. A search then answers from
 * memory instead of one LMDB lookup per found hash: on clustered lists a query finds hundreds
 * of hashes, and each lookup is a B-tree descent of ~4 µs of cache and TLB misses.
 *
 * "Unknown" is always a correct answer: the search then reads the store, as it did before.
 * So a record is marked unknown whenever its facts might not be the whole truth (a second
 * list took the hash, more distinct facts than the cap), and never the other way round.
 */

export interface HitFacts {
  list: string;
  label: string | null;
  ref: string | null;
}

/**
 * Distinct (list, label, ref) combinations kept. Labels are few (grades, categories); refs
 * are often one per entry (case ids), and then memory would grow with every entry for little
 * gain: past the cap, records stay unknown and are read from the store. Codes (1 + index)
 * then fit in two bytes.
 */
export const MAX_DISTINCT_FACTS = 0xffff;

const UNKNOWN = 0;

export class EntryFacts {
  /**
   * Per record: 1 + index into `distinct`, or 0 (unknown: read the store). Two bytes a record
   * (codes up to MAX_DISTINCT_FACTS): 19 MB at 10 M hashes, not 38.
   */
  private codes: Uint16Array;
  private readonly distinct: HitFacts[] = [];
  /** Code by list, then label, then ref: no key string is built per record. */
  private readonly byKey = new Map<string, Map<string | null, Map<string | null, number>>>();
  private lastFacts: HitFacts | undefined;
  private lastCode = UNKNOWN;
  private remapSource: EntryFacts | undefined;
  private remap = new Map<number, number>();

  constructor(capacity = 1024) {
    this.codes = new Uint16Array(Math.max(16, capacity));
  }

  /** The facts of record `id`, or undefined when its entries must be read from the store. */
  get(id: number): HitFacts | undefined {
    const code = id < this.codes.length ? this.codes[id] : UNKNOWN;
    return code === UNKNOWN ? undefined : this.distinct[code - 1];
  }

  /** Record `id`'s code: 0 when unknown, else 1 + the index of its facts in `byCode`. */
  code(id: number): number {
    return id < this.codes.length ? this.codes[id] : UNKNOWN;
  }

  /** The distinct facts, code − 1 to each. Only ever appended to: codes handed out stay valid. */
  get byCode(): readonly HitFacts[] {
    return this.distinct;
  }

  /** Sets record `id`'s facts; undefined marks it unknown. */
  set(id: number, facts: HitFacts | undefined): void {
    if (facts === undefined) {
      if (id < this.codes.length) this.codes[id] = UNKNOWN;
      return;
    }
    this.setFields(id, facts.list, facts.label, facts.ref);
  }

  /** set() without building a facts object per record (imports set millions). */
  setFields(id: number, list: string, label: string | null, ref: string | null): void {
    if (id >= this.codes.length) {
      let size = this.codes.length * 2;
      while (size <= id) size *= 2;
      const bigger = new Uint16Array(size);
      bigger.set(this.codes);
      this.codes = bigger;
    }
    this.codes[id] = this.codeOf(list, label, ref);
  }

  /** Copies record `from` of `source` to record `to` here. */
  copy(source: EntryFacts, from: number, to: number): void {
    const code = from < source.codes.length ? source.codes[from] : UNKNOWN;
    if (code === UNKNOWN) {
      this.set(to, undefined);
      return;
    }
    // Copying a whole table: translate each distinct code once, not each record's facts.
    if (this.remapSource !== source) {
      this.remapSource = source;
      this.remap = new Map();
    }
    let mine = this.remap.get(code);
    if (mine === undefined) {
      const f = source.distinct[code - 1];
      mine = this.codeOf(f.list, f.label, f.ref);
      this.remap.set(code, mine);
    }
    if (mine === UNKNOWN) this.set(to, undefined);
    else {
      const f = this.distinct[mine - 1];
      this.setFields(to, f.list, f.label, f.ref);
    }
  }

  /** Bytes held: the per-record codes and the distinct facts (estimated). */
  get memoryBytes(): number {
    let strings = 0;
    for (const f of this.distinct) strings += 64 + f.list.length + (f.label?.length ?? 0) + (f.ref?.length ?? 0);
    return this.codes.byteLength + strings;
  }

  private codeOf(list: string, label: string | null, ref: string | null): number {
    // Imports set millions of records with the same facts in a row.
    const last = this.lastFacts;
    if (last && last.list === list && last.label === label && last.ref === ref) return this.lastCode;
    let code = this.lookup(list, label, ref);
    if (code === undefined) {
      if (this.distinct.length >= MAX_DISTINCT_FACTS) return UNKNOWN;
      code = this.intern(list, label, ref);
    }
    this.lastFacts = this.distinct[code - 1];
    this.lastCode = code;
    return code;
  }

  private lookup(list: string, label: string | null, ref: string | null): number | undefined {
    return this.byKey.get(list)?.get(label)?.get(ref);
  }

  private intern(list: string, label: string | null, ref: string | null): number {
    this.distinct.push({ list, label, ref });
    const code = this.distinct.length;
    let labels = this.byKey.get(list);
    if (!labels) {
      labels = new Map();
      this.byKey.set(list, labels);
    }
    let refs = labels.get(label);
    if (!refs) {
      refs = new Map();
      labels.set(label, refs);
    }
    refs.set(ref, code);
    return code;
  }

  /**
   * The first `count` records' facts as bytes: u32 count, u16 codes (padded to 4 bytes), then
   * the distinct facts as JSON.
   */
  serialize(count: number): Uint8Array {
    const json = Buffer.from(JSON.stringify(this.distinct.map((f) => [f.list, f.label, f.ref])), 'utf8');
    const codesBytes = codeBytes(count);
    const out = new Uint8Array(4 + codesBytes + json.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, count, true);
    const codes = new Uint16Array(codesBytes / 2);
    codes.set(this.codes.subarray(0, Math.min(count, this.codes.length)));
    out.set(new Uint8Array(codes.buffer), 4);
    out.set(json, 4 + codesBytes);
    return out;
  }

  /** Reads serialize()'s bytes for a table of `count` records; undefined when they do not fit it. */
  static deserialize(bytes: Uint8Array | undefined, count: number): EntryFacts | undefined {
    const codesBytes = codeBytes(count);
    if (!bytes || bytes.byteLength < 4 + codesBytes) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== count) return undefined;
    let list: unknown;
    try {
      list = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 4 + codesBytes).toString('utf8'));
    } catch {
      return undefined;
    }
    const isName = (v: unknown) => v === null || typeof v === 'string';
    if (
      !Array.isArray(list) ||
      list.length > MAX_DISTINCT_FACTS ||
      !list.every((f) => Array.isArray(f) && f.length === 3 && typeof f[0] === 'string' && isName(f[1]) && isName(f[2]))
    ) {
      return undefined;
    }
    const facts = new EntryFacts(count);
    // A view on the snapshot's bytes where aligned (as readSnapshot gives them), not a copy:
    // at 10 M hashes a copy would leave 19 MB more resident after opening.
    const codes =
      (bytes.byteOffset + 4) % 2 === 0
        ? new Uint16Array(bytes.buffer, bytes.byteOffset + 4, count)
        : new Uint16Array(Uint8Array.from(bytes.subarray(4, 4 + count * 2)).buffer);
    for (let i = 0; i < count; i++) if (codes[i] > list.length) return undefined;
    for (const [l, label, ref] of list as Array<[string, string | null, string | null]>) facts.intern(l, label, ref);
    facts.codes = codes.length >= 16 ? codes : Uint16Array.from({ length: 16 }, (_, i) => codes[i] ?? 0);
    return facts;
  }
}

/** Bytes the codes of `count` records take in serialize()'s output: two each, padded to 4. */
function codeBytes(count: number): number {
  return Math.ceil(count / 2) * 4;
}
