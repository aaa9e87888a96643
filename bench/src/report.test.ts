import { describe, expect, it } from 'vitest';
import { baselineFrom, compareWithBaseline } from './compare.js';
import { deadlineFit, formatFitTable } from './deadline-fit.js';
import { renderHtmlReport } from './report-html.js';

const suites = [
  {
    name: 'scanner',
    figures: [
      { name: 'scan 1 thread', value: 50, unit: 'images/s', job: { kind: 'scan' as const, item: 'image', threads: 1 } },
      {
        name: 'scan 2 threads',
        value: 95,
        unit: 'images/s',
        job: { kind: 'scan' as const, item: 'image', threads: 2 },
      },
      { name: 'peak rss', value: 300, unit: 'MiB' },
    ],
    ratios: [{ name: 'pool vs inline', value: 0.97, target: 0.95, direction: 'min' as const }],
    notes: [],
  },
];

describe('deadline fit', () => {
  it('turns tagged rates into what fits in 1 h and 12 h', () => {
    const rows = deadlineFit(suites);
    expect(rows).toHaveLength(2);
    expect(rows[0].fits).toEqual([50 * 3600, 50 * 12 * 3600]);
    expect(rows[1].threads).toBe(2);
    expect(formatFitTable(rows)).toContain('fits in 12 h');
  });
  it('renders a self-contained page with no external references', () => {
    const html = renderHtmlReport({
      title: 't <x>',
      machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, node: 'v20', loadAverage: [0] },
      startedAt: '2026-11-28T00:00:00Z',
      quick: true,
      rows: deadlineFit(suites),
      suites,
    });
    expect(html).toContain('t &#60;x&#62;');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
  });
});

describe('baseline comparison', () => {
  it('flags only a large drop in an in-run ratio', () => {
    const baseline = baselineFrom(suites);
    expect(compareWithBaseline(suites, baseline)[0].regressed).toBe(false);
    const worse = [{ name: 'scanner', ratios: [{ name: 'pool vs inline', value: 0.4, direction: 'min' as const }] }];
    expect(compareWithBaseline(worse, baseline)[0].regressed).toBe(true);
    const noisy = [{ name: 'scanner', ratios: [{ name: 'pool vs inline', value: 0.8, direction: 'min' as const }] }];
    expect(compareWithBaseline(noisy, baseline)[0].regressed).toBe(false);
  });
  it('treats a smaller-is-better ratio the other way round', () => {
    const base = { schema: 'staydown-bench-baseline/1' as const, ratios: { s: { overhead: 0.02 } } };
    expect(
      compareWithBaseline([{ name: 's', ratios: [{ name: 'overhead', value: 0.1, direction: 'max' }] }], base)[0]
        .regressed,
    ).toBe(true);
    expect(
      compareWithBaseline([{ name: 's', ratios: [{ name: 'overhead', value: 0.03, direction: 'max' }] }], base)[0]
        .regressed,
    ).toBe(false);
  });
});
