import { describe, expect, it } from 'vitest';
import { EntryFacts, MAX_DISTINCT_FACTS } from './entry-facts.js';

describe('EntryFacts', () => {
  it('holds facts per record, unknown by default and after forgetting', () => {
    const facts = new EntryFacts(4);
    expect(facts.get(0)).toBeUndefined();
    facts.set(0, { list: 'police', label: 'A', ref: null });
    facts.setFields(100, 'partner', null, 'case-1'); // past the capacity: grows
    expect(facts.get(0)).toEqual({ list: 'police', label: 'A', ref: null });
    expect(facts.get(100)).toEqual({ list: 'partner', label: null, ref: 'case-1' });
    expect(facts.get(99)).toBeUndefined();
    expect(facts.get(10_000)).toBeUndefined();
    facts.set(0, undefined);
    expect(facts.get(0)).toBeUndefined();
  });

  it('keeps a distinct (list, label, ref) once, and past the cap leaves records unknown', () => {
    const facts = new EntryFacts();
    for (let i = 0; i < MAX_DISTINCT_FACTS + 10; i++) facts.setFields(i, 'l', null, `ref-${i}`);
    expect(facts.get(MAX_DISTINCT_FACTS - 1)).toEqual({ list: 'l', label: null, ref: `ref-${MAX_DISTINCT_FACTS - 1}` });
    expect(facts.get(MAX_DISTINCT_FACTS)).toBeUndefined();
    facts.setFields(MAX_DISTINCT_FACTS + 20, 'l', null, 'ref-3'); // already held: still fits
    expect(facts.get(MAX_DISTINCT_FACTS + 20)).toEqual({ list: 'l', label: null, ref: 'ref-3' });
    facts.setFields(0, 'new', null, null); // a new one, with the cap reached
    expect(facts.get(0)).toBeUndefined();
    // Names that JSON or a separator could confuse stay apart.
    const names = new EntryFacts();
    names.setFields(0, 'a|b', 'c', null);
    names.setFields(1, 'a', 'b|c', null);
    expect([names.get(0), names.get(1)]).toEqual([
      { list: 'a|b', label: 'c', ref: null },
      { list: 'a', label: 'b|c', ref: null },
    ]);
  });

  it('copies records from another instance by translating codes', () => {
    const a = new EntryFacts();
    a.setFields(0, 'x', 'A', null);
    a.setFields(1, 'y', null, null);
    a.setFields(2, 'x', 'A', null);
    const b = new EntryFacts();
    b.setFields(0, 'y', null, null); // b numbers its facts differently
    for (let i = 0; i < 4; i++) b.copy(a, i, i + 1);
    expect([1, 2, 3, 4].map((i) => b.get(i))).toEqual([
      { list: 'x', label: 'A', ref: null },
      { list: 'y', label: null, ref: null },
      { list: 'x', label: 'A', ref: null },
      undefined,
    ]);
  });

  it('round-trips through bytes, and refuses bytes that do not fit the table', () => {
    const facts = new EntryFacts();
    facts.setFields(0, 'police', 'A', 'case-é');
    facts.setFields(2, 'partner', null, null);
    const bytes = facts.serialize(3);
    const back = EntryFacts.deserialize(bytes, 3);
    expect([0, 1, 2].map((i) => back?.get(i))).toEqual([
      { list: 'police', label: 'A', ref: 'case-é' },
      undefined,
      { list: 'partner', label: null, ref: null },
    ]);
    expect(EntryFacts.deserialize(bytes, 4)).toBeUndefined(); // another table's count
    expect(EntryFacts.deserialize(undefined, 3)).toBeUndefined(); // a snapshot without facts
    expect(EntryFacts.deserialize(bytes.subarray(0, 10), 3)).toBeUndefined(); // cut short
    const badCode = Uint8Array.from(bytes);
    badCode[4] = 9; // a code past the distinct facts
    expect(EntryFacts.deserialize(badCode, 3)).toBeUndefined();
    const badJson = Uint8Array.from(bytes);
    badJson[bytes.length - 1] = 0x7b;
    expect(EntryFacts.deserialize(badJson, 3)).toBeUndefined();
  });

  it('round-trips the largest code (two bytes a record), from bytes at any offset', () => {
    const facts = new EntryFacts();
    for (let i = 0; i < MAX_DISTINCT_FACTS; i++) facts.setFields(i, 'l', null, `ref-${i}`);
    const count = MAX_DISTINCT_FACTS + 1; // the last record unknown
    const bytes = facts.serialize(count);
    for (const offset of [0, 1, 2]) {
      const shifted = new Uint8Array(bytes.length + offset);
      shifted.set(bytes, offset);
      const back = EntryFacts.deserialize(shifted.subarray(offset), count);
      expect(back?.get(0)).toEqual({ list: 'l', label: null, ref: 'ref-0' });
      expect(back?.get(MAX_DISTINCT_FACTS - 1)).toEqual({
        list: 'l',
        label: null,
        ref: `ref-${MAX_DISTINCT_FACTS - 1}`,
      });
      expect(back?.get(MAX_DISTINCT_FACTS)).toBeUndefined();
    }
  });
});
