/**
 * The piscina worker: hashes a batch of images whose bytes were transferred to this thread.
 * A bad image becomes an error outcome for that image only; the batch goes on.
 */
import { toStaydownError } from '@staydown/core';
import { hashImage } from '@staydown/hashing';
import { workerData } from 'piscina';
import type { WorkerConfig, WorkerOutcome, WorkerTask } from './types.js';

const config = workerData as WorkerConfig;
const exitPrefix =
  config.faultInjection?.exitOnPrefix === undefined
    ? undefined
    : Buffer.from(config.faultInjection.exitOnPrefix, 'ascii');

function startsWith(bytes: Uint8Array, prefix: Buffer): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export default async function hashBatch(task: WorkerTask): Promise<WorkerOutcome[]> {
  const outcomes: WorkerOutcome[] = [];
  for (const { key, bytes } of task.items) {
    // Test-only: simulates a native decoder crash, which ends this thread and everything on it.
    if (exitPrefix && startsWith(bytes, exitPrefix)) process.exit(70);
    try {
      outcomes.push({ key, hashes: await hashImage(bytes, config.hash) });
    } catch (error) {
      outcomes.push({ key, error: toStaydownError(error, 'DECODE_FAILED').toJSON() });
    }
  }
  return outcomes;
}
