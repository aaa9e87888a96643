import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@staydown/test';
import { type BenchContext, type Figure, machineInfo, type Ratio } from './harness.js';
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
  const out = values.out ?? path.join(repoRoot, 'bench', 'results', `${quick ? 'quick' : 'full'}-latest.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), out)}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
