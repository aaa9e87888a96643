import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hexHammingDistance } from '@staydown/core';
import { DIHEDRAL_NAMES, hashImage, type PdqPipeline } from '@staydown/hashing';
import { describe, expect, it } from 'vitest';
import { conformanceAvailability } from '../conformance.js';

/**
 * Bit-exactness against Meta's reference C++ on its public test images: every hash at
 * distance 0 with equal quality, for both pipelines and all eight dihedral variants.
 */

const data = conformanceAvailability('pdq');

/** The one image where decoders legitimately differ (CMYK→RGB conversion). */
const CMYK_EXCEPTION = 'images/misc-images/modes/CMYK.jpg';
const CMYK_MAX_DISTANCE = 12;

function readTsv(name: string): string[][] {
  const lines = readFileSync(path.join(data.dir, name), 'utf8').trim().split('\n');
  return lines.slice(1).map((line) => line.split('\t'));
}

function distribution(distances: number[]): string {
  const counts = new Map<number, number>();
  for (const d of distances) counts.set(d, (counts.get(d) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, n]) => `d=${d}: ${n}`)
    .join(', ');
}

function checkRow(file: string, distance: number, quality: number, expectedQuality: number, label = file): void {
  if (file === CMYK_EXCEPTION) {
    expect(distance, `${label} (CMYK exception)`).toBeLessThanOrEqual(CMYK_MAX_DISTANCE);
  } else {
    expect(distance, label).toBe(0);
  }
  expect(quality, `${label} quality`).toBe(expectedQuality);
}

describe.skipIf(!data.available)(`PDQ conformance ${data.reason}`, () => {
  const pipelines: [PdqPipeline, string][] = [
    ['reference', 'expected.tsv'],
    ['fullres', 'expected-fullres.tsv'],
  ];
  for (const [pipeline, table] of pipelines) {
    it(`${pipeline}: every row of ${table} at distance 0 with equal quality (CMYK.jpg ≤ ${CMYK_MAX_DISTANCE})`, async () => {
      const rows = readTsv(table);
      expect(rows.length).toBe(45);
      const distances: number[] = [];
      for (const [file, hex, quality] of rows) {
        const h = await hashImage(readFileSync(path.join(data.dir, file)), { signals: ['pdq'], pdq: pipeline });
        const d = hexHammingDistance(h.pdq ?? '', hex);
        distances.push(d);
        checkRow(file, d, h.quality ?? -1, Number(quality));
      }
      console.log(`PDQ ${pipeline}: distance distribution over ${rows.length} images: ${distribution(distances)}`);
    });
  }

  it('reference: all eight dihedral variants of expected-dihedral.tsv', async () => {
    const rows = readTsv('expected-dihedral.tsv');
    expect(rows.length).toBe(45);
    const distances: number[] = [];
    for (const [file, quality, ...hashes] of rows) {
      const h = await hashImage(readFileSync(path.join(data.dir, file)), { signals: ['pdq'], dihedral: true });
      DIHEDRAL_NAMES.forEach((name, i) => {
        const d = hexHammingDistance(h.pdqDihedral?.[name] ?? '', hashes[i]);
        distances.push(d);
        checkRow(file, d, h.quality ?? -1, Number(quality), `${file} ${name}`);
      });
    }
    console.log(`PDQ dihedral: distance distribution over ${distances.length} hashes: ${distribution(distances)}`);
  });

  it('fast: close to reference on the conformance images (median ≤ 4, max ≤ 12)', async () => {
    const distances: number[] = [];
    for (const [file, hex] of readTsv('expected.tsv')) {
      const h = await hashImage(readFileSync(path.join(data.dir, file)), { signals: ['pdq'], pdq: 'fast' });
      distances.push(hexHammingDistance(h.pdq ?? '', hex));
    }
    const sorted = [...distances].sort((a, b) => a - b);
    console.log(`PDQ fast vs reference: ${distribution(distances)}`);
    expect(sorted[sorted.length >> 1]).toBeLessThanOrEqual(4);
    expect(sorted.at(-1)).toBeLessThanOrEqual(12);
  });
});
