import { ErrorCodes, StaydownError } from '@staydown/core';

/**
 * The formats we decode, recognised from the bytes (never the file name). Anything else —
 * SVG and PDF in particular, whose parsers are large attack surfaces — is refused before any
 * decoder sees it.
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';
export const ALLOWED_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif'];

/** ISO-BMFF brands of HEIF and AVIF still images and sequences. */
const HEIF_BRANDS = new Set([
  'heic',
  'heix',
  'hevc',
  'hevx',
  'heim',
  'heis',
  'hevm',
  'hevs',
  'mif1',
  'msf1',
  'avif',
  'avis',
]);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

/** Names what a refused file looks like, for a message a person can act on. */
function describeRefused(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, Math.min(bytes.length, 256)).trimStart().toLowerCase();
  if (head.startsWith('%pdf')) return 'PDF';
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg')) || head.includes('<svg'))
    return 'SVG';
  if (head.startsWith('<')) return 'XML/HTML';
  if (startsWith(bytes, [0x42, 0x4d])) return 'BMP';
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50])) return 'JPEG 2000';
  return 'unrecognised data';
}

/** The allowed format the bytes are in, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(bytes, 8, 12))) return 'heif';
  return undefined;
}

/** Like sniffFormat, but refuses anything not allowed with UNSUPPORTED_FORMAT. */
export function requireAllowedFormat(bytes: Uint8Array): ImageFormat {
  const format = sniffFormat(bytes);
  if (format === undefined) {
    const what = describeRefused(bytes);
    throw new StaydownError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `unsupported image format (${what}); accepted: JPEG, PNG, WebP, GIF, TIFF, AVIF/HEIF`,
      { details: { detected: what } },
    );
  }
  return format;
}
