import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  rankAddressees,
  renderAddresseeHtml,
  renderOrderHtml,
  renderRankingHtml,
  summarizeAddressee,
} from '@staydown/reports';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailability, launchBrowser } from '../browser.js';
import { repoRoot } from '../conformance.js';
import { knownOrder } from './fixtures.js';

const browser$ = browserAvailability();
const artifacts = path.join(repoRoot, 'test-artifacts', 'reports');

/** Opens an HTML file and records every request other than the file itself. */
async function open(browser: Browser, html: string, name: string): Promise<{ page: Page; requests: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'staydown-report-'));
  const file = path.join(dir, `${name}.html`);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const requests: string[] = [];
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests };
}

describe.skipIf(!browser$.available)(`reports in headless Chromium ${browser$.reason}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    mkdirSync(artifacts, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the known order’s verdicts on the timeline and makes no request', async () => {
    const { page, requests } = await open(browser, renderOrderHtml(knownOrder()), 'order');
    const perItem = await page.$$eval('section.item', (sections) =>
      sections.map((s) => ({
        compliant: s.getAttribute('data-compliant'),
        verdicts: [...s.querySelectorAll('svg .check')].map((g) => g.getAttribute('data-verdict')),
        reappeared: s.querySelectorAll('svg [data-reappeared="true"]').length,
        deadline: s.querySelectorAll('svg [data-role="deadline"]').length,
        bracket: s.querySelectorAll('svg [data-role="removal-bracket"]').length,
      })),
    );
    expect(perItem).toEqual([
      {
        compliant: 'true',
        verdicts: ['PRESENT', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
        reappeared: 0,
        deadline: 1,
        bracket: 1,
      },
      { compliant: 'false', verdicts: ['PRESENT', 'PRESENT', 'PRESENT'], reappeared: 0, deadline: 1, bracket: 0 },
      {
        compliant: 'true',
        verdicts: ['PRESENT', 'REPLACED', 'REPLACED', 'PRESENT'],
        reappeared: 1,
        deadline: 1,
        bracket: 1,
      },
      { compliant: 'null', verdicts: ['PRESENT', 'INCONCLUSIVE'], reappeared: 0, deadline: 1, bracket: 0 },
    ]);
    expect(await page.getAttribute('[data-role="overall"]', 'data-compliant')).toBe('false');
    expect(await page.textContent('[data-role="evidence"]')).toContain('intact');
    // Every timeline mark links to its evidence row in the same file.
    const href = await page.getAttribute('section.item a', 'href');
    expect(await page.$(href!)).not.toBeNull();
    // Times are shown in UTC and in Amsterdam time (CET in November).
    expect(await page.textContent('body')).toMatch(/2026-11-28 10:00:00 UTC[\s\S]*11:00:00 CET/);
    await page.screenshot({ path: path.join(artifacts, 'order.png'), fullPage: true });
    // Readable on a phone: no horizontal overflow of the page at 390 px.
    await page.setViewportSize({ width: 390, height: 800 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: path.join(artifacts, 'order-phone.png'), fullPage: true });
    // Prints on A4.
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    expect(requests).toEqual([]);
    await page.close();
  });

  it('flags a persistent offender with its evidence and ranks addressees', async () => {
    const orders = [0, 10, 20].map((d) => {
      const o = knownOrder(new Date(Date.parse('2026-09-01T08:00:00Z') + d * 86400_000).toISOString());
      return { ...o, id: `ORDER-${d}` };
    });
    const { page, requests } = await open(
      browser,
      renderAddresseeHtml(summarizeAddressee('Example Hosting B.V.', orders)),
      'addressee',
    );
    expect(await page.getAttribute('[data-role="flag"]', 'data-persistent')).toBe('true');
    expect(await page.textContent('[data-role="flag"]')).toContain('ORDER-20');
    expect(await page.$$eval('tr[data-order]', (rows) => rows.map((r) => r.getAttribute('data-compliant')))).toEqual([
      'false',
      'false',
      'false',
    ]);
    await page.screenshot({ path: path.join(artifacts, 'addressee.png'), fullPage: true });
    const ranking = await open(browser, renderRankingHtml(rankAddressees(orders)), 'ranking');
    expect(await ranking.page.$$eval('tr[data-addressee]', (rows) => rows.length)).toBe(1);
    expect([...requests, ...ranking.requests]).toEqual([]);
    await page.close();
    await ranking.page.close();
  });
});
