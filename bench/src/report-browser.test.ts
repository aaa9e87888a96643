import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserAvailability, launchBrowser, repoRoot } from '@staydown/test';
import { describe, expect, it } from 'vitest';
import { deadlineFit } from './deadline-fit.js';
import type { Figure } from './harness.js';
import { renderHtmlReport } from './report-html.js';

const browser$ = browserAvailability();

const scan = (threads: number, value: number): Figure => ({
  name: `scan ${threads}`,
  value,
  unit: 'images/s',
  job: { kind: 'scan', item: 'image', threads, indexSize: 100_000 },
});
const match = (indexSize: number, value: number): Figure => ({
  name: `match ${indexSize}`,
  value,
  unit: 'queries/s',
  job: { kind: 'match', item: 'query hash', threads: 1, indexSize },
});

describe.skipIf(!browser$.available)(`deadline-fit report in headless Chromium ${browser$.reason}`, () => {
  it('shows the fit table and both charts, offline', async () => {
    const suites = [
      { name: 'scanner', figures: [scan(1, 50), scan(2, 95)], ratios: [], notes: [] },
      {
        name: 'index',
        figures: [match(100_000, 9000), match(1_000_000, 4000), match(10_000_000, 2100)],
        ratios: [],
        notes: [],
      },
    ];
    const html = renderHtmlReport({
      title: 'Staydown benchmarks and deadline fit',
      machine: { cpu: 'test cpu', cores: 2, memoryGiB: 24, node: process.version, loadAverage: [0.1] },
      startedAt: '2026-11-28T12:00:00Z',
      quick: true,
      rows: deadlineFit(suites),
      suites,
      sections: ['<h2 id="accuracy">Accuracy</h2>'],
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'staydown-bench-report-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, html);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => {
        if (r.url() !== pathToFileURL(file).href) requests.push(r.url());
      });
      await page.goto(pathToFileURL(file).href);
      const rows = await page.$$eval('table', (tables) =>
        [...tables[0].querySelectorAll('tbody tr')].map((tr) => tr.children[0].textContent),
      );
      expect(rows).toEqual([
        'scan (images)',
        'scan (images)',
        'match (query hashes)',
        'match (query hashes)',
        'match (query hashes)',
      ]);
      // 50 images/s × 3600 s = 180 000 images in one hour.
      expect(await page.textContent('body')).toContain('180,000');
      expect(await page.$$eval('svg[role="img"]', (svgs) => svgs.map((s) => s.getAttribute('aria-label')))).toEqual([
        'Throughput against thread count',
        'Throughput against index size',
      ]);
      expect(await page.$('#accuracy')).not.toBeNull();
      mkdirSync(path.join(repoRoot, 'test-artifacts', 'bench'), { recursive: true });
      await page.screenshot({
        path: path.join(repoRoot, 'test-artifacts', 'bench', 'deadline-fit.png'),
        fullPage: true,
      });
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
