const INITIAL_HITS = 256;
/** A reused list keeps arrays of up to this many hits (512 KB); larger ones are one query's. */
const KEPT_HITS = 1 << 16;

/** The records one search found: ids and distances in typed arrays that grow. */
export class HitList {
  ids = new Int32Array(INITIAL_HITS);
  distances = new Int32Array(INITIAL_HITS);
  size = 0;

  add(id: number, distance: number): void {
    if (this.size === this.ids.length) this.grow();
    this.ids[this.size] = id;
    this.distances[this.size++] = distance;
  }

  get memoryBytes(): number {
    return this.ids.byteLength + this.distances.byteLength;
  }

  /** Empties the list for reuse; arrays grown past KEPT_HITS (a clustered query's) are let go. */
  clear(): void {
    this.size = 0;
    if (this.ids.length > KEPT_HITS) {
      this.ids = new Int32Array(INITIAL_HITS);
      this.distances = new Int32Array(INITIAL_HITS);
    }
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    const distances = new Int32Array(this.distances.length * 2);
    distances.set(this.distances);
    this.ids = ids;
    this.distances = distances;
  }
}

/**
 * A HitList that keeps each record once, in arrays rather than a Map: multi-index probing
 * meets a record once per substring it shares with the query, and a clustered query finds
 * hundreds. A Map of them allocated ~40 KB per query. Membership is a bitmap of one bit per
 * record (1.2 MB at 10 M), allocated once and cleared after each search by visiting only the
 * bits that search set.
 */
export class HitSet extends HitList {
  private readonly seen: Uint32Array;

  constructor(records: number) {
    super();
    this.seen = new Uint32Array(Math.ceil(records / 32));
  }

  override get memoryBytes(): number {
    return this.seen.byteLength + super.memoryBytes;
  }

  /** Adds record `id` at `distance` unless this search already has it. */
  override add(id: number, distance: number): void {
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.seen[word] & bit) !== 0) return;
    this.seen[word] |= bit;
    super.add(id, distance);
  }

  /** Forgets every record (ready for the next search). */
  override clear(): void {
    // Each word holding a set bit is zeroed; only this search's ids set bits.
    for (let i = 0; i < this.size; i++) this.seen[this.ids[i] >>> 5] = 0;
    super.clear();
  }
}
