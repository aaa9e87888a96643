import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hexHammingDistance } from '@staydown/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type EntryInput,
  type Match,
  type MatchResult,
  normalizeEntry,
  openIndex,
  sortByDistance,
} from './hash-index.js';
import { importFile } from './import.js';
import type { ColumnarMatchResult, MatchColumns } from './match-columns.js';
import { SNAPSHOT_REUSE_MS } from './store.js';
import { nearRecord, prng, recordHex, syntheticRecords } from './test-data.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(tmp, `db${dirs++}`);

const key = (m: { hash: string; list: string; distance: number }) => `${m.hash}|${m.list}|${m.distance}`;
const keys = (r: MatchResult) => r.matches.map(key).sort();

function expected(model: Map<string, EntryInput>, query: string, r: number): string[] {
  const out: string[] = [];
  for (const e of model.values()) {
    const d = hexHammingDistance(e.hash, query);
    if (d <= r) out.push(key({ hash: e.hash, list: e.list, distance: d }));
  }
  return out.sort();
}

describe('HashIndex: exact against brute force through adds, removes and reopening', () => {
  it('matches the brute-force result set', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom(0, 0.7), async (seed, clustered) => {
        const dir = freshDir();
        const rand = prng(seed);
        const count = 5200; // above the size where the multi-index tables are built
        const records = syntheticRecords({ count, seed, clustered });
        const model = new Map<string, EntryInput>();
        const entry = (i: number, list: string): EntryInput => ({ signal: 'pdq', hash: recordHex(records, i), list });
        const put = (e: EntryInput) => model.set(`${e.hash}|${e.list}`, e);
        const initial: EntryInput[] = [];
        for (let i = 0; i < 4800; i++) initial.push(entry(i, rand() < 0.7 ? 'police' : 'partner'));
        for (let i = 0; i < 200; i++) initial.push(entry(Math.floor(rand() * 4800), 'partner')); // same hash, 2 lists

        const check = (index: Awaited<ReturnType<typeof openIndex>>) => {
          for (let q = 0; q < 6; q++) {
            const r = Math.floor(rand() * 65);
            const query = Buffer.from(nearRecord(records, Math.floor(rand() * count), Math.floor(rand() * 40), rand));
            const hex = query.toString('hex');
            const result = index.search('pdq', hex, { maxDistance: r });
            expect(keys(result)).toEqual(expected(model, hex, r));
            expect(keys(index.search('pdq', hex, { maxDistance: r, strategy: 'scan' }))).toEqual(keys(result));
            expect(result.matches).toEqual([...result.matches].sort(byDistanceForTest));
          }
        };

        let index = await openIndex(dir);
        index.add(initial);
        for (const e of initial) put(e);
        check(index); // builds the tables from the store
        const more: EntryInput[] = [];
        for (let i = 4800; i < count; i++) more.push(entry(i, 'police'));
        index.add(more); // into the delta, no rebuild
        for (const e of more) put(e);
        const gone = [...model.values()].filter(() => rand() < 0.08);
        expect(index.remove(gone)).toBe(gone.length);
        for (const e of gone) model.delete(`${e.hash}|${e.list}`);
        check(index);
        await index.close();

        index = await openIndex(dir); // from the snapshot
        check(index);
        expect(index.stats().totalEntries).toBe(model.size);
        await index.close();
      }),
      { numRuns: 3 },
    );
  });
});

describe('HashIndex: a query with thousands of matches', () => {
  it('gives them in distance and hash order, from a table in hash order and from one that is not', async () => {
    // Near-blank hashes: a few bits set each, so a blank query finds them all. Thousands of
    // hits are ordered by record id when the table's records ascend (built from the store),
    // by their bytes otherwise (here: recent additions folded in at the end, then reopened).
    const rand = prng(42);
    const nearBlank = (n: number) =>
      Array.from({ length: n }, () => {
        const bytes = new Uint8Array(32);
        for (let b = 0; b < 12; b++) bytes[Math.floor(rand() * 32)] |= 1 << Math.floor(rand() * 8);
        return Buffer.from(bytes).toString('hex');
      });
    const blank = '0'.repeat(64);
    const want = (hashes: Set<string>) =>
      [...hashes]
        .map((hash) => ({ hash, distance: hexHammingDistance(hash, blank) }))
        .filter((m) => m.distance <= 40)
        .sort((a, b) => a.distance - b.distance || (a.hash < b.hash ? -1 : 1))
        .map((m) => `${m.distance}|${m.hash}`);
    const got = (r: MatchResult) => r.matches.map((m) => `${m.distance}|${m.hash}`);
    const dir = freshDir();
    const hashes = new Set(nearBlank(6000));
    let index = await openIndex(dir);
    index.add([...hashes].map((hash) => ({ signal: 'pdq', hash, list: 'L' })));
    expect(want(hashes).length).toBeGreaterThan(4000);
    expect(got(index.search('pdq', blank, { maxDistance: 40 }))).toEqual(want(hashes));
    const later = nearBlank(3000).filter((h) => !hashes.has(h));
    index.add(later.map((hash) => ({ signal: 'pdq', hash, list: 'L' })));
    for (const h of later) hashes.add(h);
    expect(got(index.search('pdq', blank, { maxDistance: 40 }))).toEqual(want(hashes));
    await index.close();
    index = await openIndex(dir);
    expect(got(index.search('pdq', blank, { maxDistance: 40 }))).toEqual(want(hashes));
    expect(got(index.search('pdq', blank, { maxDistance: 40, strategy: 'scan' }))).toEqual(want(hashes));
    await index.close();
  });
});

