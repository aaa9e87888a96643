import type { Ratio } from './harness.js';

/**
 * Compares in-run ratios with a committed baseline. Only ratios are compared: absolute times
 * swing with the machine and its neighbours, ratios measured in the same run do not. A ratio
 * fails only when it falls below `1 - margin` of its baseline (a generous margin: CI noise on a
 * shared 2-core machine is large, and a real regression in an index or pool is usually 2×+).
 * Only ratios in bench/baseline.json are compared. Left out of it, and shown against their
 * targets in the printed table instead: overheads that are noise around zero; the quick (100k)
 * index-vs-scan ratios, which swung 1.8–4.4 between idle runs because each query is a few
 * microseconds; ratios to a constant (the C++ tool's published rate), which are absolute times;
 * and the 2-thread scaling, which depends on the cores the CI machine leaves free.
 */
export interface Baseline {
  schema: 'staydown-bench-baseline/1';
  /** suite → ratio name → value */
  ratios: Record<string, Record<string, number>>;
}

export interface RatioChange {
  suite: string;
  name: string;
  baseline: number;
  value: number;
  change: number;
  regressed: boolean;
}

export const DEFAULT_MARGIN = 0.5;

export function compareWithBaseline(
  suites: { name: string; ratios: Ratio[] }[],
  baseline: Baseline,
  margin = DEFAULT_MARGIN,
): RatioChange[] {
  const changes: RatioChange[] = [];
  for (const suite of suites) {
    const base = baseline.ratios[suite.name] ?? {};
    for (const ratio of suite.ratios) {
      const b = base[ratio.name];
      // A relative margin only means something for positive quantities (an overhead in % can be
      // negative noise); those ratios are checked against their targets, not the baseline.
      if (b === undefined || !(b > 0) || !Number.isFinite(ratio.value)) continue;
      // A 'max' ratio (smaller is better) regresses when it grows; a 'min' one when it shrinks.
      const worse = ratio.direction === 'max' ? ratio.value > b / (1 - margin) : ratio.value < b * (1 - margin);
      changes.push({
        suite: suite.name,
        name: ratio.name,
        baseline: b,
        value: ratio.value,
        change: ratio.value / b - 1,
        regressed: worse,
      });
    }
  }
  return changes;
}

export function baselineFrom(suites: { name: string; ratios: Ratio[] }[]): Baseline {
  const ratios: Baseline['ratios'] = {};
  for (const suite of suites) {
    for (const r of suite.ratios) {
      if (!Number.isFinite(r.value)) continue;
      ratios[suite.name] ??= {};
      ratios[suite.name][r.name] = Math.round(r.value * 1000) / 1000;
    }
  }
  return { schema: 'staydown-bench-baseline/1', ratios };
}
