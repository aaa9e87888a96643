import { type HashOptions, hashImage, type ImageHashes, readHeader } from '@staydown/hashing';

/**
 * Pixels the lanes of one thread may hold decoded at once. An image that would take the total
 * past it waits until the other lane is done, so a thread never holds two large decodes
 * (two 12-megapixel photos are 72–96 MB of pixels) and memory stays that of one.
 */
export const LANE_PIXELS = 16_000_000;

/** Waits until `pixels` fit beside what the other lanes hold; returns the call that frees them. */
export type Admit = (pixels: number) => Promise<() => void>;

/**
 * Runs `work` on every item, `lanes` at a time (ScannerOptions.imagesPerThread: with two, one
 * image decodes in libvips while the other is hashed in JavaScript), and returns the results
 * in the items' order. `work` calls `admit` with the pixels its decode will hold before
 * decoding, and the returned release when done with them; `admit` is undefined when the items
 * go one at a time (nothing to wait for, and no header to read for it).
 */
export async function inLanes<T, R>(
  items: readonly T[],
  work: (item: T, admit: Admit | undefined) => Promise<R>,
  lanes: number,
  budget = LANE_PIXELS,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let held = 0;
  let waiting: (() => void)[] = [];
  const admit: Admit = async (pixels) => {
    // Alone, any image goes ahead (the decode limits bound it); beside others, within budget.
    while (held > 0 && held + pixels > budget) await new Promise<void>((resolve) => waiting.push(resolve));
    held += pixels;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held -= pixels;
      const wake = waiting;
      waiting = [];
      for (const resolve of wake) resolve();
    };
  };
  const count = Math.min(lanes, items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at], count > 1 ? admit : undefined);
    }
  };
  await Promise.all(Array.from({ length: count }, lane));
  return results;
}

/**
 * hashImage inside a lane: waits until the image's pixels (from its header) fit beside the
 * other lanes', hashes it, frees them. A bad header counts as no pixels: hashImage refuses it.
 */
export async function hashImageInLane(
  bytes: Uint8Array,
  admit: Admit | undefined,
  options: HashOptions = {},
): Promise<ImageHashes> {
  if (admit === undefined) return hashImage(bytes, options);
  let pixels = 0;
  try {
    const { width, height } = await readHeader(bytes, options.limits);
    pixels = width * height;
  } catch {
    // hashImage reports it.
  }
  const release = await admit(pixels);
  try {
    return await hashImage(bytes, options);
  } finally {
    release();
  }
}
