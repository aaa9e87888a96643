import os from 'node:os';
import { Bench } from 'tinybench';

/** Everything a suite needs to know about the run it is part of. */
export interface BenchContext {
  /** Reduced sizes that finish in a few minutes (CI); full sizes otherwise. */
  quick: boolean;
  /** Human-readable progress lines (stderr), never mixed into the results table. */
  log(message: string): void;
}

/** One measured quantity, e.g. images/s or bytes per hash. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Relative spread (e.g. tinybench's relative margin of error, in %), when measured repeatedly. */
  spreadPct?: number;
  samples?: number;
  /**
   * Marks a throughput figure (items per second) that the deadline-fit report turns into
   * "how many fit in 1 h / 12 h". Only rates of whole user-visible jobs are tagged.
   */
  job?: JobTag;
}

export interface JobTag {
  kind: 'hash' | 'scan' | 'match' | 'verify';
  /** What one item is: an image, a query hash, a URL. */
  item: string;
  threads?: number;
  /** Entries in the index the job matched against, where it matters. */
  indexSize?: number;
}

/**
 * A ratio between two figures measured in the same run. On shared, noisy machines ratios hold
 * where absolute times do not, so these are what CI compares and what targets are stated in.
 */
export interface Ratio {
  name: string;
  value: number;
  /** The target, when it has one. */
  target?: number;
  /** `min`: value should be at least target; `max`: at most. */
  direction?: 'min' | 'max';
}

export interface SuiteResult {
  figures: Figure[];
  ratios: Ratio[];
  /** Free-form findings (distributions, caveats) printed under the table. */
  notes: string[];
  /** Extra HTML sections for the report (e.g. the accuracy tables). */
  html?: string[];
}

export interface Suite {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<SuiteResult>;
}

export interface Rate {
  /** Operations per second (median of samples). */
  hz: number;
  /** Median time per operation, ms. */
  medianMs: number;
  spreadPct: number;
  samples: number;
}

/**
 * Measures `fn` with tinybench: warm-up, then repeated samples for at least `timeMs`.
 * Returns the median rate; `opsPerCall` turns per-call rates into per-item rates (batches).
 */
export async function measure(
  name: string,
  fn: () => unknown | Promise<unknown>,
  options: { timeMs?: number; iterations?: number; opsPerCall?: number } = {},
): Promise<Rate> {
  const bench = new Bench({
    name,
    time: options.timeMs ?? 1000,
    iterations: options.iterations ?? 5,
    warmup: true,
    warmupIterations: 2,
    warmupTime: 100,
  });
  bench.add(name, fn);
  await bench.run();
  const task = bench.tasks[0];
  const result = task.result as unknown as {
    state?: string;
    error?: unknown;
    latency?: { p50?: number; rme?: number; samplesCount?: number; samples?: number[] };
  };
  if (result?.error) throw result.error;
  const latency = result?.latency;
  const medianMs = latency?.p50 ?? Number.NaN;
  const per = options.opsPerCall ?? 1;
  return {
    hz: (1000 / medianMs) * per,
    medianMs: medianMs / per,
    spreadPct: latency?.rme ?? Number.NaN,
    samples: latency?.samplesCount ?? latency?.samples?.length ?? 0,
  };
}

/**
 * Rates of several ways of doing the same work, measured in turns: one call of each, in an
 * order that rotates, round after round until each has run `timeMs` (at least `minRounds`
 * rounds). A virtual machine's memory speed drifts by up to 2x over minutes; measured one
 * after another, two ways compare two moments of the machine (a limited search once came out
 * faster than the table search it contains). In turns, the drift falls on all of them alike
 * and their ratios hold. Each rate is the median call's; `opsPerCall` as in measure().
 */
export function interleavedRates<K extends string>(
  ways: Record<K, () => unknown>,
  options: { timeMs: number; opsPerCall?: number; minRounds?: number; warmupRounds?: number },
): Record<K, Rate> {
  const names = Object.keys(ways) as K[];
  const { timeMs, opsPerCall = 1, minRounds = 5, warmupRounds = 2 } = options;
  for (let round = 0; round < warmupRounds; round++) for (const name of names) ways[name]();
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  const spent = new Map<K, number>(names.map((name) => [name, 0]));
  for (let round = 0; round < minRounds || names.some((name) => (spent.get(name) ?? 0) < timeMs); round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const start = process.hrtime.bigint();
      ways[name]();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      samples.get(name)?.push(ms);
      spent.set(name, (spent.get(name) ?? 0) + ms);
    }
  }
  const rates = {} as Record<K, Rate>;
  for (const name of names) {
    const ms = samples.get(name) ?? [];
    const mid = median(ms);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ms.length - 1));
    rates[name] = {
      hz: (1000 / mid) * opsPerCall,
      medianMs: mid / opsPerCall,
      // As tinybench's relative margin of error: 95 % interval of the mean, in % of it.
      spreadPct: ((1.96 * sd) / Math.sqrt(ms.length) / mean) * 100,
      samples: ms.length,
    };
  }
  return rates;
}

/** Wall-clock rate of a single long run (for throughput over a whole corpus). */
export async function timeOnce(
  fn: () => Promise<number> | number,
): Promise<{ items: number; seconds: number; rate: number }> {
  const start = process.hrtime.bigint();
  const items = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { items, seconds, rate: items / seconds };
}

export function rateFigure(name: string, rate: Rate, unit: string): Figure {
  return { name, value: rate.hz, unit, spreadPct: rate.spreadPct, samples: rate.samples };
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
