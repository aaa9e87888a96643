import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ErrorCodes, StaydownError } from '@staydown/core';

/**
 * Transparent huge pages for large buffers that are read at random (the index's search
 * tables), asked for with madvise(MADV_HUGEPAGE) as NumPy does for its large arrays.
 *
 * Linux's usual THP mode, "madvise", gives 2 MiB pages only to regions that ask. A query at
 * 10 M hashes reads thousands of random places in a 1.2 GB table: on 4 KiB pages nearly each
 * read also misses the TLB and walks the page tables, which on a virtual machine is a walk
 * of the host's tables too. A buffer advised before it is first written is faulted in as
 * 2 MiB pages. Where the native part is missing (no compiler at install, not Linux), THP is
 * "never", or STAYDOWN_MADVISE_HUGEPAGE=0 switches it off, nothing is asked and nothing
 * else changes.
 */

/** Set to 0 to never advise huge pages (named after NumPy's NUMPY_MADVISE_HUGEPAGE). */
export const HUGE_PAGES_ENV = 'STAYDOWN_MADVISE_HUGEPAGE';

/** Buffers smaller than this are left alone: they hold few whole 2 MiB pages to gain from. */
export const MIN_ADVISED_BYTES = 4 << 20;

export interface HugePagesStatus {
  /** Whether large buffers are advised. */
  enabled: boolean;
  /** The kernel's THP mode (always, madvise or never), where it can be read. */
  mode?: string;
  /** Why not, when not enabled. */
  reason?: string;
}

type Advise = (buffer: ArrayBuffer) => boolean;

let native: Advise | undefined;
let status: HugePagesStatus | undefined;

function thpMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function load(): HugePagesStatus {
  if (process.env[HUGE_PAGES_ENV] === '0') return { enabled: false, reason: `${HUGE_PAGES_ENV}=0` };
  if (process.platform !== 'linux') return { enabled: false, reason: 'not Linux' };
  const mode = thpMode();
  if (mode === undefined) return { enabled: false, reason: 'the kernel has no transparent huge pages' };
  if (mode === 'never') return { enabled: false, mode, reason: 'transparent huge pages are set to never' };
  try {
    const addon = createRequire(import.meta.url)('../build/Release/huge_pages.node') as { adviseHugePages: Advise };
    native = addon.adviseHugePages;
    return { enabled: true, mode };
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    return { enabled: false, mode, reason: `native part not built (${why})` };
  }
}

/** Whether adviseHugePages does anything here, and why not. Worked out once per thread. */
export function hugePagesStatus(): HugePagesStatus {
  status ??= load();
  return status;
}

/**
 * Asks for huge pages over `buffer` (the whole 2 MiB pages inside it). Call it before the
 * buffer is first written. True when the kernel took the advice; false when nothing was asked
 * (see hugePagesStatus, or a buffer under MIN_ADVISED_BYTES) or the kernel refused.
 */
export function adviseHugePages(buffer: ArrayBuffer): boolean {
  if (!(buffer instanceof ArrayBuffer)) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, 'adviseHugePages expects an ArrayBuffer');
  }
  if (buffer.byteLength < MIN_ADVISED_BYTES || !hugePagesStatus().enabled || native === undefined) return false;
  return native(buffer);
}
