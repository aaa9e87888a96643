import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  getSignal,
  hammingDistance,
  hexHammingDistance,
  hexInto,
  isHex,
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

  it('parses hex into bytes as Buffer does, either case, and refuses anything else', () => {
    // Every character code up to U+017F in any place: the digits of both cases and nothing else pass.
    const text = fc.string({
      unit: fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c)),
      maxLength: 10,
    });
    const hexText = fc
      .uint8Array({ minLength: 0, maxLength: 5 })
      .chain((b) => fc.constantFrom(Buffer.from(b).toString('hex'), Buffer.from(b).toString('hex').toUpperCase()));
    fc.assert(
      fc.property(fc.oneof(text, hexText), (hex) => {
        const out = new Uint8Array(8);
        const valid = hex.length % 2 === 0 && isHex(hex, hex.length * 4);
        expect(hexInto(hex, out, 1, hex.length / 2)).toBe(valid);
        if (valid) expect(Buffer.from(out.subarray(1, 1 + hex.length / 2))).toEqual(Buffer.from(hex, 'hex'));
      }),
      { numRuns: 2000 },
    );
    expect(hexInto('0a', new Uint8Array(2), 0, 2)).toBe(false); // too short for 2 bytes
    expect(hexInto('0G', new Uint8Array(1), 0, 1)).toBe(false);
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
