import { describe, expect, it } from 'vitest';
import { hexToWords, wordsToHex } from './bits.js';
import { jaroszBlur } from './box-filter.js';
import { pdqFromLuma, pdqFromPixels, pdqQuality } from './core.js';
import { DIHEDRAL_NAMES, type DihedralName, dihedralMatrix } from './dihedral.js';

const f = Math.fround;

/** Deterministic pseudo-random luma (a small LCG), so failures reproduce. */
function randomLuma(width: number, height: number, seed = 1): Float32Array {
  const out = new Float32Array(width * height);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 16) & 255;
  }
  return out;
}

/** An independent, naive PDQ of a 64×64 block: plain loops in the spec's order. */
function naivePdqOf64(block: Float32Array): string {
  const d = (i: number, k: number) => f(f(Math.sqrt(2 / 64)) * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * k + 1)));
  const t: number[][] = [];
  for (let i = 0; i < 16; i++) {
    t.push([]);
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(d(i, k) * block[k * 64 + j]));
      t[i].push(s);
    }
  }
  const b: number[] = [];
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(t[i][k] * d(j, k)));
      b.push(s);
    }
  }
  const median = [...b].sort((x, y) => x - y)[127];
  let bits = 0n;
  for (let k = 0; k < 256; k++) if (b[k] > median) bits |= 1n << BigInt(k);
  return bits.toString(16).padStart(64, '0');
}

describe('PDQ hex bit order', () => {
  it('puts bit k = 16i + j in word i at position j, words printed 15 down to 0', () => {
    const words = new Uint16Array(16);
    words[0] = 0x0001; // bit 0: B[0][0]
    expect(wordsToHex(words)).toBe(`${'0'.repeat(63)}1`);
    words[0] = 0;
    words[15] = 0x8000; // bit 255: B[15][15]
    expect(wordsToHex(words)).toBe(`8${'0'.repeat(63)}`);
    words[1] = 0x0004; // bit 18: B[1][2]
    const hex = wordsToHex(words);
    expect(BigInt(`0x${hex}`)).toBe((1n << 255n) | (1n << 18n));
    expect([...hexToWords(hex)]).toEqual([...words]);
  });
});

