import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { conformanceImages } from './conformance-images.test-support.js';
import { readHeader } from './decode.js';
import { readPngHeader } from './png-header.js';

const base = (channels: 3 | 4) => sharp({ create: { width: 37, height: 21, channels, background: '#336699' } });

describe('PNG header', () => {
  it('agrees with the decoder on size and greyness (grey, grey+alpha, RGB, RGBA, palette, 1- and 16-bit)', async () => {
    const made = [
      await base(3).png().toBuffer(),
      await base(4).png().toBuffer(),
      await base(3).toColourspace('b-w').png().toBuffer(),
      await base(4).toColourspace('b-w').png().toBuffer(),
      await base(3).png({ palette: true }).toBuffer(),
      await base(3).toColourspace('b-w').png({ palette: true, colours: 2 }).toBuffer(),
      await base(3).toColourspace('grey16').png().toBuffer(),
      await base(3).toColourspace('rgb16').png().toBuffer(),
    ];
    const files = [...made, ...conformanceImages('.png')];
    console.log(`PNG header checked on ${files.length} files`);
    for (const bytes of files) {
      const meta = await sharp(bytes).metadata();
      const header = readPngHeader(bytes);
      expect(header).toEqual({
        width: meta.width,
        height: meta.height,
        grey: meta.space === 'b-w' || meta.space === 'grey16',
      });
    }
  });

  it('gives up on what is not a well-formed IHDR first, so the decoder reads the header', async () => {
    const good = await base(3).png().toBuffer();
    const withByte = (at: number, value: number) => {
      const copy = Buffer.from(good);
      copy[at] = value;
      return copy;
    };
    expect(readPngHeader(good.subarray(0, 32))).toBeUndefined(); // cut inside IHDR
    expect(readPngHeader(withByte(0, 0x88))).toBeUndefined(); // not the signature
    expect(readPngHeader(withByte(12, 0x43))).toBeUndefined(); // another chunk first (CgBI…)
    expect(readPngHeader(withByte(11, 14))).toBeUndefined(); // IHDR of the wrong length
    const zeroWidth = Buffer.from(good);
    zeroWidth.writeUInt32BE(0, 16);
    expect(readPngHeader(zeroWidth)).toBeUndefined();
    const huge = Buffer.from(good);
    huge.writeUInt32BE(0x80000000, 20);
    expect(readPngHeader(huge)).toBeUndefined();
    expect(readPngHeader(withByte(24, 3))).toBeUndefined(); // bit depth 3
    expect(readPngHeader(withByte(25, 5))).toBeUndefined(); // colour type 5
    expect(readPngHeader(withByte(26, 1))).toBeUndefined(); // compression method 1
    expect(readPngHeader(withByte(27, 1))).toBeUndefined(); // filter method 1
    expect(readPngHeader(withByte(28, 2))).toBeUndefined(); // interlace method 2
    expect(readPngHeader(withByte(28, 1))).toEqual({ width: 37, height: 21, grey: false }); // Adam7
    expect(readPngHeader(withByte(24, 16))).toEqual({ width: 37, height: 21, grey: false }); // RGB 16-bit
  });

  it('leaves an IHDR with an undefined method to the decoder, which refuses it as before', async () => {
    // Interlace method 2 and a huge size: the decoder's DECODE_FAILED, not our TOO_MANY_PIXELS.
    const png = Buffer.from(await base(3).png().toBuffer());
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    png[28] = 2;
    await expect(readHeader(png)).rejects.toMatchObject({ code: 'DECODE_FAILED' });
  });

  it('still refuses a PNG that claims too many pixels, before decoding', async () => {
    const png = Buffer.from(await base(3).png().toBuffer());
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    await expect(readHeader(png)).rejects.toMatchObject({ code: 'TOO_MANY_PIXELS' });
  });
});
