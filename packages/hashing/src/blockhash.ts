import { ErrorCodes, StaydownError } from '@staydown/core';
import { bmvbhash, bmvbhashEven } from 'blockhash-core';
import type { PixelBuffer } from './pdq/luma.js';

/** `precise`: blockhash's default method 2 (bmvbhash); `quick`: method 1 (bmvbhashEven). */
export type BlockhashMethod = 'precise' | 'quick';

/** 16×16 blocks = 256 bits, the size every published blockhash list uses. */
export const BLOCKHASH_GRID = 16;

/**
 * blockhash of 8-bit RGBA pixels, or RGB ones read as opaque (a JPEG has no alpha, and
 * decoding it without one saves the decoder a quarter of its output). blockhash-core reads 4
 * bytes per pixel without checking, so anything else would silently give a wrong hash:
 * refuse it instead.
 */
export function blockhashFromRgba(pixels: PixelBuffer, method: BlockhashMethod = 'precise'): string {
  const { data, width, height, channels } = pixels;
  if ((channels !== 3 && channels !== 4) || data.length !== width * height * channels || width < 1 || height < 1) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `blockhash needs 8-bit RGB or RGBA pixels; got ${channels} channels and ${data.length} bytes for ${width}×${height}`,
      { details: { channels, bytes: data.length, width, height } },
    );
  }
  if (method === 'precise') {
    const hash = bmvbhash16(data, width, height, channels as 3 | 4);
    if (hash !== undefined) return hash;
  }
  const image = { width, height, data: channels === 4 ? data : opaqueRgba(data) };
  return method === 'quick' ? bmvbhashEven(image, BLOCKHASH_GRID) : bmvbhash(image, BLOCKHASH_GRID);
}

/** RGB pixels as RGBA with every pixel opaque, for blockhash-core. */
function opaqueRgba(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
    out[o] = rgb[i];
    out[o + 1] = rgb[i + 1];
    out[o + 2] = rgb[i + 2];
    out[o + 3] = 255;
  }
  return out;
}

/**
 * blockhash-core's bmvbhash at 16 × 16 blocks, giving the library's hash bit for bit (tested
 * against it) about 6× faster. The library works out each pixel's blocks and weights afresh (a
 * float modulo, two divisions, floor and ceil) and adds four weighted terms per pixel into
 * sums held in memory: 45 % of a CPU profile of hashing the benchmark's mixed corpus.
 *
 * Why any order of addition gives the library's sums: a block is width/16 × height/16 pixels,
 * so every weight is a multiple of 1/16 and every term value · weightTop · weightLeft a
 * multiple of 1/256 below 766. Every partial sum is then a multiple of 1/256 below
 * 766 · pixels, which a double holds exactly up to 46 billion pixels (2^53 / 256 / 766): no
 * addition ever rounds, so the library's sums are the exact sums, and so are these. That frees
 * the work to be done in integers: each row's pixels summed per block column (in plain runs,
 * except the boundary columns split by 16 · weightLeft), then added to the two block rows the
 * row touches (weighted by 16 · weightTop).
 *
 * Sizes that divide evenly into blocks go to the library's method 1, as the library does; RGB
 * ones are summed here (every weight 1 or 0: the same sums). `channels` 3: RGB, every pixel
 * opaque. Undefined where the library would index past its grid (it then gives no usable hash
 * either): the caller hands those images to the library itself.
 */
