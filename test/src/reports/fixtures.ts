import type { OrderReport } from '@staydown/reports';

const at = (base: string, seconds: number) => new Date(Date.parse(base) + seconds * 1000).toISOString();

/**
 * A known order: item 0 removed before the deadline, item 1 still up at the deadline, item 2
 * removed then back at the follow-up, item 3 inconclusive at the deadline.
 */
export function knownOrder(issuedAt = '2026-11-28T10:00:00.000Z'): OrderReport {
  const deadline = at(issuedAt, 3600);
  const ev = (seq: number) => ({
    seq,
    hash: `${seq.toString(16).padStart(2, '0')}${'ab'.repeat(31)}`,
    status: 200,
    resolvedIp: '127.0.0.1',
  });
  let seq = 0;
  const check = (
    s: number,
    verdict: OrderReport['items'][number]['checks'][number]['verdict'],
    kind: string,
    reason: string | null = null,
  ) => ({
    checkedAt: at(issuedAt, s),
    verdict,
    reason,
    distance: verdict === 'PRESENT' ? 0 : null,
    kind,
    evidence: ev(++seq),
  });
  return {
    id: 'ORDER-2026-0042',
    kind: 'csam',
    issuedAt,
    deadline,
    addressee: { name: 'Example Hosting B.V.', role: 'hosting' },
    compliant: false,
    evidence: { intact: true, records: 16, head: 'ff'.repeat(32), signedBy: 'ed25519:3f1c…' },
    items: [
      {
        url: 'https://host.example/a.jpg',
        atDeadline: { verdict: 'NOT_FOUND', checkedAt: deadline },
        compliant: true,
        removal: { lastSeenPresentAt: at(issuedAt, 0), firstSeenAbsentAt: at(issuedAt, 600) },
        reappeared: false,
        checks: [
          check(0, 'PRESENT', 'baseline'),
          check(600, 'NOT_FOUND', 'interval'),
          check(3600, 'NOT_FOUND', 'deadline'),
          check(86400 + 3600, 'NOT_FOUND', 'follow-up'),
        ],
      },
      {
        url: 'https://host.example/b.jpg',
        atDeadline: { verdict: 'PRESENT', checkedAt: deadline },
        compliant: false,
        removal: { lastSeenPresentAt: deadline, firstSeenAbsentAt: null },
        reappeared: false,
        checks: [
          check(0, 'PRESENT', 'baseline'),
          check(600, 'PRESENT', 'interval'),
          check(3600, 'PRESENT', 'deadline'),
        ],
      },
      {
        url: 'https://host.example/page.html?x=1,2',
        atDeadline: { verdict: 'REPLACED', checkedAt: deadline },
        compliant: true,
        removal: { lastSeenPresentAt: at(issuedAt, 0), firstSeenAbsentAt: at(issuedAt, 1200) },
        reappeared: true,
        checks: [
          check(0, 'PRESENT', 'baseline'),
          check(1200, 'REPLACED', 'interval'),
          check(3600, 'REPLACED', 'deadline'),
          check(86400 + 3600, 'PRESENT', 'follow-up'),
        ],
      },
      {
        url: 'https://host.example/c.jpg',
        atDeadline: { verdict: 'INCONCLUSIVE', checkedAt: deadline },
        compliant: null,
        removal: { lastSeenPresentAt: at(issuedAt, 0), firstSeenAbsentAt: null },
        reappeared: false,
        checks: [check(0, 'PRESENT', 'baseline'), check(3600, 'INCONCLUSIVE', 'deadline', 'http_503')],
      },
    ],
  };
}
