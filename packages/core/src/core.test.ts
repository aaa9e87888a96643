import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  getSignal,
  hammingDistance,
  hexHammingDistance,
  popcount32,
  StaydownError,
  toStaydownError,
} from './index.js';

describe('errors', () => {
  it('keeps a stable code and JSON shape', () => {
    const e = new StaydownError(ErrorCodes.TOO_LARGE, 'too big', { details: { limit: 1 } });
    expect(e).toBeInstanceOf(Error);
    expect(e.toJSON()).toEqual({ code: 'TOO_LARGE', message: 'too big', details: { limit: 1 } });
  });
  it('restores a code from a structured-clone copy', () => {
    const copy = structuredClone({ code: 'DECODE_FAILED', message: 'bad' });
    expect(toStaydownError(copy).code).toBe('DECODE_FAILED');
    expect(toStaydownError(new Error('x')).code).toBe('INTERNAL');
  });
});

describe('hex and distance', () => {
  it('counts bits', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
    expect(hammingDistance(Uint8Array.of(0xff, 0, 1), Uint8Array.of(0, 0, 0))).toBe(9);
    expect(hexHammingDistance('f'.repeat(64), '0'.repeat(64))).toBe(256);
  });
});

describe('signals', () => {
  it('validates and compares', () => {
    const pdq = getSignal('PDQ');
    expect(pdq.defaultThreshold).toBe(31);
    expect(pdq.normalize('A'.repeat(64))).toBe('a'.repeat(64));
    expect(() => pdq.normalize('abc')).toThrowError(/64 hex digits/);
    // Either case, surrounding blanks trimmed; anything else that is not 64 hex digits refused.
    expect(pdq.normalize(` \t${'aB09'.repeat(16)}\r\n`)).toBe('ab09'.repeat(16));
    const md5 = getSignal('md5');
    expect(md5.normalize('0123456789abcdefABCDEF0123456789')).toBe('0123456789abcdefabcdef0123456789');
    for (const bad of [
      'g'.repeat(32),
      `${'a'.repeat(31)}-`,
      `${'a'.repeat(31)} a`,
      'a'.repeat(33),
      `${'a'.repeat(31)}\u212a`,
      '',
    ]) {
      expect(() => md5.normalize(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    }
    expect(() => pdq.normalize(` ${'a'.repeat(63)}`)).toThrowError(/got 63 characters/);
    expect(getSignal('sha256').distance('a'.repeat(64), 'b'.repeat(64))).toBe(1);
    expect(() => getSignal('photodna')).toThrow(expect.objectContaining({ code: 'UNKNOWN_SIGNAL' }));
  });
});
