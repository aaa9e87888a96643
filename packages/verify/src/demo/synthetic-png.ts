import { deflateSync } from 'node:zlib';

/**
 * Synthetic demo images, encoded as PNG without an image library: a seeded scene of gradients,
 * waves and soft discs. Different seeds are perceptually unrelated; nothing here resembles
 * real material. Used by the demo's simulated host.
 */
export function syntheticPng(seed: number, width = 256, height = 256): Buffer {
  const rand = mulberry32(seed);
  const discs = Array.from({ length: 5 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: (0.08 + rand() * 0.25) * width,
    c: [rand(), rand(), rand()].map((v) => v * 255),
  }));
  const fx = 1 + rand() * 5;
  const fy = 1 + rand() * 5;
  const base = [rand(), rand(), rand()].map((v) => 40 + v * 160);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const wave = 50 * Math.sin((x / width) * Math.PI * fx) * Math.cos((y / height) * Math.PI * fy);
      const rgb = base.map((b, k) => b + wave * (k === 1 ? -1 : 1) + (y / height) * 40);
      for (const d of discs) {
        const w = Math.exp(-((x - d.x) ** 2 + (y - d.y) ** 2) / (d.r * d.r));
        for (let k = 0; k < 3; k++) rgb[k] = rgb[k] * (1 - 0.8 * w) + d.c[k] * 0.8 * w;
      }
      for (let k = 0; k < 3; k++)
        raw[row + 1 + x * 3 + k] = Math.max(0, Math.min(255, Math.round(rgb[k] + (rand() - 0.5) * 8)));
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
