import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HashIndex, openIndex } from '@staydown/index';
import {
  type BatchSearcher,
  createScanner,
  groupNearDuplicates,
  hashImageInLane,
  inLanes,
  matchBatch,
  resolveScannerOptions,
} from '@staydown/scanner';
import { syntheticImage } from '@staydown/test';
import sharp from 'sharp';
import type { BenchContext, Figure, Ratio, Suite, SuiteResult } from '../harness.js';
import { median } from '../harness.js';
import { runModuleChild } from './module-child.js';
import { type ProbeRun, scalingProbe } from './scaling-probe.js';

/**
 * Scanner throughput: images/s over a mixed synthetic corpus (small JPEG/PNG, 1024×768 and
 * 4000×3000 JPEGs) for 1, 2 and N threads against an in-memory PDQ index, the scaling ratio,
 * the pool's overhead against a plain loop doing the same work on one thread (process CPU time,
 * interleaved pairs, median and range), and peak RSS of a fresh process scanning many files.
 */

interface Sizes {
  indexSize: number;
  small: number;
  medium: number;
  large: number;
  /** Files scanned in the memory run (small files repeated). */
  memoryFiles: number;
  /** Timed passes over the corpus per configuration (the median is reported). */
  passes: number;
  /**
   * Times the corpus is scanned in one thread-count pass. A pass ends with one thread still
   * decoding the last 12-megapixel image while the other has run out of work; over a single
   * 276-image pass (2 s) that idle tail is ~10% of a 2-thread run, a per-job cost rather than
   * a per-image one. Longer passes measure the throughput a hotline's stream of thousands sees.
   */
  repeat: number;
  /**
   * Interleaved inline/pool pairs per corpus in the overhead measurement. One pair's ratio
   * swings by ±8–25 % with the machine's speed, so a median of 5 put a ~2 % overhead anywhere from
   * -10 to +13 % (twelve runs, 96×96 thumbnails): more pairs, not longer ones, narrow it.
   */
  overheadPairs: number;
  /** Thumbnails per overhead pass (the 32 distinct ones repeated), so a pass is not over in a few ms. */
  thumbnailsPerPass: number;
  /** PDQ hashes grouped into near-duplicate groups. */
  groupHashes: number;
  /** The scaling probe (scaling-probe.ts): how long each loop is timed, and how many rounds. */
  probeMs: number;
  probeRounds: number;
}

const QUICK: Sizes = {
  indexSize: 100_000,
  small: 96,
  medium: 12,
  large: 4,
  memoryFiles: 5_000,
  passes: 3,
  repeat: 1,
  overheadPairs: 11,
  thumbnailsPerPass: 160,
  groupHashes: 10_000,
  probeMs: 2000,
  probeRounds: 1,
};
const FULL: Sizes = {
  indexSize: 1_000_000,
  small: 240,
  medium: 30,
  large: 6,
  memoryFiles: 100_000,
  passes: 5,
  repeat: 4,
  overheadPairs: 15,
  thumbnailsPerPass: 640,
  groupHashes: 100_000,
  probeMs: 8000,
  probeRounds: 3,
};

interface Corpus {
  dir: string;
  files: string[];
  small: string[];
  /** Thumbnails repeated for the memory run (many files, little hashing each). */
  tiny: string[];
}

/**
 * A fixed shuffle, so the few 4000×3000 files are spread through the pass instead of all at its
 * end: a large file left last runs alone on one thread and measures the tail, not the pool.
 */
