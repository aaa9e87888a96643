import { describe, expect, it } from 'vitest';
import type { Verdict } from '../crawl/types.js';
import type { EvidenceRecord } from '../evidence/record.js';
import type { CheckKind } from '../schedule/plan.js';
import type { StoredEvidence } from '../store/store.js';
import { buildItemReport, combineCompliance } from './build.js';
import { renderTextReport } from './text.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

/** A timeline entry: minute, verdict, kind (attempt > 1 for retries). */
type Step = [number, Verdict, CheckKind, number?];

function evidence(steps: Step[]): StoredEvidence[] {
  return steps.map(([min, verdict, kind, attempt = 1], seq) => {
    const record = {
      orderId: 'R',
      seq,
      item: 0,
      kind,
      attempt,
      observation: {
        requestedAt: at(min),
        verdict,
        reason: null,
        bestDistance: verdict === 'PRESENT' ? 3 : null,
        finalUrl: 'u',
        status: 200,
        resolvedIp: null,
      },
    } as unknown as EvidenceRecord;
    return { seq, hash: `h${seq}`, json: '', record };
  });
}

describe('buildItemReport', () => {
  it('removed before the deadline: compliant, bracketed', () => {
    const r = buildItemReport(
      'u',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [20, 'PRESENT', 'interval'],
        [40, 'NOT_FOUND', 'interval'],
        [60, 'NOT_FOUND', 'deadline'],
        [1500, 'NOT_FOUND', 'followUp'],
      ]),
    );
    expect(r.atDeadline).toEqual({ verdict: 'NOT_FOUND', checkedAt: at(60) });
    expect(r.compliant).toBe(true);
    expect(r.removal).toEqual({ lastSeenPresentAt: at(20), firstSeenAbsentAt: at(40) });
    expect(r.reappeared).toBe(false);
    expect(r.checks[0]).toMatchObject({
      checkedAt: at(0),
      verdict: 'PRESENT',
      reason: null,
      distance: 3,
      kind: 'baseline',
    });
  });

  it('still present at the deadline: not compliant; late removal shows in the bracket', () => {
    const r = buildItemReport(
      'u',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [60, 'PRESENT', 'deadline'],
        [1500, 'LEGAL_BLOCK', 'followUp'],
      ]),
    );
    expect(r.compliant).toBe(false);
    expect(r.removal).toEqual({ lastSeenPresentAt: at(60), firstSeenAbsentAt: at(1500) });
    expect(r.reappeared).toBe(false);
  });

  it('reappearance in a follow-up', () => {
    const r = buildItemReport(
      'u',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [30, 'REPLACED', 'interval'],
        [60, 'ACCESS_DENIED', 'deadline'],
        [1500, 'PRESENT', 'followUp'],
        [10_000, 'NOT_FOUND', 'followUp'],
      ]),
    );
    expect(r.compliant).toBe(true);
    expect(r.reappeared).toBe(true);
    expect(r.removal).toEqual({ lastSeenPresentAt: at(0), firstSeenAbsentAt: at(30) });
  });

  it('an inconclusive check inside an absence does not break the bracket', () => {
    const r = buildItemReport(
      'u',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [20, 'UNREACHABLE', 'interval'],
        [40, 'INCONCLUSIVE', 'interval'],
        [60, 'NOT_FOUND', 'deadline'],
      ]),
    );
    expect(r.removal).toEqual({ lastSeenPresentAt: at(0), firstSeenAbsentAt: at(20) });
  });

  it('an inconclusive deadline is null (never true), even after absences', () => {
    const r = buildItemReport(
      'u',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [30, 'NOT_FOUND', 'interval'],
        [60, 'INCONCLUSIVE', 'deadline'],
        [61, 'INCONCLUSIVE', 'deadline', 2],
      ]),
    );
    expect(r.atDeadline).toEqual({ verdict: 'INCONCLUSIVE', checkedAt: at(61) });
    expect(r.compliant).toBeNull();
    expect(r.checks.map((c) => c.kind)).toEqual(['baseline', 'interval', 'deadline', 'retry']);
  });

  it('a conclusive retry stands in for an inconclusive deadline check', () => {
    const r = buildItemReport(
      'u',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [60, 'INCONCLUSIVE', 'deadline'],
        [61, 'PRESENT', 'deadline', 2],
      ]),
    );
    expect(r.atDeadline).toEqual({ verdict: 'PRESENT', checkedAt: at(61) });
    expect(r.compliant).toBe(false);
  });

  it('no deadline check yet: null', () => {
    const r = buildItemReport('u', evidence([[0, 'PRESENT', 'baseline']]));
    expect(r).toMatchObject({ atDeadline: null, compliant: null, reappeared: false });
  });

  it('every absent verdict counts as removed', () => {
    for (const v of ['NOT_FOUND', 'LEGAL_BLOCK', 'REPLACED', 'ACCESS_DENIED', 'UNREACHABLE'] as const) {
      expect(buildItemReport('u', evidence([[60, v, 'deadline']])).compliant).toBe(true);
    }
  });
});

describe('combineCompliance', () => {
  it.each([
    [[true, true], true],
    [[true, false, null], false],
    [[true, null], null],
    [[null], null],
    [[], null],
  ])('%j → %j', (values, expected) => {
    expect(combineCompliance(values as Array<boolean | null>)).toBe(expected);
  });
});

describe('renderTextReport', () => {
  it('summarises order and items', () => {
    const item = buildItemReport(
      'https://a.example/1',
      evidence([
        [0, 'PRESENT', 'baseline'],
        [60, 'NOT_FOUND', 'deadline'],
        [70, 'PRESENT', 'followUp'],
      ]),
    );
    const text = renderTextReport({
      id: 'R',
      kind: 'csam',
      issuedAt: at(0),
      deadline: at(60),
      addressee: { name: 'Host', role: 'hosting' },
      compliant: true,
      running: false,
      pendingChecks: 0,
      items: [item],
      evidence: { intact: true, records: 3, head: 'abc', firstBad: null },
    });
    expect(text).toContain('Order R (csam) to Host (hosting)');
    expect(text).toContain('result: COMPLIANT');
    expect(text).toContain('at deadline: NOT_FOUND');
    expect(text).toContain('REAPPEARED');
  });
});
