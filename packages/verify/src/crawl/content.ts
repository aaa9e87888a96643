import { createHash } from 'node:crypto';
import { isStaydownError } from '@staydown/core';
import { type HashOptions, hashImage } from '@staydown/hashing';
import type { CheckerHashOptions, CheckReason } from './types.js';

export type ContentKind = 'image' | 'html' | 'other';

/** What the fetched bytes are: the declared type, with magic-byte sniffing for mislabelled images. */
export function contentKind(contentType: string | null, body: Uint8Array): ContentKind {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  // SVG is a document, not a raster image: nothing a perceptual hash could be compared with.
  if (mime.startsWith('image/') && mime !== 'image/svg+xml') return 'image';
  if (sniffImage(body)) return 'image';
  if (mime === 'text/html' || mime === 'application/xhtml+xml') return 'html';
  if (mime === '' && looksLikeHtml(body)) return 'html';
  return 'other';
}

function sniffImage(b: Uint8Array): boolean {
  const ascii = (offset: number, text: string) =>
    b.length >= offset + text.length && [...text].every((ch, k) => b[offset + k] === ch.charCodeAt(0));
  return (
    (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) || // JPEG
    (b.length >= 4 && b[0] === 0x89 && ascii(1, 'PNG')) ||
    ascii(0, 'GIF8') ||
    (ascii(0, 'RIFF') && ascii(8, 'WEBP')) ||
    (ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'heic') || ascii(8, 'mif1'))) ||
    (b.length >= 4 && ((ascii(0, 'II') && b[2] === 42) || (ascii(0, 'MM') && b[3] === 42))) // TIFF
  );
}

function looksLikeHtml(b: Uint8Array): boolean {
  const head = Buffer.from(b.subarray(0, 512)).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

export interface BodyHashes {
  hashes: Record<string, string>;
  quality: number | null;
  /** PDQ flagged the image as too featureless for its hash to be trusted (quality < 50). */
  lowQuality: boolean;
  /** Extra values per signal to compare (PDQ dihedral variants). */
  variants: Record<string, string[]>;
}

/**
 * Whether a match can be trusted: a PDQ hash of a featureless image (flat placeholder, blank
 * frame) is noise, so a match by PDQ alone on a low-quality image proves nothing.
 */
export function isTrustedMatch(matchedBy: string[], lowQuality: boolean): boolean {
  return matchedBy.some((signal) => signal !== 'pdq' || !lowQuality);
}

export type ImageHashResult = ({ ok: true } & BodyHashes) | { ok: false; reason: CheckReason; detail: string };

/** Digests of any body (exact signals can be compared with any content). */
export function digestBody(body: Uint8Array): Record<string, string> {
  return {
    md5: createHash('md5').update(body).digest('hex'),
    sha1: createHash('sha1').update(body).digest('hex'),
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

/**
 * Hashes an image body in memory. A body that claims to be an image but does not decode is
 * INCONCLUSIVE ('decode_failed'), never "replaced": a damaged or cut-off copy proves nothing.
 */
export async function hashImageBody(body: Uint8Array, options: CheckerHashOptions): Promise<ImageHashResult> {
  const hashOptions: HashOptions = {
    pdq: options.pdq ?? 'reference',
    dihedral: options.dihedral ?? false,
    limits: { maxBytes: body.byteLength + 1, maxPixels: options.maxPixels ?? 50_000_000 },
  };
  try {
    const result = await hashImage(body, hashOptions);
    const hashes: Record<string, string> = {};
    for (const name of ['pdq', 'blockhash', 'md5', 'sha1', 'sha256'] as const) {
      const value = result[name];
      if (typeof value === 'string') hashes[name] = value;
    }
    const variants: Record<string, string[]> = {};
    if (result.pdqDihedral) variants.pdq = Object.values(result.pdqDihedral);
    return { ok: true, hashes, quality: result.quality ?? null, lowQuality: result.lowQuality === true, variants };
  } catch (err) {
    // Remote bytes caused it, whatever the decoder threw: a verdict, never a crashed check.
    const detail = isStaydownError(err) ? `${err.code}: ${err.message}` : String(err);
    return { ok: false, reason: 'decode_failed', detail };
  }
}
