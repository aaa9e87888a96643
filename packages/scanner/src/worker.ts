/**
 * The piscina worker: hashes a batch of images, bytes transferred to this thread or files it
 * reads itself (so a file's bytes are read, decoded and dropped on one thread). A bad or
 * unreadable image becomes an error outcome for that image only; the batch goes on.
 */

import { parentPort, threadId } from 'node:worker_threads';
import { toStaydownError } from '@staydown/core';
import { workerData } from 'piscina';
import sharp from 'sharp';
import { type Admit, hashImageInLane, inLanes } from './lanes.js';
import { readFileBounded } from './read-file.js';
import { THREAD_LOADED, type ThreadLoaded, type WorkerConfig, type WorkerOutcome, type WorkerTask } from './types.js';

const config = workerData as WorkerConfig;

// The pool decides parallelism: one libvips thread per decode, and `imagesPerThread` images in
// hand per pool thread (lanes.ts). libvips' default (a thread per core inside every decode)
// made a 1-thread scan already use both cores and a 2-thread scan oversubscribe them.
sharp.concurrency(1);
const prefix = (text: string | undefined) => (text === undefined ? undefined : Buffer.from(text, 'ascii'));
const exitPrefix = prefix(config.faultInjection?.exitOnPrefix);
const hangPrefix = prefix(config.faultInjection?.hangOnPrefix);
// Test-only: a thread that cannot load, as one missing a native library would.
if (config.faultInjection?.failOnStart) throw new Error('test-only fault: this thread cannot start');
// Test-only: a thread that takes long to load.
const slowStart = config.faultInjection?.slowStartMs ?? 0;
for (const until = Date.now() + slowStart; Date.now() < until; );
parentPort?.postMessage({ [THREAD_LOADED]: threadId } satisfies ThreadLoaded);

/** Test-only: keeps this thread busy until it is terminated, as a decoder stuck in a loop would. */
function spinForever(): never {
  const spins = new Int32Array(1);
  for (;;) Atomics.add(spins, 0, 1);
}

function startsWith(bytes: Uint8Array, prefix: Buffer): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export default async function hashBatch(task: WorkerTask): Promise<WorkerOutcome[]> {
  task.startedAt[0] = Date.now();
  return inLanes(task.items, hashItem, config.imagesPerThread);
}

async function hashItem(item: WorkerTask['items'][number], admit: Admit | undefined): Promise<WorkerOutcome> {
  const { key } = item;
  let bytes: Uint8Array;
  try {
    bytes = 'file' in item ? readFileBounded(item.file, config.maxFileBytes) : item.bytes;
  } catch (error) {
    return { key, error: toStaydownError(error, 'READ_FAILED').toJSON() };
  }
  // Test-only: simulates a native decoder crash, which ends this thread and everything on it.
  if (exitPrefix && startsWith(bytes, exitPrefix)) process.exit(70);
  if (hangPrefix && startsWith(bytes, hangPrefix)) spinForever();
  try {
    const hashes = await hashImageInLane(bytes, admit, config.hash);
    return 'file' in item ? { key, hashes, size: bytes.byteLength } : { key, hashes };
  } catch (error) {
    return { key, error: toStaydownError(error, 'DECODE_FAILED').toJSON() };
  }
}
