import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportSorter } from './import-sorter.js';
import { byKeyFields, type Entry } from './store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-sorter-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const entryArb = fc.record({
  signal: fc.constantFrom('pdq', 'md5', 'blockhash'),
  hash: fc.oneof(
    fc
      .constantFrom('00', '0f', 'a0', 'ab', 'ff')
      .chain((a) => fc.constantFrom('00', '7c', 'ff').map((b) => `${a}${b}`.repeat(16))),
    // Lengths that differ only in trailing zero bytes sort as their hex does: shorter first.
    fc.constantFrom('', 'ab', 'ab00', 'ab0001', '00', '0000'),
  ),
  list: fc.constantFrom('a', 'b', 'police', 'ümlaut'),
  label: fc.option(fc.constantFrom('A', 'B', 'grade 1', '"quoted",\n'), { nil: null }),
  ref: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  addedAt: fc.constantFrom('2026-11-28T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
  source: fc.option(fc.constantFrom('x.csv', 'api'), { nil: null }),
});

/** What the sorter must give: one stable sort of everything, equal keys in input order. */
const stableSorted = (entries: Entry[]) => entries.slice().sort(byKeyFields);

describe('ImportSorter', () => {
  it('gives every entry once, in key order, equal keys in input order, in memory or partitioned', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 300 }), fc.integer({ min: 1, max: 400 }), (entries, memory) => {
        const dir = mkdtempSync(path.join(tmp, 'db-'));
        const sorter = new ImportSorter(dir, memory);
        for (const e of entries) sorter.add(e);
        expect(sorter.spilled).toBe(entries.length > memory);
        expect([...sorter.sorted()]).toEqual(stableSorted(entries));
        sorter.dispose();
        expect(existsSync(path.join(dir, 'import-partitions'))).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a hash that is not hex of whole bytes instead of storing part of it', () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    const sorter = new ImportSorter(dir, 10);
    const base = { signal: 'pdq', list: 'a', label: null, ref: null, addedAt: 'x', source: null };
    for (const hash of ['abc', `${'ab'.repeat(31)}zz`, 'zz', 'ab'.repeat(256)]) {
      expect(() => sorter.add({ ...base, hash }), hash).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    }
    sorter.add({ ...base, hash: 'ab' });
    expect([...sorter.sorted()].map((e) => e.hash)).toEqual(['ab']);
    sorter.dispose();
  });

  it('hands out chunks of one signal with each hash as bytes', () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    const sorter = new ImportSorter(dir, 3);
    const base = { list: 'a', label: null, ref: null, addedAt: 'x', source: null };
    const hashes = ['ff'.repeat(32), '00'.repeat(32), '7c'.repeat(32), '01'.repeat(32), `${'00'.repeat(31)}01`];
    for (const hash of hashes) sorter.add({ ...base, signal: 'pdq', hash });
    sorter.add({ ...base, signal: 'md5', hash: 'ee'.repeat(16) });
    const chunks = [...sorter.sortedChunks(2)];
    expect(chunks.map((c) => [c.signal, c.entries.length])).toEqual([
      ['md5', 1],
      ['pdq', 2],
      ['pdq', 1],
      ['pdq', 1],
      ['pdq', 1],
    ]);
    for (const c of chunks) {
      c.entries.forEach((e, i) => {
        expect(Buffer.from(c.hashes.subarray(i * c.stride, (i + 1) * c.stride)).toString('hex')).toBe(e.hash);
      });
    }
    expect(chunks.flatMap((c) => c.entries.map((e) => e.hash)).slice(1)).toEqual(hashes.slice().sort());
    sorter.dispose();
  });

  it('discard drops what was added; dispose removes its files', () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    const sorter = new ImportSorter(dir, 2);
    const e: Entry = {
      signal: 'pdq',
      hash: 'ab'.repeat(32),
      list: 'a',
      label: null,
      ref: null,
      addedAt: 'x',
      source: null,
    };
    for (let i = 0; i < 5; i++) sorter.add(e);
    expect(readdirSync(path.join(dir, 'import-partitions')).length).toBe(1);
    sorter.discard();
    expect([...sorter.sorted()]).toEqual([]);
    sorter.dispose();
    expect(existsSync(path.join(dir, 'import-partitions'))).toBe(false);
  });

  it('removes the files imports killed mid-way left behind, even when it sorts in memory; keeps live ones', () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    const dead = path.join(dir, 'import-partitions', '999999999-1'); // no such process
    const live = path.join(dir, 'import-partitions', `${process.ppid}-1`);
    mkdirSync(dead, { recursive: true });
    mkdirSync(live, { recursive: true });
    const sorter = new ImportSorter(dir, 1000);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    sorter.add({ signal: 'pdq', hash: '00'.repeat(32), list: 'a', label: null, ref: null, addedAt: 'x', source: null });
    expect(sorter.spilled).toBe(false);
    sorter.dispose();
    expect(existsSync(live)).toBe(true);
    rmSync(live, { recursive: true });
    new ImportSorter(dir, 1000).dispose();
    expect(existsSync(path.join(dir, 'import-partitions'))).toBe(false);
  });
});
