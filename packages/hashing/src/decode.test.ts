import { deflateSync } from 'node:zlib';
import { ErrorCodes } from '@staydown/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { blockhashFromRgba } from './blockhash.js';
import { decodeImage, readHeader } from './decode.js';
import { sniffFormat } from './formats.js';
import { hashImage } from './hash-image.js';
import { pdqReferenceFromPixels } from './pdq/pipelines.js';

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A valid, tiny PNG whose IHDR claims width × height (8-bit grey): a decompression bomb. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1 + width))), // one row of filter byte + zeros
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

const noise = (width: number, height: number, channels: 1 | 3 | 4 = 3) => {
  const data = Buffer.alloc(width * height * channels);
  let s = 9;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return sharp(data, { raw: { width, height, channels } });
};

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded: ${String(error)}`;
  }
}

describe('safe decoding', () => {
  it('refuses empty, oversized, SVG, PDF and unknown bytes with their codes', async () => {
    const jpeg = await noise(64, 48).jpeg().toBuffer();
    expect(await codeOf(hashImage(new Uint8Array(0)))).toBe(ErrorCodes.EMPTY_INPUT);
    expect(await codeOf(hashImage(jpeg, { limits: { maxBytes: 100 } }))).toBe(ErrorCodes.TOO_LARGE);
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(await codeOf(hashImage(svg))).toBe(ErrorCodes.UNSUPPORTED_FORMAT);
    await expect(hashImage(svg)).rejects.toThrow(/SVG/);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    expect(await codeOf(hashImage(pdf))).toBe(ErrorCodes.UNSUPPORTED_FORMAT);
    await expect(hashImage(pdf)).rejects.toThrow(/PDF/);
    expect(await codeOf(hashImage(Buffer.from('just some text')))).toBe(ErrorCodes.UNSUPPORTED_FORMAT);
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]);
    expect(await codeOf(hashImage(bmp))).toBe(ErrorCodes.UNSUPPORTED_FORMAT);
  });

  it('refuses a decompression bomb from its header, before decoding pixels', async () => {
    const bomb = bombPng(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    expect(sniffFormat(bomb)).toBe('png');
    expect(await codeOf(readHeader(bomb))).toBe(ErrorCodes.TOO_MANY_PIXELS);
    expect(await codeOf(hashImage(bomb))).toBe(ErrorCodes.TOO_MANY_PIXELS);
    // The same guard with a caller's lower limit on an honest image.
    const png = await noise(100, 100).png().toBuffer();
    expect(await codeOf(hashImage(png, { limits: { maxPixels: 9_999 } }))).toBe(ErrorCodes.TOO_MANY_PIXELS);
    expect(await codeOf(hashImage(png, { limits: { maxPixels: 10_000 } }))).toBe('OK');
  });

  it('turns truncated and corrupt files into DECODE_FAILED instead of grey pixels', async () => {
    const jpeg = await noise(256, 256).jpeg({ quality: 85 }).toBuffer();
    const png = await noise(256, 256).png().toBuffer();
    expect(await codeOf(hashImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.6))))).toBe(ErrorCodes.DECODE_FAILED);
    expect(await codeOf(hashImage(png.subarray(0, Math.floor(png.length * 0.6))))).toBe(ErrorCodes.DECODE_FAILED);
    expect(await codeOf(hashImage(jpeg.subarray(0, 20)))).toBe(ErrorCodes.DECODE_FAILED);
    const corrupt = Buffer.from(jpeg);
    for (let i = 1000; i < 3000; i++) corrupt[i] = (i * 7) & 0xff;
    expect(await codeOf(hashImage(corrupt))).toBe(ErrorCodes.DECODE_FAILED);
    // Digests alone do not decode, but the bytes are still checked.
    expect(await codeOf(hashImage(corrupt, { signals: ['sha256'] }))).toBe('OK');
  });

  it('detects the format from the bytes, not from a name', async () => {
    const png = await noise(20, 20).png().toBuffer();
    const webp = await noise(20, 20).webp().toBuffer();
    const gif = await noise(20, 20).gif().toBuffer();
    const tiff = await noise(20, 20).tiff().toBuffer();
    const avif = await noise(20, 20).avif().toBuffer();
    expect([png, webp, gif, tiff, avif].map(sniffFormat)).toEqual(['png', 'webp', 'gif', 'tiff', 'heif']);
    for (const bytes of [png, webp, gif, tiff, avif]) expect(await codeOf(hashImage(bytes))).toBe('OK');
  });

  it('decodes grey, grey+alpha, palette, 1-bit and 16-bit inputs to 8-bit pixels', async () => {
    const greyPng = await noise(30, 20, 1).toColourspace('b-w').png().toBuffer();
    const grey = await decodeImage(greyPng);
    expect(grey.grey).toBe(true);
    const greyAlpha = await decodeImage(await noise(30, 20, 1).toColourspace('b-w').ensureAlpha(0.5).png().toBuffer(), {
      rgba: true,
    });
    expect(greyAlpha.channels).toBe(4);
    expect(greyAlpha.grey).toBe(true);
    const palette = await decodeImage(await noise(30, 20).png({ palette: true }).toBuffer());
    expect(palette.channels).toBe(3);
    const oneBit = await decodeImage(
      await noise(30, 20, 1).toColourspace('b-w').png({ palette: true, colours: 2 }).toBuffer(),
    );
    expect(oneBit.width).toBe(30);
    const deepPng = await noise(30, 20).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deepPng).metadata()).depth).toBe('ushort');
    const deep = await decodeImage(deepPng);
    expect(deep.data.length).toBe(30 * 20 * 3);
    // Alpha is dropped for PDQ: RGBA and RGB of the same colours hash the same.
    const rgb = noise(40, 40);
    const a = await hashImage(await rgb.clone().png().toBuffer(), { signals: ['pdq'] });
    const b = await hashImage(await rgb.clone().ensureAlpha(0.3).png().toBuffer(), { signals: ['pdq'] });
    expect(b.pdq).toBe(a.pdq);
  });

  it('does not follow EXIF orientation', async () => {
    const base = noise(60, 40);
    const plain = await hashImage(await base.clone().jpeg({ quality: 95 }).toBuffer(), { signals: ['pdq'] });
    const tagged = await base.clone().jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const h = await hashImage(tagged, { signals: ['pdq'] });
    expect(h.width).toBe(60);
    expect(h.pdq).toBe(plain.pdq);
  });

  it('keepAlpha: RGBA where the image has alpha, RGB (nothing added) where it has none', async () => {
    const jpeg = await noise(40, 30).jpeg().toBuffer();
    const opaquePng = await noise(40, 30).png().toBuffer();
    const alphaPng = await noise(40, 30, 4).png().toBuffer();
    expect((await decodeImage(jpeg, { keepAlpha: true })).channels).toBe(3);
    expect((await decodeImage(opaquePng, { keepAlpha: true })).channels).toBe(3);
    const kept = await decodeImage(alphaPng, { keepAlpha: true });
    expect(kept.channels).toBe(4);
    expect(kept.data).toEqual((await decodeImage(alphaPng, { rgba: true })).data);
    expect((await decodeImage(jpeg, { rgba: true })).channels).toBe(4);
    expect((await decodeImage(alphaPng)).channels).toBe(3);
  });

  it('hashes as before the decode kept alpha only where present: as from RGBA-decoded pixels', async () => {
    for (const bytes of [
      await noise(41, 29).jpeg().toBuffer(),
      await noise(41, 29, 4).png().toBuffer(),
      await noise(64, 48).png().toBuffer(),
    ]) {
      const rgba = await decodeImage(bytes, { rgba: true });
      const h = await hashImage(bytes, { signals: ['blockhash', 'pdq'] });
      expect(h.blockhash).toBe(blockhashFromRgba(rgba));
      expect(h.pdq).toBe(pdqReferenceFromPixels(rgba).hash);
    }
  });
});
