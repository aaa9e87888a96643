import { ErrorCodes, StaydownError } from '@staydown/core';
import { medianOf256, thresholdToWords, wordsToHex } from './bits.js';
import { jaroszBlur } from './box-filter.js';
import { dct64To16 } from './dct.js';
import { DIHEDRAL_NAMES, dihedralMatrix } from './dihedral.js';
import { lumaFromPixels, type PixelBuffer } from './luma.js';

/**
 * The PDQ core shared by every pipeline: blur, decimate to 64×64, quality, DCT, threshold.
 * Pure and synchronous (no decoder), so worker threads and other callers can hash pixels
 * they already have.
 */

const f = Math.fround;

/** Images with a side under this are not hashable: all-zero hash, quality 0. */
export const PDQ_MIN_DIMENSION = 5;
/** Quality below this marks a hash unreliable (Meta's cut-off): such hashes match everything. */
export const PDQ_QUALITY_THRESHOLD = 50;

export interface PdqDihedral {
  orig: string;
  rot90: string;
  rot180: string;
  rot270: string;
  flipx: string;
  flipy: string;
  flipplus1: string;
  flipminus1: string;
}

export interface PdqResult {
  /** 64 lowercase hex digits. */
  hash: string;
  /** 0..100; below 50 the hash is unreliable. */
  quality: number;
  /** quality < 50, or an image with no variation at all (blank, flat). */
  lowQuality: boolean;
  dihedral?: PdqDihedral;
}

export interface PdqComputeOptions {
  /** Also compute the eight dihedral variants (from the same DCT). */
  dihedral?: boolean;
}

const ZERO_HASH = '0'.repeat(64);

/** Scratch kept between calls up to this many pixels (the reference pipeline's 512×512). */
const KEEP_SCRATCH_PIXELS = 512 * 512;

class Scratch {
  big1 = new Float32Array(0);
  big2 = new Float32Array(0);
  readonly block64 = new Float32Array(64 * 64);
  readonly t16x64 = new Float32Array(16 * 64);
  readonly b16 = new Float32Array(256);
  readonly variant = new Float32Array(256);
  readonly sorted = new Float32Array(256);
  readonly words = new Uint16Array(16);
  readonly columns = new Int32Array(64);
  readonly rows = new Int32Array(64);

  /** Two full-size float buffers; reused for small sizes, allocated per call for large ones. */
  full(pixels: number): [Float32Array, Float32Array] {
    if (pixels > KEEP_SCRATCH_PIXELS) return [new Float32Array(pixels), new Float32Array(pixels)];
    if (this.big1.length < pixels) {
      this.big1 = new Float32Array(KEEP_SCRATCH_PIXELS);
      this.big2 = new Float32Array(KEEP_SCRATCH_PIXELS);
    }
    return [this.big1.subarray(0, pixels), this.big2.subarray(0, pixels)];
  }
}

const scratch = new Scratch();

function checkSize(width: number, height: number): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 0 || height < 0) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `image size must be whole pixels, got ${width}×${height}`);
  }
}

/** Rejects pixel buffers whose length does not match their stated size (a wrong hash otherwise). */
export function checkPixels(pixels: PixelBuffer): void {
  const { data, width, height, channels } = pixels;
  checkSize(width, height);
  if (!(channels >= 1 && channels <= 4) || !(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `pixels must be 8-bit with 1-4 channels: got ${channels} channels, ${data?.length} bytes for ${width}×${height}`,
      { details: { width, height, channels, bytes: data?.length } },
    );
  }
}

/** Two buffers of `width`×`height` floats for a caller that fills luma itself (no copy). */
export function lumaScratch(width: number, height: number): [Float32Array, Float32Array] {
  return scratch.full(width * height);
}

function emptyResult(dihedral: boolean): PdqResult {
  const result: PdqResult = { hash: ZERO_HASH, quality: 0, lowQuality: true };
  if (dihedral) {
    result.dihedral = Object.fromEntries(DIHEDRAL_NAMES.map((n) => [n, ZERO_HASH])) as unknown as PdqDihedral;
  }
  return result;
}

/** The source index decimation samples for each of the 64 outputs along a side of `length`. */
function sampledIndices(length: number, out: Int32Array): Int32Array {
  for (let j = 0; j < 64; j++) out[j] = Math.trunc(((j + 0.5) * length) / 64);
  return out;
}

