import { median } from '../harness.js';
import { runModuleChild } from './module-child.js';

/**
 * What two cores give this machine's decode → hash loop without the pool, to read the pool's
 * 2 threads ÷ 1 thread against: the pool threads' own loop (batches of the scanner's default
 * size, each read and hashed one image in hand, so that a loop is one core's work: lanes.ts) run
 *   - in one process on its main thread, then in two such processes at once, and
 *   - in one process on one worker thread, then on two worker threads of one process.
 * No piscina, no matching, no queues: if two threads of one process fall short of two
 * processes, the shortfall is in sharing a process (libvips, libuv, the scheduler's handling of
 * one process's threads), not in the pool.
 */

/** One loop, written to run both on a process's main thread and as a worker's eval'd script. */
const LOOP = `async ({ files, startAt, durationMs }) => {
  const { readFileSync } = await import('node:fs');
  const { hashImageInLane, inLanes, resolveScannerOptions } = await import('@staydown/scanner');
  const { batchMaxItems: batch } = resolveScannerOptions();
  const inHand = 1;
  const sharp = (await import('sharp')).default;
  sharp.concurrency(1);
  const hashAll = async (list) => {
    for (let from = 0; from < list.length; from += batch) {
      await inLanes(list.slice(from, from + batch), (file, admit) => hashImageInLane(readFileSync(file), admit), inHand);
    }
  };
  await hashAll(files.slice(0, 24));
  while (Date.now() < startAt) await new Promise((resolve) => setTimeout(resolve, 2));
  const started = performance.now();
  let images = 0;
  // Whole passes over the files only: they differ a hundredfold in cost, and a run cut off
  // mid-pass would be rated by where it stopped.
  while (performance.now() - started < durationMs) {
    await hashAll(files);
    images += files.length;
  }
  return images / ((performance.now() - started) / 1000);
}`;

/** The child process: the loop on its main thread (threads 0) or on that many worker threads. */
const CHILD = `
import { Worker } from 'node:worker_threads';
const job = JSON.parse(process.env.STAYDOWN_BENCH_PROBE);
const loop = ${LOOP};
// Cores busy over the first durationMs only, while every loop is still running (each runs whole
// passes for at least that long, so they end at different times).
const at = (time) => new Promise((resolve) => setTimeout(() => resolve(process.cpuUsage()), time - Date.now()));
const cpuAtStart = at(job.startAt);
const cpuAtEnd = at(job.startAt + job.durationMs);
let rates;
if (job.threads === 0) rates = [await loop(job)];
else {
  // A worker's eval'd script is read as a module here (this process runs with
  // --input-type=module), so it imports rather than requires.
  const script = "import('node:worker_threads').then(({ workerData, parentPort }) => (" +
    ${JSON.stringify(LOOP)} + ")(workerData).then((rate) => parentPort.postMessage(rate)));";
  rates = await Promise.all(Array.from({ length: job.threads }, () => new Promise((resolve, reject) => {
    const worker = new Worker(script, { eval: true, workerData: job });
    worker.once('message', (rate) => { resolve(rate); worker.terminate(); });
    worker.once('error', reject);
  })));
}
const start = await cpuAtStart;
const end = await cpuAtEnd;
const cpuSeconds = (end.user - start.user + end.system - start.system) / 1e6;
process.stdout.write(JSON.stringify({ rates, busy: cpuSeconds / (job.durationMs / 1000) }));
`;

interface ChildRun {
  /** Images/s of each loop. */
  rates: number[];
  /** Cores the whole process kept busy over the first durationMs from the common start. */
  busy: number;
}

function child(files: readonly string[], threads: number, startAt: number, durationMs: number): Promise<ChildRun> {
  return runModuleChild<ChildRun>(
    CHILD,
    'STAYDOWN_BENCH_PROBE',
    { files, threads, startAt, durationMs },
    'scaling probe',
  );
}

/** Images/s of a run (summed over its loops) and the cores it kept busy (summed over processes). */
export interface ProbeRun {
  rate: number;
  busy: number;
}

export interface ScalingProbe {
  /** Medians: one process alone, two processes together, one worker thread, two worker threads. */
  oneProcess: ProbeRun;
  twoProcesses: ProbeRun;
  oneThread: ProbeRun;
  twoThreads: ProbeRun;
  /** Medians of the round-by-round ratios. */
  processRatio: number;
  threadRatio: number;
  perRound: { processRatio: number; threadRatio: number }[];
}

const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);

/**
 * `rounds` rounds of the four runs, each loop timed over whole passes of `files` for at least
 * `durationMs` from a start shared by the processes of a run (each loads and warms up first);
 * the order alternates between rounds.
 */
export async function scalingProbe(
  files: readonly string[],
  durationMs: number,
  rounds: number,
  log: (message: string) => void,
): Promise<ScalingProbe> {
  // Long enough for a fresh process to load sharp and warm up before the common start.
  const lead = 4000;
  type Name = 'oneProcess' | 'twoProcesses' | 'oneThread' | 'twoThreads';
  const runs: Record<Name, ProbeRun[]> = { oneProcess: [], twoProcesses: [], oneThread: [], twoThreads: [] };
  const perRound: ScalingProbe['perRound'] = [];
  /** Processes started together, each with `threads` loops (0: on its main thread). */
  const together = async (processes: number, threads: number): Promise<ProbeRun> => {
    const startAt = Date.now() + lead;
    const all = await Promise.all(Array.from({ length: processes }, () => child(files, threads, startAt, durationMs)));
    return { rate: sum(all.flatMap((run) => run.rates)), busy: sum(all.map((run) => run.busy)) };
  };
  for (let round = 0; round < rounds; round++) {
    const steps: [Name, () => Promise<ProbeRun>][] = [
      ['oneProcess', () => together(1, 0)],
      ['twoProcesses', () => together(2, 0)],
      ['oneThread', () => together(1, 1)],
      ['twoThreads', () => together(1, 2)],
    ];
    if (round % 2 === 1) steps.reverse();
    const got = {} as Record<Name, ProbeRun>;
    for (const [name, step] of steps) {
      got[name] = await step();
      runs[name].push(got[name]);
    }
    perRound.push({
      processRatio: got.twoProcesses.rate / got.oneProcess.rate,
      threadRatio: got.twoThreads.rate / got.oneThread.rate,
    });
    const show = (run: ProbeRun) => `${run.rate.toFixed(1)} images/s (${run.busy.toFixed(2)} cores)`;
    log(
      `scaling probe round ${round + 1}: 1 → 2 processes ${show(got.oneProcess)} → ${show(got.twoProcesses)}; ` +
        `1 → 2 threads of one process ${show(got.oneThread)} → ${show(got.twoThreads)}`,
    );
  }
  const medianRun = (list: ProbeRun[]): ProbeRun => ({
    rate: median(list.map((run) => run.rate)),
    busy: median(list.map((run) => run.busy)),
  });
  return {
    oneProcess: medianRun(runs.oneProcess),
    twoProcesses: medianRun(runs.twoProcesses),
    oneThread: medianRun(runs.oneThread),
    twoThreads: medianRun(runs.twoThreads),
    processRatio: median(perRound.map((r) => r.processRatio)),
    threadRatio: median(perRound.map((r) => r.threadRatio)),
    perRound,
  };
}
