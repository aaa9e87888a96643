import { describe, expect, it } from 'vitest';
import { parseOrder, parseOrderJson } from './schema.js';

const PDQ = 'f'.repeat(64);
const SHA = 'A'.repeat(64);

function order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'ORDER-2026-0042',
    kind: 'csam',
    issuedAt: '2026-11-28T10:00:00Z',
    deadline: '2026-11-28T11:00:00Z',
    addressee: { name: 'Example Hosting B.V.', role: 'hosting' },
    items: [
      {
        url: 'https://host.example/a.jpg',
        expect: [
          { signal: 'pdq', hash: PDQ },
          { signal: 'sha256', hash: SHA },
        ],
      },
    ],
    checks: { every: 'PT10M', followUps: ['P1D', 'P7D'] },
    ...overrides,
  };
}

function problem(input: unknown): string {
  try {
    parseOrder(input);
  } catch (error) {
    expect((error as { code: string }).code).toBe('INVALID_ORDER');
    return (error as Error).message;
  }
  throw new Error('order was accepted');
}

describe('parseOrder', () => {
  it('accepts the example order and normalises it', () => {
    const o = parseOrder(order());
    expect(o.deadline).toBe('2026-11-28T11:00:00.000Z');
    expect(o.issuedAt).toBe('2026-11-28T10:00:00.000Z');
    expect(o.items[0].expect[1]).toEqual({ signal: 'sha256', hash: 'a'.repeat(64) });
    expect(o.checks).toEqual({ every: 'PT10M', followUps: ['P1D', 'P7D'] });
  });

  it('resolves a relative deadline and fills check defaults', () => {
    const o = parseOrder(order({ deadline: 'PT5S', checks: undefined }));
    expect(o.deadline).toBe('2026-11-28T10:00:05.000Z');
    expect(o.checks).toEqual({ every: 'PT10M', followUps: ['P1D', 'P7D'] });
  });

  it('accepts offsets and converts them to UTC', () => {
    const o = parseOrder(order({ issuedAt: '2026-11-28T11:00:00+01:00', deadline: 'PT0.5S' }));
    expect(o.issuedAt).toBe('2026-11-28T10:00:00.000Z');
    expect(o.deadline).toBe('2026-11-28T10:00:00.500Z');
  });

  it('allows a csam deadline of exactly 12 h and rejects a later one', () => {
    expect(parseOrder(order({ deadline: 'PT12H' })).deadline).toBe('2026-11-28T22:00:00.000Z');
    expect(problem(order({ deadline: '2026-11-28T22:00:01Z' }))).toMatch(/deadline: a csam order allows at most 12 h/);
  });

  it('allows a terrorist deadline of 1 h and rejects a later one', () => {
    expect(parseOrder(order({ kind: 'terrorist', deadline: 'PT1H' })).kind).toBe('terrorist');
    expect(problem(order({ kind: 'terrorist', deadline: 'PT61M' }))).toMatch(
      /deadline: a terrorist order allows at most 1 h/,
    );
  });

  it('rejects a deadline not after issue', () => {
    expect(problem(order({ deadline: '2026-11-28T09:00:00Z' }))).toMatch(/deadline: must be after issuedAt/);
    expect(problem(order({ deadline: 'PT0S' }))).toMatch(/deadline: must be after issuedAt/);
  });

  it('names the bad hash field', () => {
    const bad = order();
    (bad.items as Array<{ expect: Array<{ hash: string }> }>)[0].expect[1].hash = 'abc';
    expect(problem(bad)).toMatch(/items\[0\]\.expect\[1\]\.hash: sha256 hash must be 64 hex digits/);
  });

  it('names an unknown signal', () => {
    const bad = order();
    (bad.items as Array<{ expect: Array<{ signal: string }> }>)[0].expect[0].signal = 'photodna';
    expect(problem(bad)).toMatch(/items\[0\]\.expect\[0\]\.signal: unknown signal "photodna"/);
  });

  it.each([
    [{ kind: 'spam' }, /kind:/],
    [{ issuedAt: 'yesterday' }, /issuedAt: must be an ISO-8601 date-time/],
    [{ issuedAt: '2026-11-28T10:00:00' }, /issuedAt:/],
    [{ deadline: 'P1M' }, /deadline: .*years and months are ambiguous/],
    [{ deadline: 'tomorrow' }, /deadline: must be an ISO-8601 date-time/],
    [{ id: '' }, /id:/],
    [{ id: 'a/b' }, /id:/],
    [{ addressee: { name: '' } }, /addressee\.name:/],
    [{ items: [] }, /items:/],
    [
      { items: [{ url: 'ftp://x.example/a', expect: [{ signal: 'pdq', hash: PDQ }] }] },
      /items\[0\]\.url: must be an http or https URL/,
    ],
    [
      { items: [{ url: 'not a url', expect: [{ signal: 'pdq', hash: PDQ }] }] },
      /items\[0\]\.url: must be an absolute URL/,
    ],
    [{ items: [{ url: 'https://x.example/a', expect: [] }] }, /items\[0\]\.expect:/],
    [{ checks: { every: 'P1Y' } }, /checks\.every: .*years and months/],
    [{ checks: { every: 'PT0.01S' } }, /checks\.every: must be at least 100 ms/],
    [{ checks: { every: 'PT1S' } }, /checks\.every: gives more than 2000 checks/],
    [{ checks: { followUps: ['P1D', 'PT0S'] } }, /checks\.followUps\[1\]: must be longer than zero/],
    [{ extra: 1 }, /Unrecognized key/],
  ])('rejects %j', (overrides, message) => {
    expect(problem(order(overrides))).toMatch(message);
  });

  it('rejects duplicate URLs naming the second', () => {
    const item = { url: 'https://x.example/a', expect: [{ signal: 'pdq', hash: PDQ }] };
    expect(problem(order({ items: [item, item] }))).toMatch(/items\[1\]\.url: duplicates items\[0\]\.url/);
  });

  it('reports malformed JSON as INVALID_ORDER', () => {
    expect(() => parseOrderJson('{')).toThrow(/order is not valid JSON/);
  });
});
