import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adviseHugePages, hugePagesStatus, MIN_ADVISED_BYTES } from './index.js';

const thpMode = (() => {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
})();

/** Anonymous memory of this process in huge pages, kB (Linux), from /proc/self/smaps_rollup. */
function anonHugeKb(): number {
  const line = /AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  return Number(line?.[1] ?? 0);
}

describe('huge pages', () => {
  it('refuses what is not an ArrayBuffer, with a stable code', () => {
    expect(() => adviseHugePages(new Uint8Array(8) as unknown as ArrayBuffer)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('leaves small buffers alone', () => {
    expect(adviseHugePages(new ArrayBuffer(MIN_ADVISED_BYTES - 1))).toBe(false);
  });

  const thp = process.platform === 'linux' && thpMode !== undefined && thpMode !== 'never';
  // The install builds the native part with the machine's compiler. A clone on a machine
  // without one still installs and searches (without huge pages), so its tests skip this and
  // say so; CI (CI=true) has a compiler and must have built it.
  const unbuilt = hugePagesStatus().reason?.startsWith('native part not built') === true;
  if (thp && unbuilt && process.env.CI !== 'true') {
    console.warn(`huge pages: skipped, ${hugePagesStatus().reason}`);
  }

  it.runIf(thp && (!unbuilt || process.env.CI === 'true'))(
    'is enabled on Linux with transparent huge pages, and a large WebAssembly memory is advised',
    () => {
      const status = hugePagesStatus();
      expect(status, JSON.stringify(status)).toMatchObject({ enabled: true, mode: thpMode });
      const memory = new WebAssembly.Memory({ initial: 512, maximum: 65536 }); // 32 MiB
      const before = anonHugeKb();
      expect(adviseHugePages(memory.buffer)).toBe(true);
      new Uint8Array(memory.buffer).fill(1);
      // The kernel may find no free 2 MiB page (fragmented memory): then the advice only
      // failed to help, which is not an error; say so rather than fail.
      const gained = anonHugeKb() - before;
      if (gained === 0) console.warn('huge pages: advised, but the kernel gave none (fragmented memory?)');
      expect(gained).toBeGreaterThanOrEqual(0);
    },
  );

  it('is off when STAYDOWN_MADVISE_HUGEPAGE=0', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { hugePagesStatus } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
         console.log(JSON.stringify(hugePagesStatus()));`,
      ],
      { env: { ...process.env, STAYDOWN_MADVISE_HUGEPAGE: '0' }, encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({ enabled: false, reason: 'STAYDOWN_MADVISE_HUGEPAGE=0' });
  });
});
