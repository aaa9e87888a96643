import { describe, expect, it } from 'vitest';
import { parseOrder } from '../orders/schema.js';
import { planChecks } from './plan.js';

const base = {
  id: 'O-1',
  kind: 'csam',
  issuedAt: '2026-11-28T10:00:00Z',
  addressee: { name: 'Host' },
  items: [
    { url: 'https://a.example/1', expect: [{ signal: 'md5', hash: '0'.repeat(32) }] },
    { url: 'https://a.example/2', expect: [{ signal: 'md5', hash: '1'.repeat(32) }] },
  ],
};
const T0 = Date.parse('2026-11-28T10:00:00Z');

describe('planChecks', () => {
  it('plans baseline, intervals, deadline and follow-ups for every item', () => {
    const order = parseOrder({ ...base, deadline: 'PT1H', checks: { every: 'PT20M', followUps: ['P7D', 'P1D'] } });
    const checks = planChecks(order);
    const item0 = checks.filter((c) => c.item === 0).map((c) => [c.kind, c.dueAt - T0]);
    expect(item0).toEqual([
      ['baseline', 0],
      ['interval', 1_200_000],
      ['interval', 2_400_000],
      ['deadline', 3_600_000],
      ['followUp', 3_600_000 + 86_400_000],
      ['followUp', 3_600_000 + 7 * 86_400_000],
    ]);
    expect(checks).toHaveLength(12);
    expect(checks.map((c) => c.dueAt)).toEqual([...checks.map((c) => c.dueAt)].sort((a, b) => a - b));
  });

  it('does not put an interval check on the deadline itself', () => {
    const order = parseOrder({ ...base, deadline: 'PT6S', checks: { every: 'PT2S', followUps: [] } });
    const kinds = planChecks(order)
      .filter((c) => c.item === 0)
      .map((c) => [c.kind, c.dueAt - T0]);
    expect(kinds).toEqual([
      ['baseline', 0],
      ['interval', 2000],
      ['interval', 4000],
      ['deadline', 6000],
    ]);
  });

  it('skips interval checks already past when stored late, never baseline, deadline or follow-ups', () => {
    const order = parseOrder({ ...base, deadline: 'PT1H', checks: { every: 'PT10M', followUps: ['P1D'] } });
    const kinds = planChecks(order, { skipIntervalsBefore: T0 + 7_200_000 })
      .filter((c) => c.item === 1)
      .map((c) => c.kind);
    expect(kinds).toEqual(['baseline', 'deadline', 'followUp']);
  });

  it('collapses duplicate follow-ups', () => {
    const order = parseOrder({ ...base, deadline: 'PT1H', checks: { every: 'PT1H', followUps: ['P1D', 'PT24H'] } });
    expect(planChecks(order).filter((c) => c.kind === 'followUp')).toHaveLength(2);
  });
});