/** A columnar answer read back as search() gives it, through every accessor. */
function columnsAsResult(r: ColumnarMatchResult): MatchResult {
  const read = (c: MatchColumns): Match[] => {
    const out: Match[] = [];
    for (let k = 0; k < c.length; k++) {
      const m = { signal: c.signal, hash: c.hash(k), list: c.list(k), label: c.label(k), ref: c.ref(k) };
      out.push({ ...m, distance: c.distance(k) });
      expect(c.at(k)).toEqual(out[k]);
    }
    expect(c.toArray()).toEqual(out);
    expect([...c]).toEqual(out);
    return out;
  };
  const result: MatchResult = {
    matches: read(r.matches),
    suppressed: read(r.suppressed),
    allowedBy: read(r.allowedBy),
  };
  if (r.totals) result.totals = r.totals;
  return result;
}

describe('HashIndex: limited and columnar answers against the whole one', () => {
  // The nearest `limit` of each part, exactly as the unlimited search orders them, and totals
  // that count them all: whether the hits are one list's (counted without building them),
  // several lists', some in two lists (read from the store), suppressed by an allow-list, or
  // among recent additions. searchColumns gives the same hits in the same order, whether
  // read from the table's columns (one list's hits; some of other lists or beyond a list's
  // own threshold left out) or from matches built one by one.
  it('gives the unlimited result’s first N of each part, counts them all, and the same as columns', async () => {
    const kinds = [
      'one list',
      'three lists',
      'one of three lists',
      'list thresholds',
      'shared hashes',
      'allow-list',
      'allow-list only',
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        for (const kind of kinds) {
          const rand = prng(seed);
          const count = 5200; // above the size where the multi-index tables are built
          const records = syntheticRecords({ count, seed, clustered: 0.7 });
          // At equal distances, 'A' hits come before 'L' hits in the result, 'Z' hits after.
          const listOf = () => {
            const x =
              kind === 'three lists' || kind === 'one of three lists' || kind === 'list thresholds' ? rand() : 1;
            return x < 0.15 ? 'A' : x < 0.3 ? 'Z' : 'L';
          };
          const entries: EntryInput[] = [];
          for (let i = 0; i < 4800; i++) {
            entries.push({ signal: 'pdq', hash: recordHex(records, i), list: listOf(), label: `g${i % 3}` });
          }
          if (kind === 'shared hashes') {
            for (let i = 0; i < 50; i++) entries.push({ signal: 'pdq', hash: recordHex(records, i * 7), list: 'M' });
          }
          if (kind === 'allow-list') {
            // Hashes of their own, near listed ones: the store need not be read for them.
            for (let i = 0; i < 40; i++) {
              const hash = Buffer.from(nearRecord(records, i * 11, 1 + (i % 3), rand)).toString('hex');
              entries.push({ signal: 'pdq', hash, list: 'ok' });
            }
          }
          const index = await openIndex(freshDir());
          index.add(entries);
          if (kind === 'allow-list') index.setAllowList('ok', true);
          if (kind === 'allow-list only') index.setAllowList('L', true);
          if (kind === 'list thresholds') {
            index.setThreshold('A', 'pdq', 20);
            index.setThreshold('L', 'pdq', 40);
          }
          // 'list thresholds' searches at each list's own threshold (Z's: the signal's, 31).
          const fixed = kind === 'list thresholds' ? [undefined] : [16, 31, 48, 64];
          const lists = kind === 'one of three lists' ? ['L'] : undefined;
          const check = () => {
            for (let q = 0; q < 6; q++) {
              const maxDistance = fixed[q % fixed.length];
              const hex = Buffer.from(
                nearRecord(records, Math.floor(rand() * count), Math.floor(rand() * 24), rand),
              ).toString('hex');
              const all = index.search('pdq', hex, { maxDistance, lists });
              expect(all.totals).toBeUndefined();
              expect(columnsAsResult(index.searchColumns('pdq', hex, { maxDistance, lists }))).toEqual(all);
              expect(index.searchBatchColumns('pdq', [hex, hex], { maxDistance, lists }).map(columnsAsResult)).toEqual([
                all,
                all,
              ]);
              for (const limit of [0, 1, 7, 150, 100_000]) {
                const some = index.search('pdq', hex, { maxDistance, limit, lists });
                expect(columnsAsResult(index.searchColumns('pdq', hex, { maxDistance, limit, lists }))).toEqual(some);
                expect(some).toEqual({
                  matches: all.matches.slice(0, limit),
                  suppressed: all.suppressed.slice(0, limit),
                  allowedBy: all.allowedBy.slice(0, limit),
                  totals: {
                    matches: all.matches.length,
                    suppressed: all.suppressed.length,
                    allowedBy: all.allowedBy.length,
                  },
                });
                expect(index.searchBatch('pdq', [hex], { maxDistance, limit, lists })).toEqual([some]);
              }
            }
          };
          check(); // builds the tables from the store
          const more: EntryInput[] = [];
          for (let i = 4800; i < count; i++) more.push({ signal: 'pdq', hash: recordHex(records, i), list: listOf() });
          index.add(more); // recent additions, searched beside the table
          check();
          await index.close();
        }
      }),
      { numRuns: 3 },
    );
  });

  it('counts a near-blank query’s thousands of hits without returning them, and refuses a bad limit', async () => {
    const rand = prng(7);
    const hashes = new Set<string>();
    while (hashes.size < 6000) {
      const bytes = new Uint8Array(32);
      for (let b = 0; b < 12; b++) bytes[Math.floor(rand() * 32)] |= 1 << Math.floor(rand() * 8);
      hashes.add(Buffer.from(bytes).toString('hex'));
    }
    const index = await openIndex(freshDir());
    // One bit from blank each, in this table order: L's 01, Z's 02, L's 04. The result puts
    // L's 04 before Z's 02, so the nearest two are both L's, although Z's was found second.
    const oneBit = (byte: string) => `${'0'.repeat(62)}${byte}`;
    index.add([
      ...[...hashes].map((hash) => ({ signal: 'pdq', hash, list: 'L' })),
      { signal: 'pdq', hash: oneBit('01'), list: 'L' },
      { signal: 'pdq', hash: oneBit('02'), list: 'Z' },
      { signal: 'pdq', hash: oneBit('04'), list: 'L' },
    ]);
    const blank = '0'.repeat(64);
    expect(index.search('pdq', blank, { maxDistance: 40, limit: 2 }).matches.map((m) => [m.list, m.hash])).toEqual([
      ['L', oneBit('01')],
      ['L', oneBit('04')],
    ]);
    index.remove([{ signal: 'pdq', hash: oneBit('02'), list: 'Z' }]);
    const all = index.search('pdq', blank, { maxDistance: 40 });
    expect(all.matches.length).toBeGreaterThan(4000);
    expect(index.search('pdq', blank, { maxDistance: 40, limit: 0 })).toEqual({
      matches: [],
      suppressed: [],
      allowedBy: [],
      totals: { matches: all.matches.length, suppressed: 0, allowedBy: 0 },
    });
    expect(index.search('pdq', blank, { maxDistance: 40, limit: 3 }).matches).toEqual(all.matches.slice(0, 3));
    for (const limit of [-1, 1.5, Number.NaN]) {
      expect(() => index.search('pdq', blank, { limit })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
      expect(() => index.matchHashes({ pdq: blank }, { limit })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
    await index.close();
  });
});

describe('HashIndex: a columnar answer', () => {
  it('leaves out a hit beyond its own list’s threshold, and refuses a position out of range', async () => {
    const rand = prng(11);
    const query = new Uint8Array(32).map(() => Math.floor(rand() * 256));
    const flipped = (bits: number) => {
      const out = Uint8Array.from(query);
      for (let b = 0; b < bits; b++) out[b >> 3] ^= 1 << (b & 7);
      return Buffer.from(out).toString('hex');
    };
    const index = await openIndex(freshDir());
    // A's threshold is 20 and L's the signal's 31, so the search reaches 31: it finds both
    // of A's hashes, and only the first is a match.
    index.add([
      { signal: 'pdq', hash: flipped(10), list: 'A', label: 'near' },
      { signal: 'pdq', hash: flipped(25), list: 'A', label: 'beyond' },
      { signal: 'pdq', hash: flipped(60), list: 'L' },
    ]);
    index.setThreshold('A', 'pdq', 20);
    const hex = Buffer.from(query).toString('hex');
    const columns = index.searchColumns('pdq', hex);
    expect(columnsAsResult(columns)).toEqual(index.search('pdq', hex));
    expect(columns.matches.length).toBe(1);
    expect([columns.matches.hash(0), columns.matches.label(0), columns.matches.distance(0)]).toEqual([
      flipped(10),
      'near',
      10,
    ]);
    // Its records are its own: later searches, which reuse the shared scratch, leave it be.
    const kept = index.searchColumns('pdq', hex, { maxDistance: 12 });
    index.search('pdq', flipped(60), { maxDistance: 64 });
    index.searchColumns('pdq', flipped(60), { maxDistance: 64 });
    expect([kept.matches.length, kept.matches.hash(0)]).toEqual([1, flipped(10)]);
    for (const k of [-1, 1, 0.5, Number.NaN]) {
      expect(() => columns.matches.hash(k)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
    // Exact digests and filtered searches too.
    const digest = 'ab'.repeat(32);
    index.add([{ signal: 'sha256', hash: digest, list: 'L', ref: 'case-1' }]);
    expect(columnsAsResult(index.searchColumns('sha256', digest.toUpperCase()))).toEqual(
      index.search('sha256', digest),
    );
    expect(index.searchColumns('sha256', digest).matches.ref(0)).toBe('case-1');
    expect(columnsAsResult(index.searchColumns('pdq', hex, { lists: ['L'], strategy: 'scan' }))).toEqual(
      index.search('pdq', hex, { lists: ['L'] }),
    );
    expect(() => index.searchColumns('pdq', hex, { lists: ['nope'] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_LIST' }),
    );
    expect(() => index.searchColumns('pdq', 'xyz')).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    expect(() => index.searchColumns('pdq', hex, { maxDistance: 300 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    await index.close();
    expect(() => index.searchColumns('pdq', hex)).toThrow(expect.objectContaining({ code: 'INDEX_CLOSED' }));
  });
});

describe('HashIndex: one hash in more lists than a call takes arguments', () => {
  it('finds it in all 150 000 lists, by search and by matchHashes', async () => {
    // Math.max(...limits) and push(...matches) threw RangeError past about 120 000.
    const index = await openIndex(freshDir());
    const hash = 'ab'.repeat(32);
    const n = 150_000;
    index.add(Array.from({ length: n }, (_, i) => ({ signal: 'pdq', hash, list: `l${i}` })));
    expect(index.search('pdq', hash).matches).toHaveLength(n);
    expect(index.matchHashes({ pdq: hash }).matches).toHaveLength(n);
    await index.close();
  });
});

describe('HashIndex: what a match says of an entry (list, label, ref) is what the store holds', () => {
  type Index = Awaited<ReturnType<typeof openIndex>>;
  const full = (m: { hash: string; list: string; label: string | null; ref: string | null; distance: number }) =>
    `${m.hash}|${m.list}|${m.label}|${m.ref}|${m.distance}`;

  // The truth: every entry in the store, compared by brute force. Matches answered from the
  // in-memory facts and those read from the store must both agree with it.
  function expectStoreTruth(index: Index, queries: string[], r: number): void {
    const entries = [...index.entries({ signal: 'pdq' })];
    for (const q of queries) {
      const want = entries
        .map((e) => ({ ...e, distance: hexHammingDistance(e.hash, q) }))
        .filter((e) => e.distance <= r)
        .map(full)
        .sort();
      expect(index.search('pdq', q, { maxDistance: r }).matches.map(full).sort()).toEqual(want);
    }
  }

  it('through adds, second lists, removes, imports, reopening and a rebuild', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const dir = freshDir();
        const rand = prng(seed);
        const count = 6000;
        const records = syntheticRecords({ count, seed, clustered: 0.5, maxFlips: 6 });
        const hash = (i: number) => recordHex(records, i);
        const labels = ['A', 'B', null];
        // Few distinct labels, and refs that are mostly absent but sometimes one per entry.
        const entry = (i: number, list: string): EntryInput => ({
          signal: 'pdq',
          hash: hash(i),
          list,
          label: labels[Math.floor(rand() * labels.length)],
          ref: rand() < 0.2 ? `case-${Math.floor(rand() * 1e6)}` : null,
        });
        const queries = () =>
          Array.from({ length: 4 }, () =>
            Buffer.from(nearRecord(records, Math.floor(rand() * count), Math.floor(rand() * 8), rand)).toString('hex'),
          );
        const r = 24;

        let index = await openIndex(dir);
        index.add(Array.from({ length: 4800 }, (_, i) => entry(i, rand() < 0.7 ? 'police' : 'partner')));
        expectStoreTruth(index, queries(), r); // tables and facts built from the store
        // New hashes into the delta; held hashes into a second list; a hash+list already there.
        index.add([
          ...Array.from({ length: 300 }, (_, i) => entry(4800 + i, 'police')),
          ...Array.from({ length: 100 }, () => entry(Math.floor(rand() * 5100), 'hotline')),
          entry(0, 'police'),
        ]);
        expectStoreTruth(index, queries(), r);
        // Remove one of a hash's entries (its other entry must still match) and whole hashes.
        const held = [...index.entries({ signal: 'pdq' })];
        const removed = held.filter(() => rand() < 0.1);
        index.remove(removed);
        expectStoreTruth(index, queries(), r);
        // Removed hashes stay in the tables; added again they are in the delta too, and must
        // still be reported once.
        index.add(removed.filter(() => rand() < 0.5));
        expectStoreTruth(index, [...queries(), ...removed.slice(0, 3).map((e) => e.hash)], r);
        // An import: new hashes, hashes held in another list, and lines already imported.
        const lines = ['signal,hash,list,label,ref'];
        for (let i = 5100; i < count; i++) lines.push(`pdq,${hash(i)},imported,${rand() < 0.5 ? 'A' : ''},`);
        for (let i = 0; i < 200; i++) lines.push(`pdq,${hash(Math.floor(rand() * 5100))},imported,B,ref-${i}`);
        for (let i = 5100; i < 5200; i++) lines.push(`pdq,${hash(i)},imported,,`);
        const file = path.join(tmp, `facts-${seed}.csv`);
        writeFileSync(file, `${lines.join('\n')}\n`);
        await importFile(index, file, { batchSize: 500 });
        expectStoreTruth(index, queries(), r);
        await importFile(index, file); // again: nothing new
        expectStoreTruth(index, queries(), r);
        await index.close();

        index = await openIndex(dir); // tables and facts from the snapshot
        expectStoreTruth(index, queries(), r);
        index.remove([...index.entries({ signal: 'pdq' })].filter(() => rand() < 0.05));
        expectStoreTruth(index, queries(), r);
        await index.close();

        index = await openIndex(dir, { snapshots: false }); // rebuilt from the store
        expectStoreTruth(index, queries(), r);
        await index.close();
      }),
      { numRuns: 3 },
    );
  });
});

describe('sortByDistance', () => {
  it('orders one list’s long hashes (the packed-key path) exactly as the comparison sort, shared prefixes included', () => {
    const hex = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });
    // Few prefixes, so many hashes share their first 9 digits (the key's part) and differ after.
    const hash = fc
      .tuple(fc.constantFrom('000000000', '0a1b2c3d4', 'ffffffff0', 'f'), hex(8, 55))
      .map(([p, rest]) => `${p}${rest}`.padEnd(64, '0').slice(0, 64));
    const match = fc.record({
      signal: fc.constant('pdq'),
      hash,
      list: fc.constant('police'),
      label: fc.constant(null),
      ref: fc.constant(null),
      distance: fc.integer({ min: 0, max: 256 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(match, { minLength: 64, maxLength: 600, selector: (m) => m.hash }), (matches) => {
        const expected = [...matches].sort(byDistanceForTest);
        expect(sortByDistance([...matches])).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('orders exactly as one comparison sort by distance, list, hash and signal', () => {
    const match = fc.record({
      signal: fc.constantFrom('pdq', 'blockhash'),
      hash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 4 }),
      list: fc.constantFrom('a', 'b', 'police'),
      label: fc.constant(null),
      ref: fc.constant(null),
      distance: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(
        // Long enough for the counting sort (64 and more), and short ones.
        fc.oneof(
          fc.uniqueArray(match, { minLength: 64, maxLength: 400, selector: (m) => `${m.signal}|${m.hash}|${m.list}` }),
          fc.uniqueArray(match, { maxLength: 63, selector: (m) => `${m.signal}|${m.hash}|${m.list}` }),
        ),
        (matches) => {
          expect(sortByDistance([...matches])).toEqual([...matches].sort(byDistanceForTest));
        },
      ),
    );
  });
});

describe('HashIndex: a hash removed and added again', () => {
  it('is reported once, after the recent additions are folded into the table and after reopening', async () => {
    const dir = freshDir();
    const H = 'ab'.repeat(32);
    let index = await openIndex(dir);
    index.add([{ signal: 'pdq', hash: H, list: 'a', label: 'first' }]);
    await index.close();
    index = await openIndex(dir);
    expect(index.search('pdq', H).matches).toHaveLength(1); // loads the table from the snapshot
    index.remove([{ signal: 'pdq', hash: H, list: 'a' }]);
    expect(index.search('pdq', H).matches).toEqual([]);
    index.add([{ signal: 'pdq', hash: H, list: 'a', label: 'again' }]);
    expect(index.search('pdq', H).matches.map((m) => m.label)).toEqual(['again']);
    index.refresh(); // folds the recent additions into the table
    expect(index.search('pdq', H).matches.map((m) => m.label)).toEqual(['again']);
    expect(index.stats().signals.pdq.indexedHashes).toBe(1);
    await index.close();
    index = await openIndex(dir);
    expect(index.search('pdq', H).matches.map((m) => m.label)).toEqual(['again']);
    await index.close();
  });
});

describe('HashIndex: a folder whose store was deleted and made again', () => {
  it('never answers from the earlier store’s snapshot, even at the same generation', async () => {
    const dir = freshDir();
    const A = 'a1'.repeat(32);
    const B = 'b2'.repeat(32);
    let index = await openIndex(dir);
    index.add([{ signal: 'pdq', hash: A, list: 'old' }]);
    expect(index.search('pdq', A).matches).toHaveLength(1); // loads the tables: close saves them
    await index.close();
    expect(existsSync(path.join(dir, 'mih-pdq.snap'))).toBe(true);
    rmSync(path.join(dir, 'index.mdb'));
    rmSync(path.join(dir, 'index.mdb-lock'), { force: true });

    index = await openIndex(dir);
    index.add([{ signal: 'pdq', hash: B, list: 'new' }]); // the same generation the snapshot has
    await index.close();
    index = await openIndex(dir, { readOnly: true });
    expect(index.search('pdq', A).matches).toEqual([]);
    expect(index.search('pdq', B).matches.map((m) => m.list)).toEqual(['new']);
    await index.close();
  });
});

describe('lists, thresholds and allow-lists', () => {
  const base = 'f'.repeat(56);
  const hashAt = (flips: number) => {
    // a hash `flips` bits away from h0 = f…f00000000
    let tail = 0;
    for (let i = 0; i < flips; i++) tail |= 1 << i;
    return base + tail.toString(16).padStart(8, '0');
  };
  const h0 = hashAt(0);

  it('honours per-list thresholds, list filters and disabled lists', async () => {
    const index = await openIndex(freshDir());
    index.add([
      { signal: 'pdq', hash: hashAt(10), list: 'police', label: 'A', ref: 'case-1' },
      { signal: 'pdq', hash: hashAt(20), list: 'partner', label: 'B', ref: 'case-2' },
      { signal: 'md5', hash: 'a'.repeat(32), list: 'police', label: 'A', ref: 'case-3' },
    ]);
    expect(index.search('pdq', h0).matches.map((m) => [m.list, m.distance, m.label, m.ref])).toEqual([
      ['police', 10, 'A', 'case-1'],
      ['partner', 20, 'B', 'case-2'],
    ]);
    index.setThreshold('partner', 'pdq', 15);
    expect(index.search('pdq', h0).matches.map((m) => m.list)).toEqual(['police']);
    expect(index.search('pdq', h0, { maxDistance: 31 }).matches).toHaveLength(2);
    expect(index.search('pdq', h0, { lists: ['partner'], maxDistance: 31 }).matches.map((m) => m.list)).toEqual([
      'partner',
    ]);
    index.setEnabled('police', false);
    expect(index.search('pdq', h0).matches).toEqual([]);
    index.setEnabled('police', true);
    expect(index.search('md5', 'A'.repeat(32)).matches).toMatchObject([{ list: 'police', distance: 0 }]);
    expect(index.search('md5', 'b'.repeat(32)).matches).toEqual([]);
    expect(() => index.search('pdq', h0, { lists: ['nope'] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_LIST' }),
    );
    expect(() => index.search('pdq', 'xyz')).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    expect(() => index.search('photodna', h0)).toThrow(expect.objectContaining({ code: 'UNKNOWN_SIGNAL' }));
    expect(() => index.search('pdq', h0, { maxDistance: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => index.setThreshold('police', 'md5', 3)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    await index.close();
    expect(() => index.search('pdq', h0)).toThrow(expect.objectContaining({ code: 'INDEX_CLOSED' }));
  });

  it('takes a query in either case or with spaces around it, and refuses a bad one with no list enabled', async () => {
    const index = await openIndex(freshDir());
    index.add([{ signal: 'pdq', hash: hashAt(10), list: 'police' }]);
    const want = index.search('pdq', h0).matches;
    expect(want).toHaveLength(1);
    expect(index.search('pdq', h0.toUpperCase()).matches).toEqual(want);
    expect(index.search('pdq', ` ${h0}\n`).matches).toEqual(want);
    index.setEnabled('police', false);
    expect(index.search('pdq', h0).matches).toEqual([]);
    for (const bad of ['xyz', `${h0}0`, `g${h0.slice(1)}`]) {
      expect(() => index.search('pdq', bad)).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    }
    index.setEnabled('police', true);
    expect(() => index.search('pdq', `g${h0.slice(1)}`)).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    await index.close();
  });

  it('finds a hash in every list, whether its entries are read per list (few) or as a range (many)', async () => {
    const index = await openIndex(freshDir());
    const lists = Array.from({ length: 12 }, (_, i) => `list-${String(i).padStart(2, '0')}`);
    index.add(lists.map((list, i) => ({ signal: 'pdq', hash: hashAt(i % 3), list, label: `L${i}`, ref: `r${i}` })));
    const all = index.search('pdq', h0, { maxDistance: 2 }).matches;
    expect(all.map((m) => [m.list, m.distance, m.label])).toEqual(
      lists.map((list, i) => [list, i % 3, `L${i}`] as const).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)),
    );
    const few = ['list-00', 'list-04', 'list-11'];
    expect(index.search('pdq', h0, { maxDistance: 2, lists: few }).matches.map((m) => m.list)).toEqual([
      'list-00',
      'list-04',
      'list-11',
    ]);
    for (const list of lists.slice(4)) index.setEnabled(list, false);
    expect(index.search('pdq', h0, { maxDistance: 2 }).matches.map((m) => m.list)).toEqual([
      'list-00',
      'list-03',
      'list-01',
      'list-02',
    ]);
    await index.close();
  });

  it('suppresses matches an allow-list entry explains at least as well, and says so', async () => {
    const index = await openIndex(freshDir());
    index.add([
      { signal: 'pdq', hash: hashAt(4), list: 'police', label: 'A' },
      { signal: 'pdq', hash: hashAt(0), list: 'logos', label: 'blank image' },
    ]);
    expect(index.search('pdq', h0).matches).toHaveLength(2); // not an allow-list yet
    index.setAllowList('logos', true);
    const logo = index.search('pdq', h0);
    expect(logo.matches).toEqual([]);
    expect(logo.suppressed).toMatchObject([{ list: 'police', distance: 4 }]);
    expect(logo.allowedBy).toMatchObject([{ list: 'logos', distance: 0, label: 'blank image' }]);
    // A query closer to the listed hash than to the allow-listed one still matches.
    const near = index.search('pdq', hashAt(5));
    expect(near.matches).toMatchObject([{ list: 'police', distance: 1 }]);
    // A list filter does not switch allow-lists off.
    expect(index.search('pdq', h0, { lists: ['police'] }).suppressed).toHaveLength(1);
    await index.close();
  });

  it('matches all signals of one image and ignores fields that are not signals', async () => {
    const index = await openIndex(freshDir());
    index.add([
      { signal: 'pdq', hash: hashAt(3), list: 'police' },
      { signal: 'sha256', hash: 'c'.repeat(64), list: 'regulator' },
    ]);
    const r = index.matchHashes({ pdq: h0, sha256: 'c'.repeat(64), md5: 'd'.repeat(32), width: 640, quality: 90 });
    expect(r.matches.map((m) => [m.signal, m.list, m.distance])).toEqual([
      ['sha256', 'regulator', 0],
      ['pdq', 'police', 3],
    ]);
    // maxDistance applies to perceptual signals only; a limit to all of them together.
    index.add([{ signal: 'pdq', hash: hashAt(12), list: 'partner' }]);
    const hashes = { pdq: h0, sha256: 'c'.repeat(64) };
    expect(index.matchHashes(hashes, { maxDistance: 5 }).matches.map((m) => m.distance)).toEqual([0, 3]);
    expect(index.matchHashes(hashes, { maxDistance: 200, limit: 2 })).toEqual({
      matches: index.matchHashes(hashes, { maxDistance: 200 }).matches.slice(0, 2),
      suppressed: [],
      allowedBy: [],
      totals: { matches: 3, suppressed: 0, allowedBy: 0 },
    });
    await index.close();
  });

  it('keeps one entry per hash and list, lists what it holds and deletes lists', async () => {
    const index = await openIndex(freshDir());
    expect(index.add([{ signal: 'pdq', hash: h0, list: 'a', label: 'first' }])).toEqual({ added: 1, existing: 0 });
    expect(index.add([{ signal: 'pdq', hash: h0.toUpperCase(), list: 'a', label: 'second' }])).toEqual({
      added: 0,
      existing: 1,
    });
    index.add([{ signal: 'pdq', hash: h0, list: 'b' }]);
    expect(index.search('pdq', h0).matches.map((m) => [m.list, m.label])).toEqual([
      ['a', 'first'],
      ['b', null],
    ]);
    expect(index.lists().map((l) => [l.name, l.counts])).toEqual([
      ['a', { pdq: 1 }],
      ['b', { pdq: 1 }],
    ]);
    expect(index.deleteList('a')).toBe(1);
    expect(index.search('pdq', h0).matches.map((m) => m.list)).toEqual(['b']);
    expect(() => index.deleteList('a')).toThrow(expect.objectContaining({ code: 'UNKNOWN_LIST' }));
    expect(() => index.add([{ signal: 'pdq', hash: h0, list: 'bad\nname' }])).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    await index.close();
  });

  it('is readable from a second, read-only handle that sees later writes', async () => {
    const dir = freshDir();
    const writer = await openIndex(dir);
    writer.add([{ signal: 'pdq', hash: hashAt(2), list: 'police' }]);
    const reader = await openIndex(dir, { readOnly: true });
    expect(reader.search('pdq', h0).matches).toHaveLength(1);
    writer.add([{ signal: 'pdq', hash: hashAt(6), list: 'police' }]);
    expect(reader.search('pdq', h0).matches).toHaveLength(2);
    expect(() => reader.add([{ signal: 'pdq', hash: h0, list: 'x' }])).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    await reader.close();
    await writer.close();
  });

  it("reads one snapshot per run of code: this thread's commits at once, another process's next turn or a millisecond on", async () => {
    const distEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
    expect(existsSync(distEntry), 'build @staydown/index first').toBe(true);
    const dir = freshDir();
    const writer = await openIndex(dir);
    writer.add([{ signal: 'pdq', hash: hashAt(2), list: 'police' }]);
    const reader = await openIndex(dir, { readOnly: true });
    const addInAnotherProcess = (flips: number) => {
      const script = `
        const { openIndex } = await import(${JSON.stringify(pathToFileURL(distEntry).href)});
        const index = await openIndex(${JSON.stringify(dir)});
        index.add([{ signal: 'pdq', hash: ${JSON.stringify(hashAt(flips))}, list: 'police' }]);
        await index.close();`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(child.status, child.stderr).toBe(0);
    };
    const found = () => reader.search('pdq', h0).matches.length;
    const start = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(start);
    try {
      expect(found()).toBe(1);
      writer.add([{ signal: 'pdq', hash: hashAt(4), list: 'police' }]);
      expect(found()).toBe(2); // another store of this thread: at once
      addInAnotherProcess(6);
      expect(found()).toBe(2); // the same run of code, under a millisecond: the same snapshot
      expect(reader.searchColumns('pdq', h0).matches.length).toBe(2);
      await Promise.resolve();
      expect(found()).toBe(3); // the next turn
      addInAnotherProcess(8);
      expect(found()).toBe(3);
      clock.mockReturnValue(start + SNAPSHOT_REUSE_MS);
      expect(found()).toBe(4); // a millisecond on
    } finally {
      clock.mockRestore();
    }
    await reader.close();
    await writer.close();
  });
});

describe('normalizeEntry added_at', () => {
  const now = '2026-01-01T00:00:00.000Z';
  const entry = (addedAt: string | Date) => ({ signal: 'md5', hash: 'a'.repeat(32), list: 'l', addedAt });

  it('keeps ISO 8601 dates and date-times, in UTC', () => {
    expect(normalizeEntry(entry('2024-01-02T03:04:05.678Z'), now).addedAt).toBe('2024-01-02T03:04:05.678Z');
    expect(normalizeEntry(entry('2024-01-02 03:04:05+02:00'), now).addedAt).toBe('2024-01-02T01:04:05.000Z');
    expect(normalizeEntry(entry('2024-01-02'), now).addedAt).toBe('2024-01-02T00:00:00.000Z');
    expect(normalizeEntry(entry(new Date(0)), now).addedAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('refuses what Date.parse would only guess at', () => {
    for (const bad of ['1', 'Tuesday', '12/03/2024', '2024-13-45T99:99', 'yesterday']) {
      expect(() => normalizeEntry(entry(bad), now), bad).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
  });
});

/** The order the index promises, written out independently of its implementation. */
function byDistanceForTest(a: Match, b: Match): number {
  return (
    a.distance - b.distance ||
    (a.list < b.list ? -1 : a.list > b.list ? 1 : 0) ||
    (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0) ||
    (a.signal < b.signal ? -1 : a.signal > b.signal ? 1 : 0)
  );
}
