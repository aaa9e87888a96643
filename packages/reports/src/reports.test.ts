import { describe, expect, it } from 'vitest';
import { rankAddressees, renderAddresseeCsv, renderOrderCsv, renderOrderHtml, summarizeAddressee } from './index.js';
import type { OrderReport } from './types.js';

function order(
  id: string,
  addressee: string,
  issuedAt: string,
  compliant: boolean | null,
  removedAfterS: number | null,
): OrderReport {
  const gone = removedAfterS === null ? null : new Date(Date.parse(issuedAt) + removedAfterS * 1000).toISOString();
  return {
    id,
    issuedAt,
    deadline: new Date(Date.parse(issuedAt) + 3600_000).toISOString(),
    addressee: { name: addressee },
    compliant,
    items: [
      {
        url: `https://x.example/${id}.jpg`,
        atDeadline: {
          verdict: compliant ? 'NOT_FOUND' : compliant === null ? 'INCONCLUSIVE' : 'PRESENT',
          checkedAt: issuedAt,
        },
        compliant,
        removal: { lastSeenPresentAt: issuedAt, firstSeenAbsentAt: gone },
        reappeared: false,
        checks: [{ checkedAt: issuedAt, verdict: 'PRESENT', reason: null, distance: 0 }],
      },
    ],
  };
}

const orders = [
  order('A1', 'Bad Host', '2026-01-01T00:00:00Z', false, null),
  order('A2', 'Bad Host', '2026-01-20T00:00:00Z', false, 7200),
  order('A3', 'Bad Host', '2026-02-10T00:00:00Z', false, null),
  order('A4', 'Bad Host', '2026-09-01T00:00:00Z', true, 600),
  order('B1', 'Good Host', '2026-01-05T00:00:00Z', true, 300),
  order('B2', 'Good Host', '2026-03-05T00:00:00Z', null, null),
  order('C1', 'Sometimes Host', '2026-01-01T00:00:00Z', false, null),
  order('C2', 'Sometimes Host', '2026-06-01T00:00:00Z', false, null),
  order('C3', 'Sometimes Host', '2026-11-01T00:00:00Z', false, null),
];

describe('addressee summary', () => {
  it('flags persistent non-compliance only when the rule is met within one window', () => {
    const bad = summarizeAddressee('Bad Host', orders);
    expect(bad.flag.persistent).toBe(true);
    expect(bad.flag.evidence.map((o) => o.id)).toEqual(['A1', 'A2', 'A3']);
    expect(bad.complianceRate).toBe(0.25);
    expect(bad.medianTimeToRemovalSeconds).toBe((7200 + 600) / 2);
    expect(bad.worstTimeToRemovalSeconds).toBe(7200);
    // Three failures, but spread over 10 months: not within 90 days.
    const spread = summarizeAddressee('Sometimes Host', orders);
    expect(spread.flag.persistent).toBe(false);
    expect(spread.nonCompliantOrders).toBe(3);
    expect(summarizeAddressee('Sometimes Host', orders, { rule: { windowDays: 365 } }).flag.persistent).toBe(true);
  });
  it('never counts an undetermined order as compliant', () => {
    const good = summarizeAddressee('Good Host', orders);
    expect(good.compliantOrders).toBe(1);
    expect(good.undeterminedOrders).toBe(1);
    expect(good.complianceRate).toBe(1);
  });
  it('filters by date and ranks the worst first', () => {
    expect(
      summarizeAddressee('Bad Host', orders, { range: { from: '2026-02-01', to: '2026-12-31' } }).orders.map(
        (o) => o.id,
      ),
    ).toEqual(['A3', 'A4']);
    expect(rankAddressees(orders).map((s) => s.addressee)).toEqual(['Bad Host', 'Sometimes Host', 'Good Host']);
    expect(() => summarizeAddressee('Bad Host', orders, { range: { from: 'yesterday' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});

describe('CSV and HTML', () => {
  it('writes one CSV row per check and quotes what needs quoting', () => {
    const o = order('X,1', 'Host "Q"', '2026-01-01T00:00:00Z', true, 60);
    const lines = renderOrderCsv(o).trim().split('\n');
    expect(lines[0]).toMatch(/^order_id,item_index,url,checked_at/);
    expect(lines).toHaveLength(2);
    expect(lines[1].startsWith('"X,1",0,')).toBe(true);
    expect(renderAddresseeCsv(summarizeAddressee('Bad Host', orders)).trim().split('\n')).toHaveLength(5);
  });
  it('escapes hostile text and references nothing outside the file', () => {
    const o = order('<script>alert(1)</script>', 'Evil <b>', '2026-01-01T00:00:00Z', false, null);
    const html = renderOrderHtml(o, { timeZone: 'Europe/Amsterdam' });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain('CET');
    expect(() => renderOrderHtml(o, { timeZone: 'Mars/Olympus' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
