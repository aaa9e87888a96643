/**
 * Size and colour type from a PNG's IHDR chunk, read straight from the bytes: like
 * jpeg-header.ts, this spares a PNG a separate metadata round trip through the decoder (a
 * thread hand-off each way) before its pixels are decoded. libvips still enforces the pixel
 * limit when it opens the file.
 */
export interface PngHeader {
  width: number;
  height: number;
  /** Colour type 0 (grey) or 4 (grey with alpha). */
  grey: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths the PNG specification allows per colour type. */
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/**
 * The IHDR header, or undefined when the file does not start with a well-formed one (an
 * Apple-crushed PNG starts with CgBI, a broken one with anything): the decoder then reads the
 * header and reports what is wrong. As with JPEG's frame header, nothing after the IHDR is
 * looked at: a file cut off after it has a header here and fails when its pixels are decoded.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader | undefined {
  if (bytes.length < 33) return undefined;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[i] !== SIGNATURE[i]) return undefined;
  // IHDR must come first: length 13, type "IHDR".
  if (u32(bytes, 8) !== 13 || bytes[12] !== 0x49 || bytes[13] !== 0x48 || bytes[14] !== 0x44 || bytes[15] !== 0x52) {
    return undefined;
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const depth = bytes[24];
  const colourType = bytes[25];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return undefined;
  if (!DEPTHS[colourType]?.includes(depth)) return undefined;
  // Compression and filter method 0, interlace 0 or 1: the only ones defined. Anything else
  // is left to the decoder, which refuses it as DECODE_FAILED (not TOO_MANY_PIXELS).
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] > 1) return undefined;
  return { width, height, grey: colourType === 0 || colourType === 4 };
}
