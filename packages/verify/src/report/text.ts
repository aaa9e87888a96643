import type { ItemReport, OrderReport } from './types.js';

function yesNo(value: boolean | null): string {
  return value === true ? 'COMPLIANT' : value === false ? 'NOT COMPLIANT' : 'UNDETERMINED';
}

function itemLine(item: ItemReport, index: number): string[] {
  const d = item.atDeadline;
  const lines = [
    `  [${index}] ${item.url}`,
    `      at deadline: ${d ? `${d.verdict} (checked ${d.checkedAt})` : 'not checked yet'} -> ${yesNo(item.compliant)}`,
  ];
  const { lastSeenPresentAt, firstSeenAbsentAt } = item.removal;
  if (lastSeenPresentAt || firstSeenAbsentAt) {
    lines.push(
      `      removal: last seen present ${lastSeenPresentAt ?? '—'}, first seen absent ${firstSeenAbsentAt ?? '—'}`,
    );
  }
  if (item.reappeared) lines.push('      REAPPEARED after the deadline');
  const counts = new Map<string, number>();
  for (const c of item.checks) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  lines.push(
    `      checks: ${item.checks.length}${counts.size ? ` (${[...counts].map(([v, n]) => `${v} ${n}`).join(', ')})` : ''}`,
  );
  return lines;
}

/** The readable summary printed by `staydown report` without --format. */
export function renderTextReport(report: OrderReport): string {
  const lines = [
    `Order ${report.id} (${report.kind}) to ${report.addressee.name}${report.addressee.role ? ` (${report.addressee.role})` : ''}`,
    `  issued ${report.issuedAt}, deadline ${report.deadline}`,
    `  result: ${yesNo(report.compliant)}${report.running ? ` (still running: ${report.pendingChecks} checks pending)` : ''}`,
    `  evidence: ${report.evidence.records} records, chain ${report.evidence.intact ? `intact, head ${report.evidence.head}` : `BROKEN at record ${report.evidence.firstBad}`}`,
    '',
    'Items:',
    ...report.items.flatMap(itemLine),
  ];
  return `${lines.join('\n')}\n`;
}
