import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EntryInput, openIndex, prng } from '@staydown/index';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceAvailability } from '../conformance.js';

/**
 * The index against the reference MIH regression data: every needle searched in the
 * haystack gives exactly the pairs of Meta's `mih-query` (matches-d31.tsv, matches-d63.tsv).
 * Run twice: on the haystack alone (small: linear scan) and with 20 000 random decoys added
 * (multi-index tables); random 256-bit hashes lie ~128 bits away, so the answer must not change.
 */

const data = conformanceAvailability('pdq');
const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-conf-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (file: string) =>
  readFileSync(path.join(data.dir, 'hashes', file), 'utf8')
    .trim()
    .split('\n');

function expectedPairs(file: string): string[] {
  return lines(file)
    .slice(1)
    .map((row) => row.split('\t').slice(0, 3).join(' '))
    .sort();
}

describe.skipIf(!data.available)(`PDQ matching conformance ${data.reason}`, () => {
  for (const decoys of [0, 20_000]) {
    it(`finds exactly the reference pairs at d≤31 and d≤63 (${decoys} decoys)`, async () => {
      const haystack = lines('haystack.txt');
      const needles = lines('needles.txt');
      const index = await openIndex(path.join(tmp, `db-${decoys}`));
      const entries: EntryInput[] = haystack.map((hash, i) => ({
        signal: 'pdq',
        hash,
        list: 'haystack',
        ref: String(i + 1),
      }));
      const rand = prng(31);
      for (let i = 0; i < decoys; i++) {
        let hex = '';
        for (let w = 0; w < 8; w++)
          hex += Math.floor(rand() * 2 ** 32)
            .toString(16)
            .padStart(8, '0');
        entries.push({ signal: 'pdq', hash: hex, list: 'decoys' });
      }
      index.add(entries);
      for (const [d, file] of [
        [31, 'matches-d31.tsv'],
        [63, 'matches-d63.tsv'],
      ] as const) {
        const results = index.searchBatch('pdq', needles, { maxDistance: d });
        const got = results.flatMap((r, n) => r.matches.map((m) => `${n + 1} ${m.ref} ${m.distance}`)).sort();
        expect(got).toEqual(expectedPairs(file));
      }
      if (decoys > 0) expect(index.stats().signals.pdq.substrings).toBeGreaterThan(0);
      await index.close();
    });
  }
});