function interleave(files: string[]): string[] {
  const out = [...files];
  let state = 0x9e3779b9;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function writeCorpus(sizes: Sizes, log: (m: string) => void): Promise<Corpus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-bench-scan-'));
  const files: string[] = [];
  const small: string[] = [];
  const tiny: string[] = [];
  const add = async (name: string, bytes: Promise<Buffer>) => {
    const file = path.join(dir, name);
    writeFileSync(file, await bytes);
    files.push(file);
    return file;
  };
  for (let i = 0; i < sizes.small; i++) {
    const png = i % 4 === 3;
    const w = 160 + ((i * 37) % 480);
    const h = 120 + ((i * 53) % 360);
    small.push(
      await add(
        `small-${i}.${png ? 'png' : 'jpg'}`,
        syntheticImage(i, { width: w, height: h, format: png ? 'png' : 'jpeg' }),
      ),
    );
  }
  for (let i = 0; i < sizes.medium; i++)
    await add(`medium-${i}.jpg`, syntheticImage(1000 + i, { width: 1024, height: 768 }));
  for (let i = 0; i < sizes.large; i++)
    await add(`large-${i}.jpg`, syntheticImage(2000 + i, { width: 4000, height: 3000 }));
  for (let i = 0; i < 32; i++) {
    const file = path.join(dir, `tiny-${i}.jpg`);
    writeFileSync(file, await syntheticImage(3000 + i, { width: 96, height: 96 }));
    tiny.push(file);
  }
  log(`corpus: ${sizes.small} small, ${sizes.medium} 1024×768, ${sizes.large} 4000×3000 in ${dir}`);
  return { dir, files: interleave(files), small, tiny };
}

/** Random PDQ hashes standing in for a hash list (the scan's cost is the search, not the list). */
function randomPdq(count: number, seed: number): string[] {
  let state = seed >>> 0 || 1;
  const out: string[] = [];
  const bytes = Buffer.alloc(32);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < 32; j += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes.writeUInt32LE(state >>> 0, j);
    }
    out.push(bytes.toString('hex'));
  }
  return out;
}

