export type { BlockhashMethod } from './blockhash.js';
export { BLOCKHASH_GRID, blockhashFromRgba } from './blockhash.js';
export type { DecodedImage, DecodeOptions, ImageHeader } from './decode.js';
export { checkBytes, DECODE_FAIL_ON, decodeImage, readHeader } from './decode.js';
export type { DigestName } from './digests.js';
export { computeDigest, computeDigests, DIGEST_NAMES } from './digests.js';
export type { ImageFormat } from './formats.js';
export { ALLOWED_FORMATS, sniffFormat } from './formats.js';
export type { ImageHashes } from './hash-image.js';
export { hashImage } from './hash-image.js';
export type { DecodeNeed, Hasher, HasherInput, HashValue } from './hashers.js';
export { blockhashHasher, digestHasher, pdqHasher } from './hashers.js';
export type { DecodeLimits } from './limits.js';
export { DEFAULT_DECODE_LIMITS } from './limits.js';
export type { HashOptions } from './options.js';
export { DEFAULT_HASH_OPTIONS, resolveHashOptions } from './options.js';
export { hexToWords, wordsToHex } from './pdq/bits.js';
export type { PdqComputeOptions, PdqDihedral, PdqResult } from './pdq/core.js';
export {
  PDQ_MIN_DIMENSION,
  PDQ_QUALITY_THRESHOLD,
  pdqFromLuma,
  pdqFromPixels,
  pdqQuality,
} from './pdq/core.js';
export type { DihedralName } from './pdq/dihedral.js';
export { DIHEDRAL_NAMES } from './pdq/dihedral.js';
export { FAST_PDQ_DECODE } from './pdq/fast.js';
export type { PixelBuffer } from './pdq/luma.js';
export type { PdqPipeline } from './pdq/pipelines.js';
export {
  PDQ_PIPELINES,
  pdqFullresFromPixels,
  pdqReferenceFromPixels,
  REFERENCE_MAX_SIDE,
} from './pdq/pipelines.js';
