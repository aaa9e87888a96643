import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import { describe, expect, it } from 'vitest';
import { conformanceAvailability } from '../conformance.js';

/** blockhash against the Commons Machinery reference hashes: all 34 (17 images × 2 methods). */

const data = conformanceAvailability('blockhash');

describe.skipIf(!data.available)(`blockhash conformance ${data.reason}`, () => {
  it('reproduces all 34 expected hashes exactly (method 1 = quick, method 2 = precise)', async () => {
    const rows = readFileSync(path.join(data.dir, 'expected.tsv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.length).toBe(34);
    const mismatches: string[] = [];
    for (const row of rows) {
      const [file, bits, method, hex] = row.split('\t');
      expect(bits).toBe('16');
      const h = await hashImage(readFileSync(path.join(data.dir, file)), {
        signals: ['blockhash'],
        blockhashMethod: method === '1' ? 'quick' : 'precise',
      });
      if (h.blockhash !== hex) mismatches.push(`${file} method ${method}: ${h.blockhash} != ${hex}`);
    }
    expect(mismatches).toEqual([]);
  });
});
