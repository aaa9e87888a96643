import { ErrorCodes, StaydownError } from '@staydown/core';
import sharp, { type KernelEnum, type Metadata, type OutputInfo } from 'sharp';
import { type ImageFormat, requireAllowedFormat } from './formats.js';
import { readJpegFrame } from './jpeg-header.js';
import { type DecodeLimits, resolveLimits } from './limits.js';
import { fastPathShrinks } from './pdq/fast.js';
import type { PixelBuffer } from './pdq/luma.js';
import { readPngHeader } from './png-header.js';

/**
 * Safe decoding: size and format are checked from the bytes and the header before any pixel
 * is decoded. Pixels are decoded as the reference does: embedded ICC profiles ignored, no
 * EXIF rotation, first frame only, 8 bits per sample. Nothing is written anywhere.
 */

/**
 * 'warning' (libvips' strictest level, sharp's advice for untrusted input): truncated files
 * and corrupt entropy-coded data ("Corrupt JPEG data: …", which 'error' lets through as
 * garbage pixels) become DECODE_FAILED instead of a silently grey or smeared image whose hash
 * would be meaningless. All 49 PDQ and 17 blockhash conformance images decode at this level.
 */
export const DECODE_FAIL_ON = 'warning' as const;

export interface DecodedImage extends PixelBuffer {
  format: ImageFormat;
  /** Size of the stored image (before any fast-path shrink). */
  sourceWidth: number;
  sourceHeight: number;
}

export interface DecodeOptions {
  limits?: DecodeLimits;
  /** Return 4-channel RGBA, adding an opaque alpha where the image has none. */
  rgba?: boolean;
  /**
   * Return the image's own alpha channel if it has one (4 channels), else 3 (no alpha added:
   * blockhash reads RGB as opaque, and a JPEG decoded without the added channel costs the
   * decoder about a quarter less). Without `rgba` or `keepAlpha`, alpha is dropped.
   */
  keepAlpha?: boolean;
  /**
   * Shrink-on-load to at most this many pixels per side, for formats that can
   * (fastPathShrinks; the `fast` PDQ pipeline). The aspect ratio is not kept: PDQ squashes
   * to a square anyway. Other images are decoded at full size.
   */
  maxSide?: number;
  /** Resampling kernel for `maxSide` (after the decoder's own shrink-on-load). */
  kernel?: keyof KernelEnum;
}

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** The source is greyscale (Y is the stored value, not an RGB mix). */
  grey: boolean;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeFailed(error: unknown, stage: string): StaydownError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new StaydownError(ErrorCodes.DECODE_FAILED, `could not decode image (${stage}): ${reason}`, {
    cause: error,
    details: { stage },
  });
}

/** Checks the bytes against the limits and the allow-list; returns the detected format. */
export function checkBytes(bytes: Uint8Array, limits?: DecodeLimits): ImageFormat {
  if (!(bytes instanceof Uint8Array)) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, 'image bytes must be a Uint8Array or Buffer');
  }
  const { maxBytes } = resolveLimits(limits);
  if (bytes.byteLength === 0) throw new StaydownError(ErrorCodes.EMPTY_INPUT, 'the file is empty (0 bytes)');
  if (bytes.byteLength > maxBytes) {
    throw new StaydownError(ErrorCodes.TOO_LARGE, `the file is ${bytes.byteLength} bytes; the limit is ${maxBytes}`, {
      details: { bytes: bytes.byteLength, limit: maxBytes },
    });
  }
  return requireAllowedFormat(bytes);
}

function checkPixelCount(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new StaydownError(
      ErrorCodes.TOO_MANY_PIXELS,
      `the image claims ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}`,
      { details: { width, height, limit: maxPixels } },
    );
  }
}

function jpegHeader(bytes: Uint8Array): Omit<ImageHeader, 'format'> | undefined {
  const frame = readJpegFrame(bytes);
  if (!frame || frame.width === 0 || frame.height === 0) return undefined;
  return { width: frame.width, height: frame.height, grey: frame.components === 1 };
}

/**
 * Reads only the header: format, size, colour space. Refuses (without decoding pixels) files
 * over the limits, in a format not allowed, or whose header claims too many pixels.
 */
export async function readHeader(bytes: Uint8Array, limits?: DecodeLimits): Promise<ImageHeader> {
  const sniffed = checkBytes(bytes, limits);
  const { maxPixels } = resolveLimits(limits);
  // JPEG and PNG, the common cases, are read from their headers directly; other formats (and
  // files whose headers we cannot follow) ask the decoder for the header.
  const direct = sniffed === 'jpeg' ? jpegHeader(bytes) : sniffed === 'png' ? readPngHeader(bytes) : undefined;
  if (direct) {
    checkPixelCount(direct.width, direct.height, maxPixels);
    return { format: sniffed, ...direct };
  }
  let meta: Metadata;
  try {
    meta = await sharp(asBuffer(bytes), { limitInputPixels: false, failOn: DECODE_FAIL_ON }).metadata();
  } catch (error) {
    throw decodeFailed(error, 'header');
  }
  // The decoder must agree with our sniffing: never let it pick a loader we did not allow.
  if (meta.format !== sniffed) {
    throw new StaydownError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `the file starts like ${sniffed} but decodes as ${String(meta.format)}; refused`,
      { details: { sniffed, decoder: meta.format } },
    );
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw decodeFailed(new Error('header has no size'), 'header');
  checkPixelCount(width, height, maxPixels);
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  return { format: sniffed, width, height, grey };
}

/** Decodes to 8-bit interleaved pixels after the header checks. Throws StaydownError. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const header = await readHeader(bytes, options.limits);
  const { maxPixels } = resolveLimits(options.limits);
  let pipeline = sharp(asBuffer(bytes), {
    ignoreIcc: true,
    failOn: DECODE_FAIL_ON,
    limitInputPixels: maxPixels,
    autoOrient: false,
    pages: 1,
    page: 0,
  });
  const { maxSide } = options;
  if (maxSide !== undefined && fastPathShrinks(header) && (header.width > maxSide || header.height > maxSide)) {
    pipeline = pipeline.resize(Math.min(header.width, maxSide), Math.min(header.height, maxSide), {
      fit: 'fill',
      fastShrinkOnLoad: true,
      kernel: options.kernel ?? 'linear',
    });
  }
  if (options.rgba) pipeline = pipeline.ensureAlpha();
  else if (!options.keepAlpha) pipeline = pipeline.removeAlpha();
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) {
      throw new StaydownError(ErrorCodes.TOO_MANY_PIXELS, `the image exceeds the limit of ${maxPixels} pixels`, {
        cause: error,
        details: { limit: maxPixels },
      });
    }
    throw decodeFailed(error, 'pixels');
  }
  const { data, info } = result;
  if (data.length !== info.width * info.height * info.channels) {
    throw decodeFailed(new Error(`decoder returned ${data.length} bytes for ${info.width}×${info.height}`), 'pixels');
  }
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: info.channels,
    grey: header.grey,
    format: header.format,
    sourceWidth: header.width,
    sourceHeight: header.height,
  };
}
