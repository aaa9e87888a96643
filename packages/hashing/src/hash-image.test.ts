import { createHash } from 'node:crypto';
import { ErrorCodes, hexHammingDistance, PDQ } from '@staydown/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { blockhashFromRgba } from './blockhash.js';
import { decodeImage } from './decode.js';
import { hashImage } from './hash-image.js';
import { digestHasher, pdqHasher } from './hashers.js';
import { FAST_PDQ_DECODE } from './pdq/fast.js';

/** A synthetic photo-like image: smooth gradients plus a few shapes plus mild noise. */
async function syntheticJpeg(width: number, height: number, seed: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const n = (s >>> 28) - 8;
      const i = (y * width + x) * 3;
      const ring = Math.sin((Math.hypot(x - width * 0.3, y - height * 0.6) / width) * 20 * (1 + (seed % 3)));
      data[i] = Math.max(0, Math.min(255, (x * 255) / width + n));
      data[i + 1] = Math.max(0, Math.min(255, 128 + 100 * ring + n));
      data[i + 2] = Math.max(0, Math.min(255, (y * 255) / height + n));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

describe('hashImage', () => {
  it('computes all five signals from one call, digests over the stored bytes', async () => {
    const bytes = await syntheticJpeg(300, 200, 1);
    const h = await hashImage(bytes);
    expect(Object.keys(h).sort()).toEqual(
      ['blockhash', 'format', 'height', 'lowQuality', 'md5', 'pdq', 'quality', 'sha1', 'sha256', 'width'].sort(),
    );
    for (const name of ['md5', 'sha1', 'sha256'] as const) {
      expect(h[name]).toBe(createHash(name).update(bytes).digest('hex'));
    }
    expect(PDQ.normalize(h.pdq ?? '')).toBe(h.pdq);
    expect(h.blockhash).toMatch(/^[0-9a-f]{64}$/);
    expect([h.width, h.height, h.format]).toEqual([300, 200, 'jpeg']);
    expect(h.lowQuality).toBe(false);
  });

  it('returns only the requested signals and the same values as alone', async () => {
    const bytes = await syntheticJpeg(300, 200, 2);
    const all = await hashImage(bytes, { dihedral: true });
    const pdqOnly = await hashImage(bytes, { signals: ['pdq'] });
    expect(pdqOnly.blockhash).toBeUndefined();
    expect(pdqOnly.pdq).toBe(all.pdq);
    expect(all.pdqDihedral?.orig).toBe(all.pdq);
    const shaOnly = await hashImage(bytes, { signals: ['sha256'] });
    expect(Object.keys(shaOnly)).toEqual(['sha256']);
    const quick = await hashImage(bytes, { signals: ['blockhash'], blockhashMethod: 'quick' });
    expect(quick.blockhash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('validates options with stable codes', async () => {
    const bytes = await syntheticJpeg(64, 64, 3);
    await expect(hashImage(bytes, { signals: ['photodna' as 'pdq'] })).rejects.toMatchObject({
      code: ErrorCodes.UNKNOWN_SIGNAL,
    });
    await expect(hashImage(bytes, { pdq: 'turbo' as 'fast' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_OPTION,
    });
    await expect(hashImage(bytes, { limits: { maxPixels: -1 } })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_OPTION,
    });
    await expect(hashImage('not bytes' as unknown as Uint8Array)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_OPTION,
    });
  });

  it('flags blank images as low quality', async () => {
    const blank = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const h = await hashImage(blank, { signals: ['pdq'] });
    expect(h.quality).toBe(0);
    expect(h.lowQuality).toBe(true);
  });

  it('fast: shrinks large JPEGs on load and stays close to reference; small images are exact', async () => {
    for (const seed of [4, 5, 6]) {
      const big = await syntheticJpeg(1024, 768, seed);
      const ref = await hashImage(big, { signals: ['pdq'] });
      const fast = await hashImage(big, { signals: ['pdq'], pdq: 'fast' });
      expect(hexHammingDistance(ref.pdq ?? '', fast.pdq ?? '')).toBeLessThanOrEqual(16);
      // The fast hash does not depend on other signals being requested in the same call.
      const fastWithBlockhash = await hashImage(big, { signals: ['pdq', 'blockhash'], pdq: 'fast' });
      expect(fastWithBlockhash.pdq).toBe(fast.pdq);
      expect(fastWithBlockhash.width).toBe(1024);
    }
    const shrunk = await decodeImage(await syntheticJpeg(1024, 768, 7), FAST_PDQ_DECODE);
    expect(Math.max(shrunk.width, shrunk.height)).toBeLessThanOrEqual(FAST_PDQ_DECODE.maxSide);
    const small = await syntheticJpeg(400, 300, 8);
    const smallRef = await hashImage(small, { signals: ['pdq'] });
    expect((await hashImage(small, { signals: ['pdq'], pdq: 'fast' })).pdq).toBe(smallRef.pdq);
  });
});

describe('hashers', () => {
  it('treat every signal alike', async () => {
    const bytes = await syntheticJpeg(120, 90, 9);
    const sha = digestHasher('sha256');
    expect(sha.signal.name).toBe('sha256');
    expect(sha.decode).toBe('none');
    expect(sha.compute({ bytes }).hash).toBe(createHash('sha256').update(bytes).digest('hex'));
    const pdq = pdqHasher('fullres');
    expect(pdq.decode).toBe('full');
    const image = await decodeImage(bytes);
    expect(pdq.compute({ bytes, image }).hash).toBe((await hashImage(bytes, { signals: ['pdq'], pdq: 'fullres' })).pdq);
  });

  it('refuses pixels blockhash would misread: anything but RGB or RGBA of the stated size', () => {
    const grey = { data: new Uint8Array(10 * 10), width: 10, height: 10, channels: 1 };
    expect(() => blockhashFromRgba(grey)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }));
    const greyAlpha = { data: new Uint8Array(10 * 10 * 2), width: 10, height: 10, channels: 2 };
    expect(() => blockhashFromRgba(greyAlpha)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }));
    const shortRgb = { data: new Uint8Array(10 * 10 * 3 - 1), width: 10, height: 10, channels: 3 };
    expect(() => blockhashFromRgba(shortRgb)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }));
    const short = { data: new Uint8Array(10 * 10 * 4 - 1), width: 10, height: 10, channels: 4 };
    expect(() => blockhashFromRgba(short)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }));
    const ok = { data: new Uint8Array(16 * 16 * 4).fill(200), width: 16, height: 16, channels: 4 };
    expect(blockhashFromRgba(ok)).toMatch(/^[0-9a-f]{64}$/);
  });
});
