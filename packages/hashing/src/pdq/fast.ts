import type { DecodeOptions, ImageHeader } from '../decode.js';
import type { ImageFormat } from '../formats.js';
import { REFERENCE_MAX_SIDE } from './pipelines.js';

/**
 * The `fast` pipeline: where the format can decode straight to a reduced size (JPEG scales
 * in the DCT, WebP decodes scaled), a large image is decoded at most FAST_PDQ_DECODE.maxSide
 * per side and hashed by the same core. Everything else — images the reference would hash at
 * native size (≤ 512 px) and formats without a shrinking decoder (PNG, GIF, TIFF, HEIF), whose
 * full decode is unavoidable anyway — takes the exact `reference` path.
 *
 * The size and kernel were chosen by measuring the distance to `reference` on the conformance
 * images (sizes 64–512, kernels nearest/linear/cubic/mitchell/lanczos3): 128 px with lanczos3
 * keeps the median at 2 bits and the maximum at 12 while decoding JPEGs at 1/8 scale.
 * Resizing to 64 (area-averaging) is worse (median 12): the reference point-samples after a
 * narrow blur, which a 2:1 point sample of a 128 px image resembles more closely.
 */
export const FAST_PDQ_DECODE: Readonly<Required<Pick<DecodeOptions, 'maxSide' | 'kernel'>>> = Object.freeze({
  maxSide: 128,
  kernel: 'lanczos3',
});

/** Formats whose decoder can shrink on load. */
export const SHRINK_ON_LOAD_FORMATS: readonly ImageFormat[] = ['jpeg', 'webp'];

/** Whether `fast` decodes this image small (otherwise it hashes exactly like `reference`). */
export function fastPathShrinks(header: Pick<ImageHeader, 'format' | 'width' | 'height'>): boolean {
  return (
    SHRINK_ON_LOAD_FORMATS.includes(header.format) &&
    (header.width > REFERENCE_MAX_SIDE || header.height > REFERENCE_MAX_SIDE)
  );
}
