import {
  checkPixels,
  lumaScratch,
  type PdqComputeOptions,
  type PdqResult,
  pdqFromLumaInPlace,
  pdqFromPixels,
} from './core.js';
import { lumaFromPixels, lumaSquashed, type PixelBuffer } from './luma.js';

/**
 * - `reference`: Meta's C++ file tool — images with a side over 512 px are squashed to
 *   exactly 512×512 by nearest neighbour first (expected.tsv).
 * - `fullres`: Meta's Python/Java and HMA — the decoded image as is (expected-fullres.tsv).
 * - `fast`: a small shrink-on-load decode hashed with the same core; approximate, for throughput.
 */
export type PdqPipeline = 'reference' | 'fullres' | 'fast';
export const PDQ_PIPELINES: readonly PdqPipeline[] = ['reference', 'fullres', 'fast'];

/** The side the reference file tool squashes larger images to. */
export const REFERENCE_MAX_SIDE = 512;

/** The `reference` pipeline on already-decoded pixels. */
export function pdqReferenceFromPixels(pixels: PixelBuffer, options: PdqComputeOptions = {}): PdqResult {
  checkPixels(pixels);
  const { width, height } = pixels;
  if (width > REFERENCE_MAX_SIDE || height > REFERENCE_MAX_SIDE) {
    const side = REFERENCE_MAX_SIDE;
    const [a, b] = lumaScratch(side, side);
    lumaSquashed(pixels, side, side, a);
    return pdqFromLumaInPlace(a, b, side, side, options);
  }
  const [a, b] = lumaScratch(width, height);
  lumaFromPixels(pixels, a);
  return pdqFromLumaInPlace(a, b, width, height, options);
}

/** The `fullres` pipeline on already-decoded pixels. */
export function pdqFullresFromPixels(pixels: PixelBuffer, options: PdqComputeOptions = {}): PdqResult {
  return pdqFromPixels(pixels, options);
}
