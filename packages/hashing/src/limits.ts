/**
 * Decoding limits: untrusted files must not exhaust memory or CPU. The pixel limit sits far
 * below sharp's own 268 MP default; a 50 MP RGBA decode is already 200 MB.
 */
export interface DecodeLimits {
  /** Largest accepted file, in bytes. */
  maxBytes?: number;
  /** Largest accepted width × height (first frame), checked from the header before decoding. */
  maxPixels?: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxPixels: 50_000_000,
});

export function resolveLimits(limits: DecodeLimits | undefined): Required<DecodeLimits> {
  return {
    maxBytes: limits?.maxBytes ?? DEFAULT_DECODE_LIMITS.maxBytes,
    maxPixels: limits?.maxPixels ?? DEFAULT_DECODE_LIMITS.maxPixels,
  };
}
