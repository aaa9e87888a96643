import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hexHammingDistance } from '@staydown/core';
import { hashImage } from '@staydown/hashing';
import { groupNearDuplicates } from '@staydown/scanner';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { syntheticImage } from './synthetic.js';

/** Connected components of "distance ≤ threshold" by brute force, for comparison. */
function naiveGroups(items: { id: string; pdq: string }[], threshold: number): string[][] {
  const label = items.map((_, i) => i);
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      if (hexHammingDistance(items[i].pdq, items[j].pdq) <= threshold) {
        const [from, to] = [label[j], label[i]];
        for (let k = 0; k < label.length; k++) if (label[k] === from) label[k] = to;
      }
    }
  }
  const groups = new Map<number, string[]>();
  for (const [i, item] of items.entries()) groups.set(label[i], [...(groups.get(label[i]) ?? []), item.id]);
  return [...groups.values()];
}

const canonical = (groups: string[][]) => groups.map((g) => [...g].sort()).sort((a, b) => a[0].localeCompare(b[0]));

describe('groupNearDuplicates', () => {
  it('puts re-encoded and resized copies of one picture together, and different pictures apart', async () => {
    const items: { id: string; pdq: string }[] = [];
    for (let base = 0; base < 3; base++) {
      const original = await syntheticImage(500 + base, { width: 400, height: 300 });
      const variants: [string, Buffer][] = [
        ['orig', original],
        ['q40', await sharp(original).jpeg({ quality: 40 }).toBuffer()],
        ['half', await sharp(original).resize(200).jpeg().toBuffer()],
        ['png', await sharp(original).png().toBuffer()],
      ];
      for (const [name, bytes] of variants) {
        const { pdq } = await hashImage(bytes, { signals: ['pdq'] });
        items.push({ id: `${base}-${name}`, pdq: pdq as string });
      }
    }
    const groups = await groupNearDuplicates(items);
    expect(canonical(groups)).toEqual([
      ['0-half', '0-orig', '0-png', '0-q40'],
      ['1-half', '1-orig', '1-png', '1-q40'],
      ['2-half', '2-orig', '2-png', '2-q40'],
    ]);
  });

  it('refuses an item that is not an {id, pdq} object with INVALID_HASH and its position', async () => {
    const good = { id: 'a', pdq: 'f'.repeat(64) };
    for (const bad of [null, undefined, 'ff']) {
      await expect(groupNearDuplicates([good, bad as unknown as typeof good])).rejects.toMatchObject({
        code: 'INVALID_HASH',
        details: { position: 1 },
      });
    }
  });

  it('agrees with brute force on clustered random hashes, every id exactly once', async () => {
    const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
    const flips = fc.array(fc.nat(255), { maxLength: 24 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(hex, fc.array(flips, { maxLength: 4 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 40 }),
        async (clusters, threshold) => {
          const items: { id: string; pdq: string }[] = [];
          clusters.forEach(([center, variants], c) => {
            items.push({ id: `c${c}`, pdq: center });
            variants.forEach((bits, v) => {
              const bytes = Buffer.from(center, 'hex');
              for (const bit of bits) bytes[bit >> 3] ^= 1 << (bit & 7);
              items.push({ id: `c${c}v${v}`, pdq: bytes.toString('hex') });
            });
          });
          const groups = await groupNearDuplicates(items, { threshold });
          expect(groups.flat().sort()).toEqual(items.map((i) => i.id).sort());
          expect(canonical(groups)).toEqual(canonical(naiveGroups(items, threshold)));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('agrees with brute force past the size where the search uses its substring tables', async () => {
    // 5 000 distinct hashes: above the index's threshold for building multi-index tables, so
    // the probing path is what is compared, not only the linear scan small sets get.
    let state = 12345;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const words: Uint32Array[] = [];
    const items: { id: string; pdq: string }[] = [];
    for (let i = 0; i < 5_000; i++) {
      const w = new Uint32Array(8);
      if (i % 3 === 1) {
        // A near copy of the previous hash: 0–40 bits flipped, so some pairs straddle 31.
        w.set(words[i - 1]);
        const flips = next() % 41;
        for (let f = 0; f < flips; f++) {
          const bit = next() % 256;
          w[bit >> 5] ^= 1 << (bit & 31);
        }
      } else for (let j = 0; j < 8; j++) w[j] = next();
      words.push(w);
      items.push({ id: String(i), pdq: Buffer.from(w.buffer).toString('hex') });
    }
    const popcount = (x: number) => {
      let v = x - ((x >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
    };
    const parent = items.map((_, i) => i);
    const find = (i: number): number => {
      let root = i;
      while (parent[root] !== root) root = parent[root];
      parent[i] = root;
      return root;
    };
    for (let i = 0; i < words.length; i++) {
      for (let j = i + 1; j < words.length; j++) {
        let d = 0;
        for (let k = 0; k < 8 && d <= 31; k++) d += popcount(words[i][k] ^ words[j][k]);
        if (d <= 31) parent[find(j)] = find(i);
      }
    }
    const expected = new Map<number, string[]>();
    for (const [i, item] of items.entries()) expected.set(find(i), [...(expected.get(find(i)) ?? []), item.id]);
    const groups = await groupNearDuplicates(items);
    expect(groups.flat()).toHaveLength(items.length);
    expect(canonical(groups)).toEqual(canonical([...expected.values()]));
  });

  it('writes nothing to disk: no temporary folder is created', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'staydown-group-test-'));
    const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
    process.env.TMPDIR = process.env.TMP = process.env.TEMP = tmp;
    try {
      expect(os.tmpdir()).toBe(tmp);
      const items = Array.from({ length: 200 }, (_, i) => ({
        id: String(i),
        pdq: Buffer.alloc(32, i % 50).toString('hex'),
      }));
      const groups = await groupNearDuplicates(items);
      expect(groups.flat()).toHaveLength(200);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('rejects a malformed hash with INVALID_HASH naming the item', async () => {
    await expect(groupNearDuplicates([{ id: 'x', pdq: 'abc' }])).rejects.toMatchObject({
      code: 'INVALID_HASH',
      details: { id: 'x' },
    });
  });
});
