import sharp from 'sharp';

export interface SyntheticImageOptions {
  width: number;
  height: number;
  format?: 'jpeg' | 'png';
  /** JPEG quality, default 85. */
  quality?: number;
}

/**
 * A synthetic picture that differs per seed (overlapping waves and a few blocks), so distinct
 * seeds give distinct perceptual hashes. Never real material: tests and benchmarks use these.
 */
export async function syntheticImage(seed: number, options: SyntheticImageOptions): Promise<Buffer> {
  // Large pictures are drawn small and enlarged: the hash only sees the low frequencies anyway.
  const scale = Math.max(1, Math.ceil(Math.sqrt((options.width * options.height) / 1_000_000)));
  const width = Math.max(1, Math.round(options.width / scale));
  const height = Math.max(1, Math.round(options.height / scale));
  const raw = Buffer.alloc(width * height * 3);
  let state = (seed * 2654435761) >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const fx = 1 + rand() * 6;
  const fy = 1 + rand() * 6;
  const phase = rand() * Math.PI * 2;
  const blocks = Array.from({ length: 4 }, () => ({
    x: rand() * width,
    y: rand() * height,
    w: (0.1 + rand() * 0.3) * width,
    h: (0.1 + rand() * 0.3) * height,
    c: [rand() * 255, rand() * 255, rand() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const wave = Math.sin(u * fx * Math.PI * 2 + phase) * Math.cos(v * fy * Math.PI * 2);
      const i = (y * width + x) * 3;
      let r = 128 + 100 * wave;
      let g = 128 + 100 * Math.sin(v * fx * 3 + phase);
      let b = 128 - 100 * wave;
      for (const blk of blocks) {
        if (x >= blk.x && x < blk.x + blk.w && y >= blk.y && y < blk.y + blk.h) [r, g, b] = blk.c;
      }
      raw[i] = r;
      raw[i + 1] = g;
      raw[i + 2] = b;
    }
  }
  let image = sharp(raw, { raw: { width, height, channels: 3 } });
  if (scale > 1) image = image.resize(options.width, options.height, { fit: 'fill' });
  return options.format === 'png'
    ? image.png({ compressionLevel: 6 }).toBuffer()
    : image.jpeg({ quality: options.quality ?? 85 }).toBuffer();
}
