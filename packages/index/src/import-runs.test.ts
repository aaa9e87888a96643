import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeSorted, SpilledRuns } from './import-runs.js';
import { byKeyFields, type Entry, sortByKey } from './store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-runs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const entryArb = fc.record({
  signal: fc.constantFrom('pdq', 'md5'),
  hash: fc.constantFrom('00', '0f', 'a0', 'ab', 'ff').map((h) => h.repeat(32)),
  list: fc.constantFrom('a', 'b', 'police', 'ümlaut'),
  label: fc.option(fc.constantFrom('A', 'B', 'grade 1'), { nil: null }),
  ref: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  addedAt: fc.constant('2026-11-28T00:00:00.000Z'),
  source: fc.option(fc.constantFrom('x.csv', 'api'), { nil: null }),
});

/** What the runs must give: one stable sort of everything, equal keys in input order. */
const stableSorted = (entries: Entry[]) => entries.slice().sort(byKeyFields);

describe('sorted runs', () => {
  it('merge gives every entry once, in key order, equal keys in input order', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), (entries, runSize) => {
        const sources: Array<Iterator<Entry>> = [];
        for (let at = 0; at < entries.length; at += runSize) {
          sources.push(sortByKey(entries.slice(at, at + runSize))[Symbol.iterator]());
        }
        expect([...mergeSorted(sources)]).toEqual(stableSorted(entries));
      }),
    );
  });

  it('reads back spilled runs exactly (nulls, non-ASCII list names) and removes them on dispose', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (entries, runSize) => {
        const dir = mkdtempSync(path.join(tmp, 'db-'));
        const runs = new SpilledRuns(dir);
        let at = 0;
        for (; at + runSize < entries.length; at += runSize) runs.spill(sortByKey(entries.slice(at, at + runSize)));
        const merged = [...runs.merge(sortByKey(entries.slice(at)))];
        runs.dispose();
        expect(merged).toEqual(stableSorted(entries));
        expect(existsSync(path.join(dir, 'import-runs'))).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('removes the runs an import killed mid-way left behind, and keeps those of live imports', () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    const dead = path.join(dir, 'import-runs', '999999999-1'); // no such process
    const live = path.join(dir, 'import-runs', `${process.ppid}-1`);
    mkdirSync(dead, { recursive: true });
    mkdirSync(live, { recursive: true });
    const runs = new SpilledRuns(dir);
    runs.spill([]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    runs.dispose();
  });
});
