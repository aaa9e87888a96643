import type { BuiltinSignalName } from '@staydown/core';
import { checkBytes, type DecodedImage, decodeImage, readHeader } from './decode.js';
import { blockhashHasher, type DecodeNeed, digestHasher, type Hasher, pdqHasher } from './hashers.js';
import { type HashOptions, resolveHashOptions } from './options.js';
import type { PdqDihedral } from './pdq/core.js';
import { FAST_PDQ_DECODE, fastPathShrinks } from './pdq/fast.js';

export interface ImageHashes {
  pdq?: string;
  quality?: number;
  lowQuality?: boolean;
  pdqDihedral?: PdqDihedral;
  blockhash?: string;
  md5?: string;
  sha1?: string;
  sha256?: string;
  width?: number;
  height?: number;
  format?: string;
}

function hasherFor(signal: BuiltinSignalName, options: ReturnType<typeof resolveHashOptions>): Hasher {
  switch (signal) {
    case 'pdq':
      return pdqHasher(options.pdq, { dihedral: options.dihedral });
    case 'blockhash':
      return blockhashHasher(options.blockhashMethod);
    default:
      return digestHasher(signal);
  }
}

/**
 * Every requested signal of one image. The image is decoded once at full size for all
 * pixel hashers; the `fast` PDQ pipeline reads its own small shrink-on-load decode when it
 * applies (a hash must not depend on which other signals were asked for). Digests read the bytes as stored.
 * Throws StaydownError: EMPTY_INPUT, TOO_LARGE, UNSUPPORTED_FORMAT, TOO_MANY_PIXELS, DECODE_FAILED.
 */
export async function hashImage(bytes: Uint8Array, options: HashOptions = {}): Promise<ImageHashes> {
  const resolved = resolveHashOptions(options);
  checkBytes(bytes, resolved.limits);
  const hashers = resolved.signals.map((s) => hasherFor(s, resolved));
  const decodes = new Map<DecodeNeed, DecodedImage>();
  const needs = new Set(hashers.map((h) => h.decode));
  if (needs.has('full')) {
    const keepAlpha = hashers.some((h) => h.decode === 'full' && h.needsAlpha);
    decodes.set('full', await decodeImage(bytes, { limits: resolved.limits, keepAlpha }));
  }
  if (needs.has('fast')) {
    const full = decodes.get('full');
    // When the fast path would not shrink, the full decode already holds the same pixels.
    const reuse = full !== undefined && !fastPathShrinks(await readHeader(bytes, resolved.limits));
    decodes.set(
      'fast',
      reuse && full ? full : await decodeImage(bytes, { limits: resolved.limits, ...FAST_PDQ_DECODE }),
    );
  }
  const out: ImageHashes = {};
  for (const hasher of hashers) {
    const image = decodes.get(hasher.decode);
    const value = hasher.compute({ bytes, image });
    const name = hasher.signal.name as BuiltinSignalName;
    out[name] = value.hash;
    if (name === 'pdq') {
      out.quality = value.quality;
      out.lowQuality = value.lowQuality;
      if (value.dihedral) out.pdqDihedral = value.dihedral;
    }
  }
  const decoded = decodes.get('full') ?? decodes.get('fast');
  if (decoded) {
    out.width = decoded.sourceWidth;
    out.height = decoded.sourceHeight;
    out.format = decoded.format;
  }
  return out;
}
