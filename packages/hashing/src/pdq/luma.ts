/**
 * Luminance as the reference computes it: float32 constants, float32 products and sums in the
 * order (0.299·R + 0.587·G) + 0.114·B. Grey images use the value itself (going through
 * RGB(v,v,v) differs by one float step on some levels).
 */

const f = Math.fround;
const LUMA_R = f(0.299);
const LUMA_G = f(0.587);
const LUMA_B = f(0.114);

/** Raw interleaved 8-bit pixels, as sharp's `.raw()` returns them. */
export interface PixelBuffer {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). Alpha is ignored by PDQ. */
  channels: number;
  /** The source is greyscale even if stored as RGB: Y is then the first channel's value. */
  grey?: boolean;
}

export function lumaOfPixel(data: Uint8Array, offset: number, grey: boolean): number {
  if (grey) return data[offset];
  return f(f(f(LUMA_R * data[offset]) + f(LUMA_G * data[offset + 1])) + f(LUMA_B * data[offset + 2]));
}

function isGrey(pixels: PixelBuffer): boolean {
  return pixels.grey === true || pixels.channels <= 2;
}

/** Full-size luminance of every pixel into `out` (width·height floats). */
export function lumaFromPixels(pixels: PixelBuffer, out: Float32Array): void {
  const { data, width, height, channels } = pixels;
  const grey = isGrey(pixels);
  const n = width * height;
  for (let i = 0, o = 0; i < n; i++, o += channels) out[i] = lumaOfPixel(data, o, grey);
}

/**
 * Luminance of the image squashed to `outWidth`×`outHeight` by nearest neighbour, ignoring
 * aspect ratio: destination (x, y) takes source (floor(x·W/outW), floor(y·H/outH)). Only the
 * sampled pixels are converted.
 */
export function lumaSquashed(pixels: PixelBuffer, outWidth: number, outHeight: number, out: Float32Array): void {
  const { data, width, height, channels } = pixels;
  const grey = isGrey(pixels);
  const columns = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) columns[x] = Math.floor((x * width) / outWidth) * channels;
  for (let y = 0; y < outHeight; y++) {
    const rowStart = Math.floor((y * height) / outHeight) * width * channels;
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[o + x] = lumaOfPixel(data, rowStart + columns[x], grey);
  }
}
