import { ErrorCodes, StaydownError } from './errors.js';

/** Parses lowercase or uppercase hex of an exact bit length; throws INVALID_HASH otherwise. */
export function hexToBytes(hex: string, bits: number): Uint8Array {
  const clean = lowercaseHex(hex.trim(), bits / 4);
  if (clean === undefined) {
    throw new StaydownError(ErrorCodes.INVALID_HASH, `expected ${bits / 4} hex digits, got ${JSON.stringify(hex)}`, {
      details: { bits, length: hex.trim().length },
    });
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/**
 * `hex` in lowercase when it is exactly `digits` hex digits (either case), else undefined.
 * One pass over the characters, and a new string only when some are uppercase: imports
 * check tens of millions of hashes, and a regex plus a lowercased copy cost 0.5 µs each.
 */
export function lowercaseHex(hex: string, digits: number): string | undefined {
  if (hex.length !== digits) return undefined;
  let upper = false;
  for (let i = 0; i < digits; i++) {
    const c = hex.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue; // 0-9, a-f
    if (c >= 65 && c <= 70)
      upper = true; // A-F
    else return undefined;
  }
  return upper ? hex.toLowerCase() : hex;
}

/**
 * Writes `hex` (exactly `bytes` × 2 digits, either case) into `out` from `at`; false when it
 * is not that (what was written is then meaningless). One pass, and no string or Buffer made:
 * a search parses its query this way, where lowercasing it and Buffer.write cost 1 µs.
 */
export function hexInto(hex: string, out: Uint8Array, at: number, bytes: number): boolean {
  if (hex.length !== bytes * 2) return false;
  for (let i = 0; i < bytes; i++) {
    const high = nibble(hex.charCodeAt(2 * i));
    const low = nibble(hex.charCodeAt(2 * i + 1));
    if ((high | low) < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

/** The value of one hex digit's character code (either case), or −1. */
function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20; // A-F → a-f; nothing else lands in a-f
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** True when `hex` is exactly `bits / 4` hex digits (either case). */
export function isHex(hex: string, bits: number): boolean {
  return lowercaseHex(hex, bits / 4) !== undefined;
}

/** Population count of a 32-bit integer (SWAR; no lookup table). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between two equal-length byte strings. */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) {
    throw new StaydownError(ErrorCodes.INVALID_HASH, `cannot compare hashes of ${a.length} and ${b.length} bytes`);
  }
  let d = 0;
  let i = 0;
  for (; i + 4 <= a.length; i += 4) {
    const x =
      ((a[i] << 24) | (a[i + 1] << 16) | (a[i + 2] << 8) | a[i + 3]) ^
      ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
    d += popcount32(x);
  }
  for (; i < a.length; i++) d += popcount32(a[i] ^ b[i]);
  return d;
}

/** Hamming distance between two hex strings of the same length. */
export function hexHammingDistance(a: string, b: string): number {
  if (a.length !== b.length) {
    throw new StaydownError(ErrorCodes.INVALID_HASH, `cannot compare hashes of ${a.length} and ${b.length} hex digits`);
  }
  return hammingDistance(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