describe('PDQ core', () => {
  it('gives an all-zero hash and quality 0 for images under 5 px on a side', () => {
    for (const [w, h] of [
      [4, 100],
      [100, 4],
      [1, 1],
    ]) {
      const r = pdqFromLuma(randomLuma(w, h), w, h, { dihedral: true });
      expect(r.hash).toBe('0'.repeat(64));
      expect(r.quality).toBe(0);
      expect(r.lowQuality).toBe(true);
      for (const name of DIHEDRAL_NAMES) expect(r.dihedral?.[name]).toBe('0'.repeat(64));
    }
    expect(pdqFromLuma(randomLuma(5, 5), 5, 5).hash).not.toBe('0'.repeat(64));
  });

  it('hashes an exactly 64×64 image without blurring, matching a naive implementation', () => {
    const luma = randomLuma(64, 64, 7);
    const r = pdqFromLuma(luma, 64, 64);
    expect(r.hash).toBe(naivePdqOf64(luma));
    expect(r.quality).toBe(pdqQuality(luma));
    // The input is not changed by pdqFromLuma.
    expect(luma).toEqual(randomLuma(64, 64, 7));
  });

  it('blurs larger images: a 128×128 image of 2×2 blocks hashes as its 64×64 decimation does (window 1)', () => {
    const small = randomLuma(64, 64, 3);
    const big = new Float32Array(128 * 128);
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) big[y * 128 + x] = small[(y >> 1) * 64 + (x >> 1)];
    // Window for 128 is 1 and decimation samples (2i + 1, 2j + 1): the same values.
    expect(pdqFromLuma(big, 128, 128).hash).toBe(pdqFromLuma(small, 64, 64).hash);
    // At 256 the window is 2: the hash is that of the blurred, decimated plane.
    const bigger = new Float32Array(256 * 256);
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) bigger[y * 256 + x] = small[(y >> 2) * 64 + (x >> 2)];
    const blurred = Float32Array.from(bigger);
    jaroszBlur(blurred, new Float32Array(256 * 256), 256, 256);
    const decimated = new Float32Array(64 * 64);
    for (let i = 0; i < 64; i++)
      for (let j = 0; j < 64; j++) decimated[i * 64 + j] = blurred[(4 * i + 2) * 256 + 4 * j + 2];
    expect(blurred).not.toEqual(bigger);
    expect(pdqFromLuma(bigger, 256, 256).hash).toBe(naivePdqOf64(decimated));
  });

  it('flags flat and low-quality images', () => {
    const flat = new Float32Array(100 * 80).fill(128);
    const r = pdqFromLuma(flat, 100, 80);
    expect(r.quality).toBe(0);
    expect(r.lowQuality).toBe(true);
    const busy = pdqFromLuma(randomLuma(100, 80), 100, 80);
    expect(busy.quality).toBeGreaterThanOrEqual(50);
    expect(busy.lowQuality).toBe(false);
  });

  it('refuses pixel buffers that do not match their size', () => {
    const bad = { data: new Uint8Array(10), width: 4, height: 4, channels: 3 };
    expect(() => pdqFromPixels(bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => pdqFromLuma(new Float32Array(3), 2, 2)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('uses the grey value directly and the float32 RGB formula otherwise', () => {
    const grey = { data: Uint8Array.from(randomLuma(32, 32)), width: 32, height: 32, channels: 1 };
    const rgb = { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, channels: 3 };
    for (let i = 0; i < 32 * 32; i++) rgb.data.fill(grey.data[i], i * 3, i * 3 + 3);
    expect(pdqFromPixels({ ...rgb, grey: true }).hash).toBe(pdqFromPixels(grey).hash);
    expect(pdqFromPixels(grey).hash).toBe(pdqFromLuma(Float32Array.from(grey.data), 32, 32).hash);
  });
});

describe('PDQ dihedral transforms', () => {
  const b = Float32Array.from({ length: 256 }, (_, k) => k + 1);
  const apply = (m: Float32Array, name: DihedralName) => {
    const out = new Float32Array(256);
    dihedralMatrix(m, name, out);
    return out;
  };
  const at = (m: Float32Array, i: number, j: number) => m[i * 16 + j];

  it('reads and negates entries as the reference does', () => {
    const rot90 = apply(b, 'rot90');
    expect(at(rot90, 0, 1)).toBe(-at(b, 1, 0)); // transposed, negated on even i
    expect(at(rot90, 1, 0)).toBe(at(b, 0, 1));
    const rot270 = apply(b, 'rot270');
    expect(at(rot270, 0, 1)).toBe(at(b, 1, 0)); // negated on even j
    expect(at(rot270, 1, 0)).toBe(-at(b, 0, 1));
    expect(at(apply(b, 'rot180'), 0, 1)).toBe(-at(b, 0, 1));
    expect(at(apply(b, 'rot180'), 1, 1)).toBe(at(b, 1, 1));
    expect(at(apply(b, 'flipx'), 2, 3)).toBe(-at(b, 2, 3));
    expect(at(apply(b, 'flipy'), 3, 2)).toBe(-at(b, 3, 2));
    expect(at(apply(b, 'flipplus1'), 3, 5)).toBe(at(b, 5, 3));
    expect(at(apply(b, 'flipminus1'), 3, 4)).toBe(-at(b, 4, 3));
    expect(apply(b, 'orig')).toEqual(b);
  });

  it('composes like the dihedral group', () => {
    expect(apply(apply(b, 'rot90'), 'rot270')).toEqual(b);
    expect(apply(apply(b, 'rot90'), 'rot90')).toEqual(apply(b, 'rot180'));
    expect(apply(apply(b, 'flipx'), 'flipx')).toEqual(b);
    expect(apply(apply(b, 'flipx'), 'flipy')).toEqual(apply(b, 'rot180'));
    expect(apply(apply(b, 'flipplus1'), 'flipplus1')).toEqual(b);
  });

  it('gives the original hash for orig and different hashes for the others', () => {
    const r = pdqFromLuma(randomLuma(80, 80), 80, 80, { dihedral: true });
    expect(r.dihedral?.orig).toBe(r.hash);
    expect(new Set(Object.values(r.dihedral ?? {})).size).toBe(8);
  });
});
