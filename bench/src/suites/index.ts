import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HashIndex, importFile, nearRecord, openIndex, prng, recordHex, syntheticRecords } from '@staydown/index';
import type { BenchContext, Figure, Ratio, Suite, SuiteResult } from '../harness.js';
import { measure } from '../harness.js';

/**
 * The hash index at scale: PDQ lists of 100 k (quick) or 1 M and 10 M (full) hashes, uniform
 * and clustered (a share of near-duplicates planted around earlier hashes and a few
 * low-entropy originals, as real lists have). For each: import rate through the real file
 * importer (text list → LMDB → search tables → snapshot), open-to-first-answer from the
 * snapshot, memory per hash, and single-threaded queries/s at r=31 and r=16 beside the
 * brute-force WebAssembly linear scan over the same hashes in the same run (the ratio).
 *
 * STAYDOWN_BENCH_INDEX_SIZES (e.g. "1000000") overrides the sizes.
 */

const QUICK_SIZES = [100_000];
const FULL_SIZES = [1_000_000, 10_000_000];
const DISTRIBUTIONS = [
  { name: 'uniform', clustered: 0 },
  { name: 'clustered', clustered: 0.4 },
] as const;
/** Queries per measured call: half near a stored hash (a few to 40 bits off), half unrelated. */
const QUERIES = 512;

const TARGETS = { r31: 2000, r31Ratio: 30, r16: 20_000, openSeconds: 5, importRate: 200_000, bytesPerHash: 120 };

function sizes(ctx: BenchContext): number[] {
  const env = process.env.STAYDOWN_BENCH_INDEX_SIZES;
  if (env) return env.split(',').map((s) => Number(s.trim()));
  return ctx.quick ? QUICK_SIZES : FULL_SIZES;
}

