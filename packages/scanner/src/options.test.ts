import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { maxThreads, resolveScannerOptions } from './options.js';

describe('resolveScannerOptions', () => {
  it('refuses a timeout setTimeout cannot keep (it would fire every millisecond) and too many threads', () => {
    for (const options of [
      { taskTimeoutMs: 2 ** 31 },
      { idleTimeoutMs: Number.MAX_SAFE_INTEGER },
      { threads: maxThreads() + 1 },
      { threads: 0 },
      { imagesPerThread: 0 },
      { imagesPerThread: 9 },
      { imagesPerThread: 1.5 },
    ]) {
      expect(() => resolveScannerOptions(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
    expect(resolveScannerOptions({ taskTimeoutMs: 2 ** 31 - 1, threads: maxThreads() })).toMatchObject({
      taskTimeoutMs: 2 ** 31 - 1,
      threads: maxThreads(),
    });
  });

  it('keeps two images in hand per thread when the scan has a thread for every core, one with fewer threads', () => {
    const cores = os.availableParallelism();
    expect(resolveScannerOptions()).toMatchObject({ threads: cores, imagesPerThread: 2 });
    expect(resolveScannerOptions({ threads: cores + 1 }).imagesPerThread).toBe(2);
    // Fewer threads than cores bound the cores a scan uses: one image in hand, one core each.
    if (cores > 1) expect(resolveScannerOptions({ threads: cores - 1 }).imagesPerThread).toBe(1);
    expect(resolveScannerOptions({ threads: 1, imagesPerThread: 2 }).imagesPerThread).toBe(2);
    expect(resolveScannerOptions({ threads: cores, imagesPerThread: 1 }).imagesPerThread).toBe(1);
  });
});
