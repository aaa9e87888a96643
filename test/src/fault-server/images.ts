import sharp from 'sharp';

/** A small deterministic PRNG (mulberry32) so every run serves byte-identical images. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Raw RGB pixels of a synthetic photo-like scene: a sky-to-ground gradient, soft light blobs and
 * a few hard-edged shapes, with mild noise. Different seeds give perceptually unrelated images
 * (PDQ distances far above the match threshold); nothing here resembles real material.
 */
export function syntheticPixels(seed: number, width: number, height: number): Buffer {
  const rand = prng(seed);
  const blobs = Array.from({ length: 6 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: (0.1 + rand() * 0.3) * Math.min(width, height),
    c: [rand() * 255, rand() * 255, rand() * 255],
  }));
  const boxes = Array.from({ length: 4 }, () => ({
    x0: rand() * width * 0.8,
    y0: rand() * height * 0.8,
    w: (0.1 + rand() * 0.3) * width,
    h: (0.1 + rand() * 0.3) * height,
    c: [rand() * 255, rand() * 255, rand() * 255],
  }));
  const top = [rand() * 255, rand() * 255, rand() * 255];
  const bottom = [rand() * 255, rand() * 255, rand() * 255];
  const waveX = 2 + rand() * 6;
  const waveY = 2 + rand() * 6;
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    for (let x = 0; x < width; x++) {
      const rgb = [0, 1, 2].map((k) => top[k] * (1 - t) + bottom[k] * t);
      const wave = 25 * Math.sin((x / width) * Math.PI * waveX) * Math.cos((y / height) * Math.PI * waveY);
      for (const b of blobs) {
        const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r);
        const w = Math.exp(-d2);
        for (let k = 0; k < 3; k++) rgb[k] = rgb[k] * (1 - w * 0.7) + b.c[k] * w * 0.7;
      }
      for (const b of boxes) {
        if (x >= b.x0 && x < b.x0 + b.w && y >= b.y0 && y < b.y0 + b.h) {
          for (let k = 0; k < 3; k++) rgb[k] = rgb[k] * 0.3 + b.c[k] * 0.7;
        }
      }
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const v = rgb[k] + wave + (rand() - 0.5) * 12;
        out[i + k] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return out;
}

export interface FaultImages {
  /** The "known" image (JPEG). */
  original: Buffer;
  /** The same image resized to 60 % and re-encoded as WebP: perceptually the same (PRESENT). */
  resized: Buffer;
  /** A different image a host swaps in after removal (REPLACED). */
  placeholder: Buffer;
  /** Further unrelated images, e.g. for pages with decoys. */
  decoys: Buffer[];
  /** A flat grey PNG: PDQ quality 0, its PDQ hash is noise. */
  flat: Buffer;
}

async function jpeg(seed: number, width: number, height: number, quality = 88): Promise<Buffer> {
  return sharp(syntheticPixels(seed, width, height), { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** Generates the images once per server (a few tens of ms). */
export async function generateFaultImages(seed = 20_261_128): Promise<FaultImages> {
  const original = await jpeg(seed, 480, 360);
  const resized = await sharp(original).resize(288, 216).webp({ quality: 70 }).toBuffer();
  const placeholder = await jpeg(seed + 1, 480, 360);
  const decoys = await Promise.all([2, 3].map((k) => jpeg(seed + k, 320, 240)));
  const flat = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .png()
    .toBuffer();
  return { original, resized, placeholder, decoys, flat };
}