export function bmvbhash16(data: Uint8Array, width: number, height: number, channels: 3 | 4 = 4): string | undefined {
  const bits = BLOCKHASH_GRID;
  const evenX = width % bits === 0;
  const evenY = height % bits === 0;
  // Evenly divided RGBA is the library's method 1, as it does itself (as fast there as here).
  if (evenX && evenY && channels === 4) return bmvbhashEven({ width, height, data }, bits);
  const blockWidth = width / bits;
  const blockHeight = height / bits;

  // Per column, as the library computes them: its left and right block, and the weights × 16.
  const left = new Int32Array(width);
  const right = new Int32Array(width);
  const left16 = new Int32Array(width);
  const right16 = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    if (evenX) {
      left[x] = right[x] = Math.floor(x / blockWidth);
      left16[x] = 16;
    } else {
      const xMod = (x + 1) % blockWidth;
      const xFrac = xMod - Math.floor(xMod);
      const xInt = xMod - xFrac;
      left16[x] = (1 - xFrac) * 16;
      right16[x] = xFrac * 16;
      // xInt is 0 on the right border and on block boundaries
      if (xInt > 0 || x + 1 === width) {
        left[x] = right[x] = Math.floor(x / blockWidth);
      } else {
        left[x] = Math.floor(x / blockWidth);
        right[x] = Math.ceil(x / blockWidth);
      }
    }
    if (right[x] >= bits) return undefined;
  }

  // A column whose two blocks are the same gives its whole value (weights summing to 16) to
  // that block: such columns form one run per block, summed as plain pixel values. Only the
  // columns on a block boundary split their value between two blocks.
  const runStarts: number[] = [];
  const runEnds: number[] = [];
  const runBlocks: number[] = [];
  const splits: number[] = [];
  for (let x = 0; x < width; x++) {
    if (left[x] !== right[x]) {
      splits.push(x);
    } else if (
      runBlocks.length > 0 &&
      runBlocks[runBlocks.length - 1] === left[x] &&
      runEnds[runEnds.length - 1] === x
    ) {
      runEnds[runEnds.length - 1] = x + 1;
    } else {
      runStarts.push(x);
      runEnds.push(x + 1);
      runBlocks.push(left[x]);
    }
  }

  /** Block sums × 256. */
  const blocks = new Float64Array(bits * bits);
  /** One row's pixel values summed per block column, × 16. */
  const columns = new Float64Array(bits);
  for (let y = 0; y < height; y++) {
    let top: number;
    let bottom: number;
    let top16: number;
    let bottom16 = 0;
    if (evenY) {
      top = bottom = Math.floor(y / blockHeight);
      top16 = 16;
    } else {
      const yMod = (y + 1) % blockHeight;
      const yFrac = yMod - Math.floor(yMod);
      const yInt = yMod - yFrac;
      top16 = (1 - yFrac) * 16;
      bottom16 = yFrac * 16;
      if (yInt > 0 || y + 1 === height) {
        top = bottom = Math.floor(y / blockHeight);
      } else {
        top = Math.floor(y / blockHeight);
        bottom = Math.ceil(y / blockHeight);
      }
    }
    if (bottom >= bits) return undefined;

    columns.fill(0);
    const row = y * width * channels;
    for (let r = 0; r < runBlocks.length; r++) {
      columns[runBlocks[r]] += runSum(data, row + runStarts[r] * channels, row + runEnds[r] * channels, channels) * 16;
    }
    for (const x of splits) {
      const i = row + x * channels;
      const value = channels === 4 && data[i + 3] === 0 ? 765 : data[i] + data[i + 1] + data[i + 2];
      columns[left[x]] += value * left16[x];
      columns[right[x]] += value * right16[x];
    }
    for (let j = 0; j < bits; j++) {
      blocks[top * bits + j] += columns[j] * top16;
      blocks[bottom * bits + j] += columns[j] * bottom16;
    }
  }
  for (let j = 0; j < blocks.length; j++) blocks[j] /= 256;
  return blocksToHex(blocks, blockWidth * blockHeight);
}

/**
 * The pixel values R + G + B (765 where fully transparent) of bytes [from, to), one loop per
 * pixel layout so that neither tests the layout per pixel.
 */
function runSum(data: Uint8Array, from: number, to: number, channels: 3 | 4): number {
  let sum = 0;
  if (channels === 4) {
    for (let i = from; i < to; i += 4) sum += data[i + 3] === 0 ? 765 : data[i] + data[i + 1] + data[i + 2];
  } else {
    for (let i = from; i < to; i += 3) sum += data[i] + data[i + 1] + data[i + 2];
  }
  return sum;
}

/** The library's translateBlocksToBits and bitsToHexhash: each of four bands against its median. */
function blocksToHex(blocks: Float64Array, pixelsPerBlock: number): string {
  const halfBlockValue = (pixelsPerBlock * 256 * 3) / 2;
  const bandSize = blocks.length / 4;
  let hex = '';
  for (let band = 0; band < 4; band++) {
    const values = blocks.subarray(band * bandSize, (band + 1) * bandSize);
    const sorted = values.slice().sort();
    const n = sorted.length;
    const m = n % 2 === 0 ? (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 : sorted[Math.floor(n / 2)];
    for (let j = 0; j < bandSize; j += 4) {
      let nibble = 0;
      for (let b = 0; b < 4; b++) {
        const v = values[j + b];
        // Brighter than the median is 1; on a tie (images mostly black or white) the median's
        // half of the value range decides, so such images do not hash to all zeros or ones.
        const bit = v > m || (Math.abs(v - m) < 1 && m > halfBlockValue);
        nibble = (nibble << 1) | (bit ? 1 : 0);
      }
      hex += nibble.toString(16);
    }
  }
  return hex;
}
