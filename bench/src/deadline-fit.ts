import type { Figure } from './harness.js';

/** The legal deadlines the report is about: 1 h (terrorist content) and 12 h (CSAM, the maximum). */
export const DEADLINES = [
  { name: '1 h', seconds: 3600 },
  { name: '12 h', seconds: 12 * 3600 },
] as const;

export interface FitRow {
  job: string;
  item: string;
  threads: number | null;
  indexSize: number | null;
  perSecond: number;
  /** Seconds for the reference batch size (`batch` items). */
  secondsForBatch: number;
  batch: number;
  /** Largest N that fits in each deadline. */
  fits: number[];
  source: string;
}

export interface SuiteFigures {
  name: string;
  figures: Figure[];
}

const BATCH = 10_000;

/** `image` → `images`, `query hash` → `query hashes`, `URL` → `URLs`. */
export function plural(item: string): string {
  return /(s|sh|ch|x)$/.test(item) ? `${item}es` : `${item}s`;
}

/** Turns every job-tagged throughput figure into a deadline-fit row. */
export function deadlineFit(suites: SuiteFigures[]): FitRow[] {
  const rows: FitRow[] = [];
  for (const suite of suites) {
    for (const f of suite.figures) {
      if (!f.job || !(f.value > 0)) continue;
      rows.push({
        job: f.job.kind,
        item: f.job.item,
        threads: f.job.threads ?? null,
        indexSize: f.job.indexSize ?? null,
        perSecond: f.value,
        batch: BATCH,
        secondsForBatch: BATCH / f.value,
        fits: DEADLINES.map((d) => Math.floor(f.value * d.seconds)),
        source: `${suite.name}: ${f.name}`,
      });
    }
  }
  return rows;
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  return String(Math.round(n));
}

function duration(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(0)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatFitTable(rows: FitRow[]): string {
  if (rows.length === 0) return '  (no job throughput figures in this run)\n';
  const header = [
    'job',
    'threads',
    'index',
    'rate/s',
    `time for ${human(BATCH)}`,
    ...DEADLINES.map((d) => `fits in ${d.name}`),
    'measured by',
  ];
  const body = rows.map((r) => [
    `${r.job} (${plural(r.item)})`,
    r.threads === null ? '-' : String(r.threads),
    r.indexSize === null ? '-' : human(r.indexSize),
    r.perSecond >= 100 ? Math.round(r.perSecond).toLocaleString('en-US') : r.perSecond.toFixed(1),
    duration(r.secondsForBatch),
    ...r.fits.map(human),
    r.source,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`;
  return line(header) + line(widths.map((w) => '-'.repeat(w))) + body.map(line).join('');
}
