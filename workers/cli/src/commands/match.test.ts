import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-cli-match-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function staydown(...args: string[]) {
  const io = memoryIo(tmp);
  const code = await main(args, io);
  const out = io.out();
  return {
    code,
    out,
    err: io.err(),
    json: () =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
  };
}

const base = 'f'.repeat(56);
const near = (bits: number) => base + ((1 << bits) - 1).toString(16).padStart(8, '0');
const H0 = near(0);

/** A synthetic test image (never real material): a colour gradient. */
async function syntheticImage(file: string): Promise<string> {
  const width = 96;
  const height = 64;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i % width) * 2;
    data[i * 3 + 1] = Math.floor(i / width) * 3;
    data[i * 3 + 2] = ((i % width) ^ Math.floor(i / width)) & 255;
  }
  const png = await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  writeFileSync(path.join(tmp, file), png);
  return file;
}

describe('staydown match', () => {
  let image: string;
  let imagePdq: string;
  beforeAll(async () => {
    image = await syntheticImage('gradient.png');
    const hashes = await hashImage(await sharp(path.join(tmp, image)).png().toBuffer());
    imagePdq = hashes.pdq!;
    writeFileSync(
      path.join(tmp, 'list.jsonl'),
      [
        { signal: 'pdq', hash: near(5), list: 'police', label: 'A', ref: 'case-1' },
        { signal: 'pdq', hash: near(25), list: 'partner', label: 'B', ref: 'case-2' },
        { signal: 'md5', hash: hashes.md5, list: 'police', label: 'C', ref: 'case-3' },
        { signal: 'pdq', hash: imagePdq, list: 'police', label: 'D', ref: 'case-4' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    expect((await staydown('index', 'import', '--db', 'db', 'list.jsonl')).code).toBe(0);
  });

  it('prints one JSON line per query, sorted by distance', async () => {
    const r = await staydown('match', '--db', 'db', '--json', H0, near(30));
    expect(r.code).toBe(0);
    const [a, b] = r.json();
    expect(a).toMatchObject({ query: H0, signal: 'pdq', suppressed: [] });
    expect(a.matches.map((m: { list: string; distance: number }) => [m.list, m.distance])).toEqual([
      ['police', 5],
      ['partner', 25],
    ]);
    expect(a.matches[0]).toMatchObject({ label: 'A', ref: 'case-1', hash: near(5) });
    expect(b.matches.map((m: { distance: number }) => m.distance)).toEqual([5, 25]);
  });

  it('honours --max-distance and --list, and reports a bad query without stopping', async () => {
    const r = await staydown('match', '--db', 'db', '--json', '--max-distance', '10', H0, 'xyz');
    expect(r.code).toBe(1);
    const [a, bad] = r.json();
    expect(a.matches).toHaveLength(1);
    expect(bad).toMatchObject({ query: 'xyz', error: { code: 'INVALID_HASH' } });
    const only = await staydown('match', '--db', 'db', '--json', '--list', 'partner', H0);
    expect(only.json()[0].matches.map((m: { list: string }) => m.list)).toEqual(['partner']);
    expect((await staydown('match', '--db', 'db', '--list', 'nope', H0)).code).toBe(1);
  });

  it('matches exact digests with --signal and prints a readable table without --json', async () => {
    const hashes = await hashImage(await sharp(path.join(tmp, image)).png().toBuffer());
    const r = await staydown('match', '--db', 'db', '--signal', 'md5', hashes.md5!);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${hashes.md5}: 1 match`);
    expect(r.out).toMatch(/police\tmd5 d=0\tC\tcase-3/);
  });

  it('hashes --file arguments with every signal and matches them', async () => {
    const r = await staydown('match', '--db', 'db', '--json', '--file', image, '--file', 'missing.png');
    expect(r.code).toBe(1);
    const [found, missing] = r.json();
    expect(found.matches.map((m: { signal: string; label: string }) => [m.signal, m.label]).sort()).toEqual([
      ['md5', 'C'],
      ['pdq', 'D'],
    ]);
    expect(missing.error.code).toBe('READ_FAILED');
  });

  it('refuses a --file that is not a regular file (a FIFO hung, /dev/zero filled memory)', async () => {
    const fifo = path.join(tmp, 'fifo.png');
    execFileSync('mkfifo', [fifo]);
    const r = await staydown('match', '--db', 'db', '--json', '--file', fifo, '--file', '/dev/zero');
    expect(r.code).toBe(1);
    expect(r.json().map((x: { error?: { code: string } }) => x.error?.code)).toEqual(['READ_FAILED', 'READ_FAILED']);
  });

  it('orders --file matches by distance, list and hash with --max-distance too', async () => {
    type Hit = { distance: number; list: string; hash: string; signal: string };
    const order = (a: Hit, b: Hit) =>
      a.distance - b.distance || a.list.localeCompare(b.list) || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);
    for (const extra of [[], ['--max-distance', '5']]) {
      const [found] = (await staydown('match', '--db', 'db', '--json', ...extra, '--file', image)).json();
      expect(found.matches.length, extra.join(' ')).toBeGreaterThan(1);
      expect(found.matches, extra.join(' ')).toEqual([...found.matches].sort(order));
    }
  });

  it('shows only the nearest --limit matches and how many there were', async () => {
    const [full] = (await staydown('match', '--db', 'db', '--json', H0)).json();
    expect(Object.keys(full)).toEqual(['query', 'signal', 'matches', 'suppressed', 'allowedBy']);
    const [one] = (await staydown('match', '--db', 'db', '--json', '--limit', '1', H0)).json();
    expect(one).toEqual({
      ...full,
      matches: full.matches.slice(0, 1),
      totals: { matches: 2, suppressed: 0, allowedBy: 0 },
    });
    const [counts] = (await staydown('match', '--db', 'db', '--json', '--limit', '0', '--file', image)).json();
    expect(counts).toMatchObject({ matches: [], totals: { matches: 2, suppressed: 0, allowedBy: 0 } });
    const table = await staydown('match', '--db', 'db', '--limit', '1', H0);
    expect(table.out).toContain(`${H0}: 2 matches`);
    expect(table.out).toMatch(/police\tpdq d=5/);
    expect(table.out).not.toContain('partner');
    expect(table.out).toContain('1 more not shown (--limit)');
  });

  it('shows allow-list suppression', async () => {
    writeFileSync(path.join(tmp, 'logos.txt'), `${H0}\n`);
    expect((await staydown('index', 'import', '--db', 'db', '--list', 'logos', 'logos.txt')).code).toBe(0);
    expect((await staydown('index', 'allow', '--db', 'db', 'logos')).code).toBe(0);
    const [r] = (await staydown('match', '--db', 'db', '--json', H0)).json();
    expect(r.matches).toEqual([]);
    expect(r.suppressed.map((m: { list: string }) => m.list)).toEqual(['police', 'partner']);
    expect(r.allowedBy).toMatchObject([{ list: 'logos', distance: 0 }]);
  });

  it('rejects usage errors with exit 2', async () => {
    expect((await staydown('match', '--db', 'db')).code).toBe(2);
    expect((await staydown('match', H0)).code).toBe(2);
    expect((await staydown('match', '--db', 'db', '--signal', 'nope', H0)).code).toBe(2);
    expect((await staydown('match', '--db', 'db', '--max-distance', '-3', H0)).code).toBe(2);
    expect((await staydown('match', '--db', 'db', '--max-distance', '999', H0)).code).toBe(2);
    expect((await staydown('match', '--db', 'db', '--limit', '-1', H0)).code).toBe(2);
    expect((await staydown('match', '--db', 'db', '--limit', 'all', H0)).code).toBe(2);
    expect((await staydown('match', '--help')).out).toContain('exit codes');
  });
});
