import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@staydown/test';
import { type Baseline, baselineFrom, compareWithBaseline } from './compare.js';
import { deadlineFit, formatFitTable } from './deadline-fit.js';
import { type BenchContext, type Figure, machineInfo, type Ratio } from './harness.js';
import { renderHtmlReport } from './report-html.js';
import { loadSuites } from './suites.js';

/** Stable results schema: other tools (CI, the deadline-fit report) read this file. */
export interface BenchResults {
  schema: 'staydown-bench/1';
  startedAt: string;
  quick: boolean;
  machine: ReturnType<typeof machineInfo>;
  suites: {
    name: string;
    description: string;
    seconds: number;
    figures: Figure[];
    ratios: Ratio[];
    notes: string[];
    /** Extra HTML sections for the report (e.g. the accuracy tables). */
    html?: string[];
    error?: string;
  }[];
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      'update-baseline': { type: 'boolean', default: false },
    },
  });
  const quick = Boolean(values.quick);
  const ctx: BenchContext = { quick, log: (m) => process.stderr.write(`  ${m}\n`) };
  const results: BenchResults = {
    schema: 'staydown-bench/1',
    startedAt: new Date().toISOString(),
    quick,
    machine: machineInfo(),
    suites: [],
  };
  const m = results.machine;
  process.stdout.write(
    `staydown bench (${quick ? 'quick' : 'full'}) on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}\n`,
  );
  let failed = false;
  for (const suite of await loadSuites()) {
    if (values.only && !values.only.includes(suite.name)) continue;
    process.stdout.write(`\n== ${suite.name}: ${suite.description}\n`);
    const start = performance.now();
    try {
      const r = await suite.run(ctx);
      const seconds = (performance.now() - start) / 1000;
      results.suites.push({ name: suite.name, description: suite.description, seconds, ...r });
      for (const f of r.figures) {
        const spread = f.spreadPct === undefined ? '' : `  ±${f.spreadPct.toFixed(1)}%`;
        process.stdout.write(`  ${f.name.padEnd(58)} ${fmt(f.value).padStart(12)} ${f.unit}${spread}\n`);
      }
      for (const q of r.ratios) {
        const target = q.target === undefined ? '' : `  (target ${q.direction === 'max' ? '≤' : '≥'} ${q.target})`;
        const ok =
          q.target === undefined
            ? ''
            : (q.direction === 'max' ? q.value <= q.target : q.value >= q.target)
              ? '  ok'
              : '  MISSED';
        process.stdout.write(`  ratio ${q.name.padEnd(52)} ${fmt(q.value).padStart(12)}${target}${ok}\n`);
      }
      for (const n of r.notes) process.stdout.write(`  note: ${n}\n`);
    } catch (error) {
      failed = true;
      const message = (error as Error)?.stack ?? String(error);
      results.suites.push({
        name: suite.name,
        description: suite.description,
        seconds: 0,
        figures: [],
        ratios: [],
        notes: [],
        error: message,
      });
      process.stdout.write(`  FAILED: ${message}\n`);
    }
  }
  const resultsDir = path.join(repoRoot, 'bench', 'results');
  const out = values.out ?? path.join(resultsDir, `${quick ? 'quick' : 'full'}-latest.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

  const rows = deadlineFit(results.suites);
  process.stdout.write(`\n== deadline fit (from the rates above)\n${formatFitTable(rows)}`);
  const htmlPath = path.join(path.dirname(out), `${quick ? 'quick' : 'full'}-report.html`);
  writeFileSync(
    htmlPath,
    renderHtmlReport({
      title: 'Staydown benchmarks and deadline fit',
      machine: { ...results.machine },
      startedAt: results.startedAt,
      quick,
      rows,
      suites: results.suites,
      sections: results.suites.flatMap((s) => s.html ?? []),
    }),
  );

  const baselinePath = path.join(repoRoot, 'bench', 'baseline.json');
  if (values['update-baseline']) {
    writeFileSync(baselinePath, `${JSON.stringify(baselineFrom(results.suites), null, 2)}\n`);
    process.stdout.write(`baseline updated: ${path.relative(process.cwd(), baselinePath)}\n`);
  } else if (existsSync(baselinePath)) {
    const baseline = JSON.parse(readFileSync(baselinePath, 'utf8')) as Baseline;
    const changes = compareWithBaseline(results.suites, baseline);
    process.stdout.write('\n== in-run ratios against bench/baseline.json (fails only on a large drop)\n');
    for (const c of changes) {
      const pct = `${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(0)}%`;
      process.stdout.write(
        `  ${c.regressed ? 'REGRESSED' : 'ok       '} ${c.suite}/${c.name}: ${c.value.toFixed(2)} (baseline ${c.baseline}, ${pct})\n`,
      );
      if (c.regressed) failed = true;
    }
  }
  process.stdout.write(
    `\nresults: ${path.relative(process.cwd(), out)}\nreport:  ${path.relative(process.cwd(), htmlPath)}\n`,
  );
  return failed ? 1 : 0;
}

process.exitCode = await main();
