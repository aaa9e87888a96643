import { maxOf, minOf } from '@staydown/core';
import { esc, VERDICT_SYMBOL } from './html.js';
import { formatUtc } from './time.js';
import { type ItemReport, verdictClass } from './types.js';

interface TimelineInput {
  item: ItemReport;
  itemIndex: number;
  issuedAt?: string;
  deadline?: string;
}

const W = 760;
const H = 130;
const PAD_L = 16;
const PAD_R = 16;
const AXIS_Y = 70;

/**
 * One item's checks on a time axis. Before the deadline and after it are drawn as two linear
 * segments (70 % / 30 % of the width) because follow-ups come days after checks minutes apart;
 * a single linear axis would crush the part that decides compliance.
 */
export function timelineSvg({ item, itemIndex, issuedAt, deadline }: TimelineInput): string {
  const times = item.checks.map((c) => Date.parse(c.checkedAt)).filter(Number.isFinite);
  const t0 = Math.min(minOf(times), issuedAt ? Date.parse(issuedAt) : Number.POSITIVE_INFINITY);
  const tDeadline = deadline ? Date.parse(deadline) : Number.NaN;
  const tEnd = Math.max(maxOf(times), Number.isFinite(tDeadline) ? tDeadline : Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(t0) || !Number.isFinite(tEnd)) return '<p class="muted">No checks recorded yet.</p>';
  const span = W - PAD_L - PAD_R;
  const hasAfter = Number.isFinite(tDeadline) && tEnd > tDeadline;
  const split = hasAfter ? PAD_L + span * 0.7 : W - PAD_R;
  const x = (t: number): number => {
    if (!Number.isFinite(tDeadline) || t <= tDeadline || !hasAfter) {
      const end = Number.isFinite(tDeadline) ? tDeadline : tEnd;
      return end === t0 ? PAD_L : PAD_L + ((Math.min(t, end) - t0) / (end - t0)) * (split - PAD_L);
    }
    return split + ((t - tDeadline) / (tEnd - tDeadline)) * (W - PAD_R - split);
  };
  const parts: string[] = [];
  const firstAbsent = item.removal.firstSeenAbsentAt ? Date.parse(item.removal.firstSeenAbsentAt) : Number.NaN;
  const lastPresent = item.removal.lastSeenPresentAt ? Date.parse(item.removal.lastSeenPresentAt) : Number.NaN;
  if (Number.isFinite(firstAbsent) && Number.isFinite(lastPresent) && firstAbsent >= lastPresent) {
    const [a, b] = [x(lastPresent), x(firstAbsent)];
    parts.push(
      `<rect class="bracket" data-role="removal-bracket" x="${a}" y="${AXIS_Y - 30}" width="${Math.max(2, b - a)}" height="60"><title>Removed between ${esc(formatUtc(item.removal.lastSeenPresentAt!))} and ${esc(formatUtc(item.removal.firstSeenAbsentAt!))}</title></rect>`,
      `<text x="${(a + b) / 2}" y="${AXIS_Y + 46}" text-anchor="middle">removed</text>`,
    );
  }
  parts.push(`<line class="axis" x1="${PAD_L}" y1="${AXIS_Y}" x2="${W - PAD_R}" y2="${AXIS_Y}"/>`);
  if (Number.isFinite(tDeadline)) {
    const dx = x(tDeadline);
    parts.push(
      `<line class="deadline" data-role="deadline" x1="${dx}" y1="${AXIS_Y - 45}" x2="${dx}" y2="${AXIS_Y + 35}"/>`,
      `<text x="${dx}" y="${AXIS_Y - 49}" text-anchor="middle" font-weight="700">deadline</text>`,
    );
  }
  parts.push(`<text x="${PAD_L}" y="${H - 4}">${esc(formatUtc(new Date(t0).toISOString()))}</text>`);
  parts.push(
    `<text x="${W - PAD_R}" y="${H - 4}" text-anchor="end">${esc(formatUtc(new Date(tEnd).toISOString()))}</text>`,
  );
  if (hasAfter)
    parts.push(`<text x="${split + 4}" y="${AXIS_Y + 30}" class="muted">after the deadline (not to scale)</text>`);
  item.checks.forEach((check, j) => {
    const t = Date.parse(check.checkedAt);
    if (!Number.isFinite(t)) return;
    const cx = x(t);
    const cls = verdictClass(check.verdict);
    const reappearance = cls === 'present' && Number.isFinite(firstAbsent) && t > firstAbsent;
    const cy = AXIS_Y + (cls === 'present' ? -14 : cls === 'absent' ? 14 : 0);
    const shape =
      cls === 'present'
        ? `<circle cx="${cx}" cy="${cy}" r="6"/>`
        : cls === 'absent'
          ? `<rect x="${cx - 5.5}" y="${cy - 5.5}" width="11" height="11"/>`
          : `<polygon points="${cx},${cy - 7} ${cx + 7},${cy + 6} ${cx - 7},${cy + 6}" stroke-width="2"/>`;
    const ring = reappearance ? `<circle class="ring" cx="${cx}" cy="${cy}" r="11"/>` : '';
    const label = `${check.verdict}${check.reason ? ` (${check.reason})` : ''} at ${formatUtc(check.checkedAt)}${reappearance ? ' — reappeared' : ''}`;
    parts.push(
      `<a href="#ev-${itemIndex}-${j}"><g class="check v-${cls}" data-verdict="${esc(check.verdict)}" data-checked-at="${esc(check.checkedAt)}"${reappearance ? ' data-reappeared="true"' : ''}><title>${esc(label)}</title>${ring}${shape}</g></a>`,
    );
  });
  return `<svg class="timeline" viewBox="0 0 ${W} ${H}" role="img" aria-label="Timeline of checks for ${esc(item.url)}">${parts.join('')}</svg>`;
}

export function legendHtml(): string {
  return `<ul class="legend" aria-label="Legend">
<li><span class="v-present">${VERDICT_SYMBOL.present}</span> present (above the line)</li>
<li><span class="v-absent">${VERDICT_SYMBOL.absent}</span> absent: not found, legal block, replaced, access denied, unreachable (below)</li>
<li><span class="v-inconclusive">${VERDICT_SYMBOL.inconclusive}</span> inconclusive (on the line; never counted as removed)</li>
<li>◯ ring: reappeared after removal</li><li>┆ dashed line: deadline</li><li>grey band: removal bracket</li></ul>`;
}
