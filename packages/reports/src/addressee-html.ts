import type { AddresseeSummary, OrderSummary } from './addressee.js';
import { esc, page } from './html.js';
import { formatDuration, formatLocal, formatUtc, type ReportOptions, resolveOptions } from './time.js';

function verdictCell(compliant: boolean | null): string {
  if (compliant === true) return '<span class="v-absent">■ compliant</span>';
  if (compliant === false) return '<span class="v-present">● not compliant</span>';
  return '<span class="v-inconclusive">▲ undetermined</span>';
}

function ordersTable(orders: OrderSummary[], timeZone: string, flagged: Set<string>): string {
  const rows = orders
    .map(
      (o) =>
        `<tr data-order="${esc(o.id)}" data-compliant="${String(o.compliant)}"><td class="mono">${esc(o.id)}</td><td>${o.issuedAt ? `${esc(formatUtc(o.issuedAt))}<br><span class="muted">${esc(formatLocal(o.issuedAt, timeZone))}</span>` : '–'}</td><td>${verdictCell(o.compliant)}</td><td>${o.items}</td><td>${o.itemsNotRemoved}</td><td>${esc(formatDuration(o.worstTimeToRemovalSeconds))}</td><td>${o.reappearances}</td><td>${flagged.has(o.id) ? '<strong>in flag window</strong>' : ''}</td></tr>`,
    )
    .join('\n');
  return `<div class="scroll"><table><thead><tr><th>Order</th><th>Issued (UTC / local)</th><th>Outcome</th><th>Items</th><th>Not removed</th><th>Worst time to removal</th><th>Reappearances</th><th>Flag</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function flagBox(s: AddresseeSummary): string {
  const { rule } = s.flag;
  const ruleText = `at least ${rule.minNonCompliant} non-compliant orders within ${rule.windowDays} days`;
  if (!s.flag.persistent) {
    return `<p class="banner ok" data-role="flag" data-persistent="false">Not flagged: the rule (${esc(ruleText)}) is not met — at most ${s.flag.evidence.length} non-compliant order(s) in any such window.</p>`;
  }
  return `<div class="banner bad" data-role="flag" data-persistent="true">Persistent and systematic non-compliance: ${s.flag.evidence.length} non-compliant orders between ${esc(formatUtc(s.flag.windowStart!))} and ${esc(formatUtc(s.flag.windowEnd!))} (rule: ${esc(ruleText)}).
<p>Evidence: ${s.flag.evidence.map((o) => `<span class="mono">${esc(o.id)}</span>`).join(', ')}.</p></div>`;
}

/** One host: compliance rate, removal times, the orders, and the persistence flag with its evidence. */
export function renderAddresseeHtml(summary: AddresseeSummary, options: ReportOptions = {}): string {
  const { timeZone, generatedAt } = resolveOptions(options);
  const flagged = new Set(summary.flag.evidence.map((o) => o.id));
  const rate = summary.complianceRate === null ? '–' : `${(summary.complianceRate * 100).toFixed(0)}%`;
  const body = `<p class="muted">Staydown addressee compliance report</p>
<h1>${esc(summary.addressee)}</h1>
${flagBox(summary)}
<dl class="facts">
<dt>Orders</dt><dd>${summary.orders.length} (${summary.compliantOrders} compliant, ${summary.nonCompliantOrders} not compliant, ${summary.undeterminedOrders} undetermined)</dd>
<dt>Compliance rate</dt><dd data-role="rate">${rate}</dd>
<dt>Median time to removal</dt><dd>${esc(formatDuration(summary.medianTimeToRemovalSeconds))}</dd>
<dt>Worst time to removal</dt><dd>${esc(formatDuration(summary.worstTimeToRemovalSeconds))}</dd>
<dt>Items never seen removed</dt><dd>${summary.itemsNotRemoved}</dd>
<dt>Re-appearances</dt><dd>${summary.reappearances}</dd>
<dt>Times</dt><dd>UTC, and local time in ${esc(timeZone)}</dd>
</dl>
<h2>Orders</h2>
${ordersTable(summary.orders, timeZone, flagged)}
<footer class="muted"><p>Generated ${esc(formatUtc(generatedAt.toISOString()))}. Undetermined orders (an inconclusive deadline check) are never counted as compliant.</p></footer>`;
  return page(`${summary.addressee} — compliance report`, body);
}

/** All addressees ranked by non-compliance. */
export function renderRankingHtml(ranking: AddresseeSummary[], options: ReportOptions = {}): string {
  const { generatedAt } = resolveOptions(options);
  const rows = ranking
    .map(
      (s, i) =>
        `<tr data-addressee="${esc(s.addressee)}"><td>${i + 1}</td><td>${esc(s.addressee)}</td><td>${s.flag.persistent ? '<strong class="v-present">● flagged</strong>' : ''}</td><td>${s.orders.length}</td><td>${s.nonCompliantOrders}</td><td>${s.complianceRate === null ? '–' : `${(s.complianceRate * 100).toFixed(0)}%`}</td><td>${esc(formatDuration(s.medianTimeToRemovalSeconds))}</td><td>${s.reappearances}</td></tr>`,
    )
    .join('\n');
  const body = `<p class="muted">Staydown compliance ranking</p><h1>Addressees ranked by non-compliance</h1>
<div class="scroll"><table><thead><tr><th>#</th><th>Addressee</th><th>Persistent</th><th>Orders</th><th>Not compliant</th><th>Compliance rate</th><th>Median time to removal</th><th>Reappearances</th></tr></thead><tbody>${rows}</tbody></table></div>
<footer class="muted"><p>Generated ${esc(formatUtc(generatedAt.toISOString()))}.</p></footer>`;
  return page('Addressees ranked by non-compliance', body);
}
