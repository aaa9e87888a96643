import { esc, page, VERDICT_SYMBOL } from './html.js';
import { formatDuration, formatLocal, formatUtc, type ReportOptions, resolveOptions } from './time.js';
import { legendHtml, timelineSvg } from './timeline.js';
import { type ItemReport, type OrderReport, verdictClass } from './types.js';

function when(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '<span class="muted">–</span>';
  return `${esc(formatUtc(iso))}<br><span class="muted">${esc(formatLocal(iso, timeZone))}</span>`;
}

function complianceText(compliant: boolean | null, running = false): { cls: string; text: string } {
  if (running && compliant !== false)
    return { cls: 'unknown', text: 'Still running: checks are due, no final verdict yet' };
  if (compliant === true) return { cls: 'ok', text: 'Compliant: the content was inaccessible at the deadline' };
  if (compliant === false)
    return { cls: 'bad', text: 'NOT compliant: the content was still accessible at the deadline' };
  return { cls: 'unknown', text: 'Undetermined: the deadline check was inconclusive (never counted as removed)' };
}

function itemSection(item: ItemReport, i: number, order: OrderReport, timeZone: string): string {
  const status = complianceText(item.compliant);
  const rows = item.checks
    .map((c, j) => {
      const cls = verdictClass(c.verdict);
      const reappeared =
        cls === 'present' &&
        item.removal.firstSeenAbsentAt !== null &&
        Date.parse(c.checkedAt) > Date.parse(item.removal.firstSeenAbsentAt);
      const ev = c.evidence
        ? `record #${c.evidence.seq}<br><span class="mono">${esc(c.evidence.hash.slice(0, 16))}…</span>${c.evidence.status !== undefined ? `<br>HTTP ${esc(c.evidence.status ?? '–')}` : ''}${c.evidence.resolvedIp ? `<br>${esc(c.evidence.resolvedIp)}` : ''}`
        : '<span class="muted">–</span>';
      return `<tr id="ev-${i}-${j}" data-verdict="${esc(c.verdict)}"${reappeared ? ' class="reappeared"' : ''}><td>${j + 1}</td><td>${when(c.checkedAt, timeZone)}</td><td>${esc(c.kind ?? '')}</td><td class="v-${cls}">${VERDICT_SYMBOL[cls]} ${esc(c.verdict)}${reappeared ? ' (reappeared)' : ''}</td><td>${esc(c.reason ?? '')}</td><td>${c.distance === null ? '–' : esc(c.distance)}</td><td>${ev}</td></tr>`;
    })
    .join('\n');
  const removedAfter =
    item.removal.firstSeenAbsentAt && order.issuedAt
      ? formatDuration((Date.parse(item.removal.firstSeenAbsentAt) - Date.parse(order.issuedAt)) / 1000)
      : '–';
  return `<section class="item" data-item="${i}" data-compliant="${String(item.compliant)}">
<h3>Item ${i + 1}: <span class="mono">${esc(item.url)}</span></h3>
<p class="banner ${status.cls}">${esc(status.text)}</p>
<dl class="facts">
<dt>At the deadline</dt><dd>${item.atDeadline ? `<span class="v-${verdictClass(item.atDeadline.verdict)}">${VERDICT_SYMBOL[verdictClass(item.atDeadline.verdict)]} ${esc(item.atDeadline.verdict)}</span>, checked ${when(item.atDeadline.checkedAt, timeZone)}` : '<span class="muted">not checked yet</span>'}</dd>
<dt>Last seen present</dt><dd>${when(item.removal.lastSeenPresentAt, timeZone)}</dd>
<dt>First seen absent</dt><dd>${item.removal.firstSeenAbsentAt ? `${when(item.removal.firstSeenAbsentAt, timeZone)} <span class="muted">(${esc(removedAfter)} after issue)</span>` : '<span class="muted">never seen removed</span>'}</dd>
<dt>Reappeared</dt><dd>${item.reappeared ? '<strong class="v-present">yes — present again after removal</strong>' : 'no'}</dd>
</dl>
<figure>${timelineSvg({ item, itemIndex: i, issuedAt: order.issuedAt, deadline: order.deadline })}</figure>
<div class="scroll"><table><thead><tr><th>#</th><th>Checked (UTC / local)</th><th>Check</th><th>Verdict</th><th>Reason</th><th>Distance</th><th>Evidence</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</section>`;
}

function evidenceText(order: OrderReport): string {
  const e = order.evidence;
  if (!e) return '<span class="muted">not available</span>';
  if (!e.intact)
    return `<strong class="v-present">BROKEN</strong>${e.firstBad !== null && e.firstBad !== undefined ? ` at record #${esc(e.firstBad)}` : ''} (${esc(e.records)} records)`;
  const signed = e.signedBy ? `, signed by <span class="mono">${esc(e.signedBy)}</span>` : ', not signed';
  return `<span class="v-absent">intact</span>: ${esc(e.records)} hash-chained records, head <span class="mono">${esc(e.head ?? '–')}</span>${signed}`;
}

/** One self-contained HTML page for one order: facts, overall verdict, per-item timelines and checks. */
export function renderOrderHtml(order: OrderReport, options: ReportOptions = {}): string {
  const { timeZone, generatedAt } = resolveOptions(options);
  const status = complianceText(order.compliant, order.running);
  const body = `<header>
<p class="muted">Staydown removal-order verification report</p>
<h1>Order <span class="mono">${esc(order.id)}</span></h1>
<p class="banner ${status.cls}" data-role="overall" data-compliant="${String(order.compliant)}">${esc(status.text)}</p>
<dl class="facts">
<dt>Kind</dt><dd>${esc(order.kind ?? '–')}</dd>
<dt>Addressee</dt><dd>${esc(order.addressee?.name ?? '–')}${order.addressee?.role ? ` (${esc(order.addressee.role)})` : ''}</dd>
<dt>Issued</dt><dd>${when(order.issuedAt, timeZone)}</dd>
<dt>Deadline</dt><dd>${when(order.deadline, timeZone)}</dd>
<dt>Items</dt><dd>${order.items.length}</dd>
<dt>Evidence chain</dt><dd data-role="evidence">${evidenceText(order)}</dd>
<dt>Times</dt><dd>UTC, and local time in ${esc(timeZone)}</dd>
</dl>
</header>
<h2>Items</h2>
${legendHtml()}
${order.items.map((item, i) => itemSection(item, i, order, timeZone)).join('\n')}
<footer class="muted"><p>Generated ${esc(formatUtc(generatedAt.toISOString()))}. Each check links to its evidence record (sequence number and record hash in the order's hash chain); verify the exported bundle with <span class="mono">staydown evidence verify</span>.</p></footer>`;
  return page(`Order ${order.id} — compliance report`, body);
}
