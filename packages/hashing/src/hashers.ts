import { BLOCKHASH, MD5, PDQ, SHA1, SHA256, type SignalType } from '@staydown/core';
import { type BlockhashMethod, blockhashFromRgba } from './blockhash.js';
import type { DecodedImage } from './decode.js';
import { computeDigest, type DigestName } from './digests.js';
import type { PdqDihedral } from './pdq/core.js';
import { type PdqPipeline, pdqFullresFromPixels, pdqReferenceFromPixels } from './pdq/pipelines.js';

/**
 * The computing side of a signal type: every hash kind — PDQ, blockhash, digests, and later a
 * licensed hash — is one Hasher, so hashImage treats them alike. A hasher says which decode it
 * reads; hashImage performs each needed decode once and hands the same pixels to all.
 */
export type DecodeNeed = 'none' | 'full' | 'fast';

export interface HasherInput {
  /** The file bytes as stored. */
  bytes: Uint8Array;
  /** The decode the hasher asked for (absent when `decode` is 'none'). */
  image?: DecodedImage;
}

export interface HashValue {
  /** Lowercase hex. */
  hash: string;
  quality?: number;
  lowQuality?: boolean;
  dihedral?: PdqDihedral;
}

export interface Hasher {
  readonly signal: SignalType;
  readonly decode: DecodeNeed;
  /** Reads the image's alpha channel: the full decode keeps it (RGBA), or gives RGB where there is none. */
  readonly needsAlpha?: boolean;
  compute(input: HasherInput): HashValue;
}

function requireImage(input: HasherInput, name: string): DecodedImage {
  if (!input.image) throw new TypeError(`${name} hasher needs decoded pixels`);
  return input.image;
}

/** PDQ with the given pipeline; `fast` reads the shrink-on-load decode (see pdq/fast.ts). */
export function pdqHasher(pipeline: PdqPipeline = 'reference', options: { dihedral?: boolean } = {}): Hasher {
  return {
    signal: PDQ,
    decode: pipeline === 'fast' ? 'fast' : 'full',
    compute(input) {
      const image = requireImage(input, 'pdq');
      // A shrunk fast decode is hashed at its size; an unshrunk one exactly like `reference`.
      const shrunk = image.width !== image.sourceWidth || image.height !== image.sourceHeight;
      const compute =
        pipeline === 'fullres' || (pipeline === 'fast' && shrunk) ? pdqFullresFromPixels : pdqReferenceFromPixels;
      const r = compute(image, options);
      return { hash: r.hash, quality: r.quality, lowQuality: r.lowQuality, dihedral: r.dihedral };
    },
  };
}

export function blockhashHasher(method: BlockhashMethod = 'precise'): Hasher {
  return {
    signal: BLOCKHASH,
    decode: 'full',
    needsAlpha: true,
    compute: (input) => ({ hash: blockhashFromRgba(requireImage(input, 'blockhash'), method) }),
  };
}

const DIGEST_SIGNALS: Record<DigestName, SignalType> = { md5: MD5, sha1: SHA1, sha256: SHA256 };

export function digestHasher(name: DigestName): Hasher {
  return {
    signal: DIGEST_SIGNALS[name],
    decode: 'none',
    compute: (input) => ({ hash: computeDigest(input.bytes, name) }),
  };
}