async function writeTextList(file: string, records: Uint8Array, count: number): Promise<void> {
  const out = createWriteStream(file);
  const chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(recordHex(records, i));
    if (chunk.length === 10_000 || i === count - 1) {
      if (!out.write(`${chunk.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk.length = 0;
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function queries(records: Uint8Array, count: number, seed: number): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < QUERIES; i++) {
    if (i % 2 === 0) {
      out.push(
        Buffer.from(nearRecord(records, Math.floor(rand() * count), 2 + Math.floor(rand() * 38), rand)).toString('hex'),
      );
    } else {
      let hex = '';
      for (let w = 0; w < 8; w++)
        hex += Math.floor(rand() * 2 ** 32)
          .toString(16)
          .padStart(8, '0');
      out.push(hex);
    }
  }
  return out;
}

async function queryRate(
  index: HashIndex,
  qs: string[],
  maxDistance: number,
  strategy: 'auto' | 'scan',
  timeMs: number,
): Promise<{ hz: number; spreadPct: number; samples: number }> {
  // The linear scan over millions of hashes takes milliseconds per query: fewer per call.
  const perCall = strategy === 'scan' ? 8 : 64;
  let at = 0;
  const rate = await measure(
    `${strategy} r=${maxDistance}`,
    () => {
      for (let i = 0; i < perCall; i++) {
        index.search('pdq', qs[at], { maxDistance, strategy });
        at = (at + 1) % qs.length;
      }
    },
    { timeMs, iterations: 5, opsPerCall: perCall },
  );
  return rate;
}

export const indexSuite: Suite = {
  name: 'index',
  description:
    'PDQ hash index: import rate, open-to-first-answer, memory per hash, queries/s at r=31 and r=16 vs the brute-force wasm scan',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const figures: Figure[] = [];
    const ratios: Ratio[] = [];
    const notes: string[] = [];
    const root = mkdtempSync(path.join(os.tmpdir(), 'staydown-bench-index-'));
    const timeMs = ctx.quick ? 400 : 1500;
    try {
      for (const n of sizes(ctx)) {
        for (const dist of DISTRIBUTIONS) {
          const tag = `${n.toLocaleString('en-US')} ${dist.name}`;
          ctx.log(`index ${tag}: generating`);
          const records = syntheticRecords({ count: n, seed: n + dist.clustered * 1000, clustered: dist.clustered });
          const file = path.join(root, `${dist.name}-${n}.txt`);
          await writeTextList(file, records, n);
          const dir = path.join(root, `db-${dist.name}-${n}`);

          ctx.log(`index ${tag}: importing`);
          let index = await openIndex(dir);
          const t0 = process.hrtime.bigint();
          const report = await importFile(index, file, { list: 'bench' });
          const importSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
          await index.close();
          rmSync(file, { force: true });
          const importRate = report.rows / importSeconds;
          figures.push({
            name: `import ${tag} (text → LMDB → tables → snapshot)`,
            value: importRate,
            unit: 'hashes/s',
          });

          const rssBefore = process.memoryUsage().rss;
          const t1 = process.hrtime.bigint();
          index = await openIndex(dir, { readOnly: true });
          index.search('pdq', recordHex(records, 0), { maxDistance: 31 });
          const openSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
          const rssDelta = process.memoryUsage().rss - rssBefore;
          figures.push({ name: `open to first answer ${tag} (snapshot)`, value: openSeconds, unit: 's' });
          const stats = index.stats().signals.pdq;
          const distinct = stats.indexedHashes ?? n;
          figures.push({
            name: `search structure per hash ${tag} (${stats.substrings} substrings)`,
            value: (stats.memoryBytes ?? 0) / distinct,
            unit: 'bytes',
          });
          figures.push({
            name: `resident memory growth per hash ${tag} (RSS)`,
            value: rssDelta / distinct,
            unit: 'bytes',
          });

          const qs = queries(records, n, 7);
          ctx.log(`index ${tag}: querying`);
          const r31 = await queryRate(index, qs, 31, 'auto', timeMs);
          const r16 = await queryRate(index, qs, 16, 'auto', timeMs);
          const scan = await queryRate(index, qs, 31, 'scan', timeMs);
          await index.close();
          const job = { kind: 'match' as const, item: 'query hash', threads: 1, indexSize: n };
          figures.push({
            name: `queries r=31 ${tag}`,
            value: r31.hz,
            unit: 'q/s',
            spreadPct: r31.spreadPct,
            samples: r31.samples,
            job,
          });
          figures.push({
            name: `queries r=16 ${tag}`,
            value: r16.hz,
            unit: 'q/s',
            spreadPct: r16.spreadPct,
            samples: r16.samples,
          });
          figures.push({
            name: `queries brute-force wasm scan ${tag}`,
            value: scan.hz,
            unit: 'q/s',
            spreadPct: scan.spreadPct,
            samples: scan.samples,
          });
          figures.push({ name: `scan cost per comparison ${tag}`, value: 1e9 / (scan.hz * distinct), unit: 'ns' });
          const isTargetSize = n >= 10_000_000 && dist.name === 'clustered';
          ratios.push({
            name: `index vs linear scan at r=31, ${tag}`,
            value: r31.hz / scan.hz,
            ...(isTargetSize ? { target: TARGETS.r31Ratio, direction: 'min' as const } : {}),
          });
          if (isTargetSize) {
            const check = (what: string, ok: boolean) => notes.push(`${ok ? 'meets' : 'MISSES'} target: ${what}`);
            check(`r=31 ≥ ${TARGETS.r31} q/s (${Math.round(r31.hz)})`, r31.hz >= TARGETS.r31);
            check(`r=16 ≥ ${TARGETS.r16} q/s (${Math.round(r16.hz)})`, r16.hz >= TARGETS.r16);
            check(
              `open-to-ready < ${TARGETS.openSeconds} s (${openSeconds.toFixed(2)})`,
              openSeconds < TARGETS.openSeconds,
            );
            check(
              `import ≥ ${TARGETS.importRate} hashes/s (${Math.round(importRate)})`,
              importRate >= TARGETS.importRate,
            );
            const perHash = (stats.memoryBytes ?? 0) / distinct;
            check(`≤ ${TARGETS.bytesPerHash} bytes/hash (${perHash.toFixed(1)})`, perHash <= TARGETS.bytesPerHash);
          }
          notes.push(`${tag}: ${distinct.toLocaleString('en-US')} distinct of ${n.toLocaleString('en-US')} imported`);
          rmSync(dir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return { figures, ratios, notes };
  },
};