/** A PDQ list of `size` random hashes in a temporary LMDB index, its search structure built. */
async function buildIndex(
  size: number,
  log: (m: string) => void,
): Promise<{ index: HashIndex; dir: string; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-bench-scan-index-'));
  const started = performance.now();
  const index = await openIndex(dir);
  const hashes = randomPdq(size, 42);
  for (let at = 0; at < size; at += 50_000) {
    index.add(hashes.slice(at, at + 50_000).map((hash) => ({ signal: 'pdq', hash, list: 'bench' })));
  }
  index.warm();
  log(`index: ${size.toLocaleString('en-US')} PDQ hashes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    index,
    dir,
    close: async () => {
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Pass {
  /** Wall-clock images per second. */
  rate: number;
  /** CPU time of the whole process (all threads) per image, ms: contention from other processes does not inflate it. */
  cpuMsPerImage: number;
  /** Process CPU time ÷ wall time: how many cores the scan kept busy on average. */
  busyCores: number;
}

async function timed(count: number, work: () => Promise<void>): Promise<Pass> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { rate: count / seconds, cpuMsPerImage: (cpuSeconds * 1000) / count, busyCores: cpuSeconds / seconds };
}

type Scanner = ReturnType<typeof createScanner>;

/** Images hashed per thread before timing, so JIT compilation is not in the timed passes. */
const WARM_IMAGES = 32;

async function warmScanner(
  threads: number,
  index: BatchSearcher,
  files: readonly string[],
  imagesPerThread?: number,
): Promise<Scanner> {
  const scanner = createScanner({ threads, index, imagesPerThread });
  // Threads start, load sharp and compile the hashing code before anything is timed (the
  // inline loop is warmed alike).
  for await (const _ of scanner.scanPaths(files.slice(0, WARM_IMAGES * threads))) {
  }
  return scanner;
}

/** Scans `files`, or the folder `folder` holding exactly those files when given. */
function scanPass(scanner: Scanner, files: readonly string[], folder?: string): Promise<Pass> {
  return timed(files.length, async () => {
    let n = 0;
    for await (const r of scanner.scanPaths(folder ?? files)) {
      if (r.error) throw new Error(`${r.path}: ${r.error.code} ${r.error.message}`);
      n++;
    }
    if (n !== files.length) throw new Error(`${n} results for ${files.length} files`);
  });
}

/** Images per batch in the inline loop, and in hand at once: the scanner's defaults for one thread. */
const { batchMaxItems: INLINE_BATCH, imagesPerThread: IMAGES_IN_HAND } = resolveScannerOptions({ threads: 1 });

/**
 * The same work as a 1-thread scan with no pool, on this thread: batches of the scanner's
 * default size, each read (synchronously, as a pool thread does) and hashed with the pool
 * threads' own loop (imagesPerThread in hand, lanes.ts) and matched in one call, so the comparison
 * isolates what the pool costs (threads, messages, queues), not what batching or the lanes save.
 */
function inlinePass(files: readonly string[], index: BatchSearcher): Promise<Pass> {
  return timed(files.length, async () => {
    for (let from = 0; from < files.length; from += INLINE_BATCH) {
      const batch = files.slice(from, from + INLINE_BATCH);
      const hashes = await inLanes(batch, (file, admit) => hashImageInLane(readFileSync(file), admit), IMAGES_IN_HAND);
      matchBatch(index, hashes);
    }
  });
}

interface MemoryRun {
  /** RSS of the fresh process with its modules loaded, before the index is opened. */
  start: number;
  /** After opening the index and building its in-memory search structure. */
  indexed: number;
  /** Just before the scan starts (pool threads started). */
  before: number;
  peak: number;
  rate: number;
  files: number;
}

/**
 * A fresh process, as `staydown scan` would be: opens the benchmark's index from disk, builds
 * its search structure, then scans `count` file paths (the thumbnails repeated) and samples its
 * RSS (worker threads included). Run apart from this process so the figure is not inflated by
 * what the benchmark itself holds (the corpus generation, the earlier passes' heaps).
 */
const MEMORY_CHILD = `
import { openIndex } from '@staydown/index';
import { createScanner } from '@staydown/scanner';
const { indexDir, files, count } = JSON.parse(process.env.STAYDOWN_BENCH_MEMORY);
const rss = () => process.memoryUsage.rss();
const start = rss();
const index = await openIndex(indexDir);
index.warm();
const indexed = rss();
const scanner = createScanner({ index });
for await (const _ of scanner.scanPaths(files.slice(0, scanner.threads * 2))) {}
function* repeated() {
  for (let i = 0; i < count; i++) yield files[i % files.length];
}
const before = rss();
let peak = before;
const timer = setInterval(() => { peak = Math.max(peak, rss()); }, 25);
const t0 = process.hrtime.bigint();
let n = 0;
for await (const r of scanner.scanPaths(repeated())) {
  if (r.error) throw new Error(r.path + ': ' + r.error.code);
  if (++n % 256 === 0) peak = Math.max(peak, rss());
}
const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
clearInterval(timer);
await scanner.close();
await index.close();
process.stdout.write(JSON.stringify({ start, indexed, before, peak, rate, files: n }));
`;

async function memoryRun(indexDir: string, files: readonly string[], count: number): Promise<MemoryRun> {
  const run = await runModuleChild<MemoryRun>(
    MEMORY_CHILD,
    'STAYDOWN_BENCH_MEMORY',
    { indexDir, files, count },
    'memory run',
  );
  if (run.files !== count) throw new Error(`memory run: ${run.files} results for ${count} files`);
  return run;
}

/** Random hashes where every fourth has a near copy: union-find over the index's search. */
async function groupingRate(count: number): Promise<{ rate: number; groups: number }> {
  const hashes = randomPdq(count, 7);
  const items = hashes.map((pdq, i) => {
    if (i % 4 !== 1) return { id: String(i), pdq };
    const near = Buffer.from(hashes[i - 1], 'hex');
    near[0] ^= 3;
    return { id: String(i), pdq: near.toString('hex') };
  });
  const start = process.hrtime.bigint();
  const groups = await groupNearDuplicates(items);
  return { rate: count / (Number(process.hrtime.bigint() - start) / 1e9), groups: groups.length };
}

const mib = (bytes: number) => bytes / 2 ** 20;
const spreadPct = (values: number[]) => ((Math.max(...values) - Math.min(...values)) / median(values)) * 50;
const fmt = (values: number[], digits = 1) => values.map((v) => v.toFixed(digits)).join(', ');

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const sizes = ctx.quick ? QUICK : FULL;
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const notes: string[] = [];
  const cores = os.availableParallelism();
  const load = os.loadavg();
  notes.push(
    `load average at start: ${load.map((l) => l.toFixed(2)).join(' / ')} on ${cores} cores (shared machine: other work competes for the cores)`,
  );
  // The pool sets libvips to one thread (process-wide); the inline loop gets the same setting,
  // so neither side hides work on a second core.
  sharp.concurrency(1);
  const rssAtStart = process.memoryUsage.rss();
  const corpus = await writeCorpus(sizes, ctx.log);
  const rssAfterCorpus = process.memoryUsage.rss();
  const { index, dir: indexDir, close } = await buildIndex(sizes.indexSize, ctx.log);
  const rssAfterIndex = process.memoryUsage.rss();
  try {
    // Every thread count is timed in each round, the order rotating between rounds, so a change
    // in the machine's load falls on all of them alike. Each count runs with the scanner's
    // defaults (2 images in hand per thread when there is a thread per core, else 1). With them,
    // 2 threads holding one image each: what decoding one while hashing the other gains.
    const threadCounts = [...new Set([1, 2, cores])];
    const SINGLE = -2;
    const runKeys = [...threadCounts, SINGLE];
    const scanners = new Map<number, Scanner>();
    const passes = new Map<number, Pass[]>(runKeys.map((t) => [t, []]));
    const stream = Array.from({ length: sizes.repeat }, () => corpus.files).flat();
    try {
      for (const threads of threadCounts) scanners.set(threads, await warmScanner(threads, index, corpus.files));
      scanners.set(SINGLE, await warmScanner(2, index, corpus.files, 1));
      for (let p = 0; p < sizes.passes; p++) {
        for (let k = 0; k < runKeys.length; k++) {
          const key = runKeys[(p + k) % runKeys.length];
          const scanner = scanners.get(key) as Scanner;
          passes.get(key)?.push(await scanPass(scanner, stream));
        }
      }
    } finally {
      for (const scanner of scanners.values()) await scanner.close();
    }
    const rates = new Map<number, number>();
    /** Images per CPU-second: what the work costs, whatever share of the cores the run got. */
    const perCpuSecond = new Map<number, number>();
    const busyCores = new Map<number, number>();
    for (const threads of threadCounts) {
      const runs = passes.get(threads) ?? [];
      const all = runs.map((p) => p.rate);
      const rate = median(all);
      rates.set(threads, rate);
      perCpuSecond.set(threads, median(runs.map((p) => 1000 / p.cpuMsPerImage)));
      const busy = runs.map((p) => p.busyCores);
      busyCores.set(threads, median(busy));
      ctx.log(`${threads} thread(s), ${stream.length} images a pass: ${fmt(all)} images/s; cores busy ${fmt(busy, 2)}`);
      figures.push({
        name: `scan mixed corpus, ${threads} thread${threads > 1 ? 's' : ''}`,
        value: rate,
        unit: 'images/s',
        spreadPct: spreadPct(all),
        samples: all.length,
        job: { kind: 'scan', item: 'image', threads, indexSize: sizes.indexSize },
      });
      figures.push({
        name: `cores kept busy (process CPU ÷ wall), ${threads} thread${threads > 1 ? 's' : ''}`,
        value: median(busy),
        unit: 'cores',
        spreadPct: spreadPct(busy),
        samples: busy.length,
      });
    }
    const one = rates.get(1) ?? Number.NaN;
    const perRound = (passes.get(2) ?? []).map((p, i) => p.rate / (passes.get(1)?.[i]?.rate ?? Number.NaN));
    ratios.push({
      name: '2 threads ÷ 1 thread (mixed corpus)',
      value: (rates.get(2) ?? Number.NaN) / one,
      target: 1.8,
      direction: 'min',
    });
    notes.push(`2 threads ÷ 1 thread, round by round: ${fmt(perRound, 2)}`);
    // On a loaded machine the wall-clock ratio only shows how much CPU the run was given. This
    // one shows whether running two threads costs more work per image than one (1.0 = no
    // parallel overhead): with two free cores, the wall-clock ratio then approaches 2 × it.
    const cpuRatio = (perCpuSecond.get(2) ?? Number.NaN) / (perCpuSecond.get(1) ?? Number.NaN);
    ratios.push({ name: 'images per CPU-second, 2 threads ÷ 1 thread (mixed corpus)', value: cpuRatio });
    // The wall-clock ratio is (about) the product of these two: a shortfall in the first is
    // CPU left idle at 2 threads (waits, hand-offs, scheduling), in the second extra work per image.
    const busyRatio = (busyCores.get(2) ?? Number.NaN) / (busyCores.get(1) ?? Number.NaN);
    notes.push(
      `2 threads ÷ 1 thread ≈ cores kept busy ${fmt([busyCores.get(2) ?? Number.NaN], 2)} ÷ ${fmt([busyCores.get(1) ?? Number.NaN], 2)} (${busyRatio.toFixed(3)}) × images per CPU-second ${cpuRatio.toFixed(3)} = ${(busyRatio * cpuRatio).toFixed(3)}`,
    );
    if (cores > 2) {
      ratios.push({
        name: `${cores} threads ÷ 1 thread (mixed corpus)`,
        value: (rates.get(cores) ?? Number.NaN) / one,
      });
    }
    const inHand = (threads: number) => resolveScannerOptions({ threads }).imagesPerThread;
    notes.push(
      `images in hand per thread (the scanner's default for each count): ${threadCounts.map((t) => `${t} thread${t > 1 ? 's' : ''}: ${inHand(t)}`).join(', ')}`,
    );
    const single = passes.get(SINGLE) ?? [];
    const singleRates = single.map((p) => p.rate);
    const singleBusy = single.map((p) => p.busyCores);
    ctx.log(
      `2 threads, 1 image in hand each, ${stream.length} images a pass: ${fmt(singleRates)} images/s; cores busy ${fmt(singleBusy, 2)}`,
    );
    figures.push({
      name: 'scan mixed corpus, 2 threads, 1 image in hand per thread',
      value: median(singleRates),
      unit: 'images/s',
      spreadPct: spreadPct(singleRates),
      samples: singleRates.length,
    });
    figures.push({
      name: 'cores kept busy (process CPU ÷ wall), 2 threads, 1 image in hand per thread',
      value: median(singleBusy),
      unit: 'cores',
      spreadPct: spreadPct(singleBusy),
      samples: singleBusy.length,
    });
    const pairedPerRound = single.map((p, i) => (passes.get(2)?.[i]?.rate ?? Number.NaN) / p.rate);
    ratios.push({
      name: '2 threads with 2 images in hand ÷ with 1 (mixed corpus)',
      value: (rates.get(2) ?? Number.NaN) / median(singleRates),
    });
    notes.push(`2 threads with 2 images in hand ÷ with 1, round by round: ${fmt(pairedPerRound, 2)}`);
    // The same decode → hash loop without the pool, as processes and as threads of one
    // process: what two cores give this machine, to read the pool's ratio against.
    const probe = await scalingProbe(corpus.files, sizes.probeMs, sizes.probeRounds, ctx.log);
    const probeFigures: [string, ProbeRun][] = [
      ['1 process', probe.oneProcess],
      ['2 processes at once', probe.twoProcesses],
      ['1 worker thread', probe.oneThread],
      ['2 worker threads of one process', probe.twoThreads],
    ];
    for (const [label, run] of probeFigures) {
      figures.push({
        name: `inline loop without the pool, ${label} (mixed corpus)`,
        value: run.rate,
        unit: 'images/s',
      });
      figures.push({ name: `cores kept busy, inline loop without the pool, ${label}`, value: run.busy, unit: 'cores' });
    }
    ratios.push({ name: 'inline loop without the pool, 2 processes ÷ 1 (mixed corpus)', value: probe.processRatio });
    ratios.push({
      name: 'inline loop without the pool, 2 threads of one process ÷ 1 (mixed corpus)',
      value: probe.threadRatio,
    });
    // Cores kept busy hold steady where rates swing with the machine's speed from one window
    // to the next: compare these with the pool's cores busy at 2 threads ÷ 1.
    ratios.push({
      name: 'cores kept busy, inline loop without the pool, 2 processes ÷ 1',
      value: probe.twoProcesses.busy / probe.oneProcess.busy,
    });
    ratios.push({
      name: 'cores kept busy, inline loop without the pool, 2 threads of one process ÷ 1',
      value: probe.twoThreads.busy / probe.oneThread.busy,
    });
    ratios.push({ name: 'cores kept busy, pool, 2 threads ÷ 1', value: busyRatio });
    notes.push(
      `scaling probe (read → hash loop, no pool, no matching): 2 processes ÷ 1 ${fmt(
        probe.perRound.map((r) => r.processRatio),
        2,
      )} ` +
        `(cores busy ${probe.oneProcess.busy.toFixed(2)} → ${probe.twoProcesses.busy.toFixed(2)}); ` +
        `2 threads of one process ÷ 1 ${fmt(
          probe.perRound.map((r) => r.threadRatio),
          2,
        )} ` +
        `(cores busy ${probe.oneThread.busy.toFixed(2)} → ${probe.twoThreads.busy.toFixed(2)}). ` +
        "Where threads fall short of processes, the pool cannot reach the processes' ratio: the loss is in sharing one process.",
    );

    // Pool overhead: the CPU time of the whole process (every thread: process.cpuUsage is the
    // process's rusage) per image, for a 1-thread pool against an inline loop doing the same
    // read → hash → match on this thread, over the same files. Passes are paired and the order
    // alternates within pairs so drift in load or clock falls on both; the median of the pair
    // ratios is reported with their range. Other processes on the machine do not inflate CPU
    // time (they only stretch the wall clock). Thumbnails are the worst case (per-task cost
    // weighs most there: batching is what keeps it small), so each thumbnail pass repeats the
    // 32 distinct thumbnails to `thumbnailsPerPass` images.
    const thumbnails = Array.from({ length: sizes.thumbnailsPerPass }, (_, i) => corpus.tiny[i % corpus.tiny.length]);
    // The same thumbnails as copies in one folder, scanned as `staydown scan FOLDER` does: the
    // walk learns that each entry is a file from the folder listing, so this thread does not
    // stat each file as it must for a path it is handed.
    const thumbFolder = path.join(corpus.dir, 'thumbnails');
    mkdirSync(thumbFolder);
    const thumbCopies = thumbnails.map((file, i) => {
      const copy = path.join(thumbFolder, `${i}-${path.basename(file)}`);
      copyFileSync(file, copy);
      return copy;
    });
    const cases: [string, string[], string | undefined][] = [
      ['96×96 thumbnails', thumbnails, undefined],
      ['96×96 thumbnails, folder walk', thumbCopies, thumbFolder],
      ['small images', corpus.small, undefined],
      ['mixed corpus', corpus.files, undefined],
    ];
    // One pool for every case, as the inline loop is one thread for every case: a fresh pool
    // per case compared a freshly compiled thread with a main thread that had hashed every
    // earlier case, which read as pool overhead in the later cases (the folder walk's 8.8 and
    // 10.2 % beside 2.0 and -0.3 % for the same thumbnails listed, in two quick runs).
    const scanner = await warmScanner(1, index, corpus.tiny);
    try {
      for (const [label, files, folder] of cases) {
        const wall: number[] = [];
        const cpu: number[] = [];
        const inlineCpu: number[] = [];
        const poolCpu: number[] = [];
        const inlineRate: number[] = [];
        const poolRate: number[] = [];
        await inlinePass(files.slice(0, WARM_IMAGES), index);
        await scanPass(scanner, files.slice(0, WARM_IMAGES));
        for (let p = 0; p < sizes.overheadPairs; p++) {
          let inline: Pass;
          let pooled: Pass;
          if (p % 2 === 0) {
            inline = await inlinePass(files, index);
            pooled = await scanPass(scanner, files, folder);
          } else {
            pooled = await scanPass(scanner, files, folder);
            inline = await inlinePass(files, index);
          }
          wall.push(inline.rate / pooled.rate);
          cpu.push(pooled.cpuMsPerImage / inline.cpuMsPerImage);
          inlineCpu.push(inline.cpuMsPerImage);
          poolCpu.push(pooled.cpuMsPerImage);
          inlineRate.push(inline.rate);
          poolRate.push(pooled.rate);
        }
        const pct = (ratios: number[]) => ratios.map((r) => (r - 1) * 100);
        ctx.log(`overhead (${label}), ${files.length} images a pass: CPU ${fmt(pct(cpu))} %; wall ${fmt(pct(wall))} %`);
        notes.push(
          `pool CPU overhead (${label}): median ${((median(cpu) - 1) * 100).toFixed(1)} %, pairs ${fmt(pct(cpu))} % ` +
            `(inline ${fmt(inlineCpu, 2)} ms/image, pool ${fmt(poolCpu, 2)} ms/image)`,
        );
        figures.push({
          name: `inline loop, no pool (${label})`,
          value: median(inlineRate),
          unit: 'images/s',
          spreadPct: spreadPct(inlineRate),
          samples: inlineRate.length,
        });
        figures.push({
          name: `pool of 1 thread (${label})`,
          value: median(poolRate),
          unit: 'images/s',
          spreadPct: spreadPct(poolRate),
          samples: poolRate.length,
        });
        figures.push({
          name: `CPU per image, inline (${label})`,
          value: median(inlineCpu),
          unit: 'ms',
          spreadPct: spreadPct(inlineCpu),
          samples: inlineCpu.length,
        });
        figures.push({
          name: `CPU per image, pool (${label})`,
          value: median(poolCpu),
          unit: 'ms',
          spreadPct: spreadPct(poolCpu),
          samples: poolCpu.length,
        });
        ratios.push({
          name: `pool CPU overhead vs inline loop, % (${label})`,
          value: (median(cpu) - 1) * 100,
          target: 5,
          direction: 'max',
        });
        ratios.push({ name: `pool wall-time overhead vs inline loop, % (${label})`, value: (median(wall) - 1) * 100 });
      }
    } finally {
      await scanner.close();
    }

    const rssBeforeMemoryRun = process.memoryUsage.rss();
    const memory = await memoryRun(indexDir, corpus.tiny, sizes.memoryFiles);
    const files = sizes.memoryFiles.toLocaleString('en-US');
    figures.push({ name: `peak RSS scanning ${files} files (fresh process)`, value: mib(memory.peak), unit: 'MiB' });
    figures.push({
      name: `RSS of that process with the index open, before scanning`,
      value: mib(memory.before),
      unit: 'MiB',
    });
    figures.push({
      name: `RSS growth while scanning ${files} files`,
      value: mib(memory.peak - memory.before),
      unit: 'MiB',
    });
    figures.push({
      name: `scan 96×96 thumbnails, ${cores} threads (memory run)`,
      value: memory.rate,
      unit: 'images/s',
    });
    notes.push(
      `memory run (fresh process, ${sizes.indexSize.toLocaleString('en-US')}-hash index): modules loaded ${mib(memory.start).toFixed(0)} MiB, ` +
        `index opened and warmed ${mib(memory.indexed).toFixed(0)} MiB, pool started ${mib(memory.before).toFixed(0)} MiB, ` +
        `peak while scanning ${files} files ${mib(memory.peak).toFixed(0)} MiB`,
    );
    notes.push(
      `this benchmark process (not the scan): ${mib(rssAtStart).toFixed(0)} MiB at start, ${mib(rssAfterCorpus).toFixed(0)} MiB after writing the corpus, ` +
        `${mib(rssAfterIndex).toFixed(0)} MiB after building the index, ${mib(rssBeforeMemoryRun).toFixed(0)} MiB after the timed passes`,
    );
    const grouping = await groupingRate(sizes.groupHashes);
    figures.push({
      name: `near-duplicate grouping of ${sizes.groupHashes.toLocaleString('en-US')} PDQ hashes`,
      value: grouping.rate,
      unit: 'hashes/s',
    });
    notes.push(
      `grouping: ${grouping.groups.toLocaleString('en-US')} groups (every fourth hash has a copy 2 bits away)`,
    );
    notes.push(
      `load average at end: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}`,
    );
  } finally {
    await close();
    rmSync(corpus.dir, { recursive: true, force: true });
  }
  return { figures, ratios, notes };
}

export const scannerSuite: Suite = {
  name: 'scanner',
  description: 'images/s on 1, 2 and N threads, scaling, pool overhead, peak memory (issue 4)',
  run,
};
