import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { conformanceImages } from './conformance-images.test-support.js';
import { readJpegFrame } from './jpeg-header.js';

describe('JPEG frame header', () => {
  it('agrees with the decoder on size and components (RGB, grey, CMYK, progressive)', async () => {
    const rgb = await sharp({ create: { width: 321, height: 123, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    const grey = await sharp({ create: { width: 40, height: 50, channels: 3, background: '#777' } })
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    const progressive = await sharp({ create: { width: 70, height: 20, channels: 3, background: '#123456' } })
      .jpeg({ progressive: true })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const files = [rgb, grey, progressive, ...conformanceImages('.jpg')];
    console.log(`JPEG frame header checked on ${files.length} files`);
    for (const bytes of files) {
      const meta = await sharp(bytes).metadata();
      const frame = readJpegFrame(bytes);
      expect(frame).toEqual({ width: meta.width, height: meta.height, components: meta.channels });
    }
    expect(readJpegFrame(grey)?.components).toBe(1);
  });

  it('gives up on malformed markers instead of guessing', () => {
    expect(readJpegFrame(Uint8Array.of(0xff, 0xd8))).toBeUndefined();
    expect(readJpegFrame(Uint8Array.of(0xff, 0xd8, 0x00, 0x00, 0x00))).toBeUndefined();
    expect(readJpegFrame(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01))).toBeUndefined();
    expect(readJpegFrame(Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 0, 0, 0, 0, 0, 0))).toBeUndefined();
  });
});
