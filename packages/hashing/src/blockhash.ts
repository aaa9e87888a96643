import { ErrorCodes, StaydownError } from '@staydown/core';
import { bmvbhash, bmvbhashEven } from 'blockhash-core';
import type { PixelBuffer } from './pdq/luma.js';

/** `precise`: blockhash's default method 2 (bmvbhash); `quick`: method 1 (bmvbhashEven). */
export type BlockhashMethod = 'precise' | 'quick';

/** 16×16 blocks = 256 bits, the size every published blockhash list uses. */
export const BLOCKHASH_GRID = 16;

/**
 * blockhash of 8-bit RGBA pixels. blockhash-core reads 4 bytes per pixel without checking,
 * so anything else would silently give a wrong hash: refuse it instead.
 */
export function blockhashFromRgba(pixels: PixelBuffer, method: BlockhashMethod = 'precise'): string {
  const { data, width, height, channels } = pixels;
  if (channels !== 4 || data.length !== width * height * 4 || width < 1 || height < 1) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `blockhash needs 8-bit RGBA pixels; got ${channels} channels and ${data.length} bytes for ${width}×${height}`,
      { details: { channels, bytes: data.length, width, height } },
    );
  }
  const image = { width, height, data };
  return method === 'quick' ? bmvbhashEven(image, BLOCKHASH_GRID) : bmvbhash(image, BLOCKHASH_GRID);
}
