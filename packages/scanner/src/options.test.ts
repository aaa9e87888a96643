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

  it('keeps one image in hand per thread (one core) unless told otherwise', () => {
    expect(resolveScannerOptions().imagesPerThread).toBe(1);
    expect(resolveScannerOptions({ imagesPerThread: 2 }).imagesPerThread).toBe(2);
  });
});
