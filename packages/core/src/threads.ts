import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long a worker thread is left idle before it is ended. Node 20 ends a worker's V8 isolate
 * by unregistering it from the platform first and disposing of it second; a concurrent
 * optimising compile still running for that isolate in between can ask the platform for the
 * isolate's task runner and abort the whole process ("Assertion failed: (data.first) !=
 * nullptr" in NodePlatform::ForIsolate). That crashed a test process in CI. Such compiles are
 * started while the thread's code is hot and take milliseconds, so a thread that has been idle
 * this long has none left. Later Node versions dispose first.
 */
export const THREAD_QUIET_MS = 200;

/** Resolves once `THREAD_QUIET_MS` have passed since `lastBusyAt` (a `performance.now()` time). */
export async function untilThreadQuiet(lastBusyAt: number): Promise<void> {
  const left = lastBusyAt + THREAD_QUIET_MS - performance.now();
  if (left > 0) await sleep(left);
}
