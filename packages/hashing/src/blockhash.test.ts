import { bmvbhash } from 'blockhash-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCKHASH_GRID, blockhashFromRgba, bmvbhash16 } from './blockhash.js';

/** RGBA pixels from a seed: noise, flat runs (ties at the median) and transparent pixels. */
function rgba(width: number, height: number, seed: number, style: 'noise' | 'flat' | 'mixed'): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let i = 0; i < data.length; i += 4) {
    const r = next();
    const flat = style === 'flat' || (style === 'mixed' && (i >> 6) % 3 === 0);
    data[i] = flat ? 255 : r & 0xff;
    data[i + 1] = flat ? 255 : (r >>> 8) & 0xff;
    data[i + 2] = flat ? 255 : (r >>> 16) & 0xff;
    data[i + 3] = r >>> 24 < 24 ? 0 : 255;
  }
  return data;
}

const library = (data: Uint8Array, width: number, height: number) => bmvbhash({ width, height, data }, BLOCKHASH_GRID);

describe('bmvbhash16', () => {
  it('gives blockhash-core’s bmvbhash exactly, for any size, content and transparency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer(),
        fc.constantFrom('noise', 'flat', 'mixed') as fc.Arbitrary<'noise' | 'flat' | 'mixed'>,
        (width, height, seed, style) => {
          const data = rgba(width, height, seed, style);
          let expected: string | Error;
          try {
            expected = library(data, width, height);
          } catch (error) {
            expected = error as Error;
          }
          if (expected instanceof Error) {
            expect(() => blockhashFromRgba({ data, width, height, channels: 4 })).toThrow();
          } else {
            expect(blockhashFromRgba({ data, width, height, channels: 4 })).toBe(expected);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('matches at photo sizes, where sums run into the millions', () => {
    for (const [width, height] of [
      [1024, 768],
      [1023, 767],
      [4000, 3000],
      [641, 479],
      [1, 1000],
    ]) {
      const data = rgba(width, height, width * 31 + height, 'mixed');
      expect(bmvbhash16(data, width, height)).toBe(library(data, width, height));
    }
  });

  it('breaks ties at the median as the library does (a flat grey at exactly half the range)', () => {
    // R+G+B = 384 makes every block equal to the median and to the half-range value.
    for (const [width, height] of [
      [37, 23],
      [160, 120],
      [17, 300],
    ]) {
      const data = new Uint8Array(width * height * 4).fill(128);
      for (let i = 3; i < data.length; i += 4) data[i] = 255;
      expect(bmvbhash16(data, width, height)).toBe(library(data, width, height));
    }
  });

  it('reads RGB as opaque RGBA: the same hash by either method, evenly divided or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 90 }), fc.constantFrom(16, 32, 64)),
        fc.oneof(fc.integer({ min: 1, max: 90 }), fc.constantFrom(16, 48)),
        fc.integer(),
        fc.constantFrom('precise', 'quick') as fc.Arbitrary<'precise' | 'quick'>,
        (width, height, seed, method) => {
          const opaque = rgba(width, height, seed, 'mixed');
          const rgb = new Uint8Array(width * height * 3);
          for (let i = 0, o = 0; i < opaque.length; i += 4, o += 3) {
            opaque[i + 3] = 255;
            rgb.set(opaque.subarray(i, i + 3), o);
          }
          let expected: string | undefined;
          try {
            expected = blockhashFromRgba({ data: opaque, width, height, channels: 4 }, method);
          } catch {
            expected = undefined;
          }
          const rgbHash = () => blockhashFromRgba({ data: rgb, width, height, channels: 3 }, method);
          if (expected === undefined) expect(rgbHash).toThrow();
          else expect(rgbHash()).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