/** out[i][j] = in[trunc((i + 0.5)·H/64)][trunc((j + 0.5)·W/64)], indices in double precision. */
function decimateTo64(
  input: Float32Array,
  width: number,
  columns: Int32Array,
  rows: Int32Array,
  out: Float32Array,
): void {
  for (let i = 0; i < 64; i++) {
    const row = rows[i] * width;
    for (let j = 0; j < 64; j++) out[i * 64 + j] = input[row + columns[j]];
  }
}

/** Sum of truncated scaled gradients over adjacent pairs, /90, capped at 100. */
export function pdqQuality(block: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      sum += Math.abs(Math.trunc(f(f(f(block[i * 64 + j] - block[(i + 1) * 64 + j]) * 100) / 255)));
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      sum += Math.abs(Math.trunc(f(f(f(block[i * 64 + j] - block[i * 64 + j + 1]) * 100) / 255)));
    }
  }
  return Math.min(100, Math.floor(sum / 90));
}

function isFlat(block: Float32Array): boolean {
  const first = block[0];
  for (let i = 1; i < block.length; i++) if (block[i] !== first) return false;
  return true;
}

function hashOf(matrix: Float32Array): string {
  thresholdToWords(matrix, medianOf256(matrix, scratch.sorted), scratch.words);
  return wordsToHex(scratch.words);
}

/**
 * Hashes a luminance plane in place: `luma` is blurred (it is the reference's buffer1) and
 * `spare` is scratch of the same size. Use pdqFromLuma to keep the input intact.
 */
export function pdqFromLumaInPlace(
  luma: Float32Array,
  spare: Float32Array,
  width: number,
  height: number,
  options: PdqComputeOptions = {},
): PdqResult {
  const wantDihedral = options.dihedral === true;
  if (width < PDQ_MIN_DIMENSION || height < PDQ_MIN_DIMENSION) return emptyResult(wantDihedral);
  const block = scratch.block64;
  if (width === 64 && height === 64) {
    block.set(luma.subarray(0, 64 * 64));
  } else {
    const columns = sampledIndices(width, scratch.columns);
    // Only the sampled columns of the last pass are computed; they are all decimation reads.
    // (Sides of 64+ px have distinct sampled columns; smaller sides repeat them, so filter all.)
    jaroszBlur(luma, spare, width, height, 2, width >= 64 ? columns : undefined);
    decimateTo64(luma, width, columns, sampledIndices(height, scratch.rows), block);
  }
  const quality = pdqQuality(block);
  dct64To16(block, scratch.t16x64, scratch.b16);
  const result: PdqResult = {
    hash: hashOf(scratch.b16),
    quality,
    lowQuality: quality < PDQ_QUALITY_THRESHOLD || isFlat(block),
  };
  if (wantDihedral) {
    const variants: Partial<PdqDihedral> = {};
    for (const name of DIHEDRAL_NAMES) {
      dihedralMatrix(scratch.b16, name, scratch.variant);
      variants[name] = hashOf(scratch.variant);
    }
    result.dihedral = variants as PdqDihedral;
  }
  return result;
}

/** PDQ of a `width`×`height` row-major luminance plane (values 0..255). The input is not changed. */
export function pdqFromLuma(
  luma: Float32Array,
  width: number,
  height: number,
  options: PdqComputeOptions = {},
): PdqResult {
  checkSize(width, height);
  if (luma.length < width * height) {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `luma has ${luma.length} values; ${width}×${height} needs ${width * height}`,
    );
  }
  const [a, b] = scratch.full(width * height);
  a.set(luma.subarray(0, width * height));
  return pdqFromLumaInPlace(a, b, width, height, options);
}

/** PDQ of raw interleaved pixels at full resolution (the `fullres` pipeline's core). */
export function pdqFromPixels(pixels: PixelBuffer, options: PdqComputeOptions = {}): PdqResult {
  checkPixels(pixels);
  const [a, b] = scratch.full(pixels.width * pixels.height);
  lumaFromPixels(pixels, a);
  return pdqFromLumaInPlace(a, b, pixels.width, pixels.height, options);
}
