import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-cli-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function staydown(...args: string[]) {
  const io = memoryIo(tmp);
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

const P1 = '1'.repeat(64);
const P2 = '3'.repeat(64);
const M1 = 'a'.repeat(32);

describe('staydown index', () => {
  it('imports, reports bad lines with their numbers and exits 1, then is idempotent', async () => {
    writeFileSync(
      path.join(tmp, 'police.csv'),
      `signal,hash,list,label,ref\npdq,${P1},police,A,c1\npdq,123,police,A,c2\nmd5,${M1},police,B,c3\n`,
    );
    const first = await staydown('index', 'import', '--db', 'db1', 'police.csv');
    expect(first.code).toBe(1);
    expect(first.err).toContain('police.csv:3: pdq hash must be 64 hex digits');
    expect(first.out).toContain('police.csv: 2 added, 0 already present, 1 bad lines (csv)');
    const again = await staydown('index', 'import', '--db', 'db1', '--json', 'police.csv');
    expect(JSON.parse(again.out)).toMatchObject({ added: 0, existing: 2, rejected: 1 });
  });

  it('shows a progress bar on a terminal that ends writing what it read', async () => {
    writeFileSync(path.join(tmp, 'bar.txt'), `${P1}\n${P2}\n`);
    const io = memoryIo(tmp, true);
    expect(await main(['index', 'import', '--db', 'db-bar', 'bar.txt'], io)).toBe(0);
    expect(io.err()).toContain('reading');
    expect(io.err()).toMatch(/100% writing 2 lines, 2 added/);
    expect(io.out()).toContain('bar.txt: 2 added');
  });

  it('refuses the whole file under --strict', async () => {
    writeFileSync(path.join(tmp, 'bad.txt'), `${P1}\nnot-a-hash\n`);
    const r = await staydown('index', 'import', '--db', 'db2', '--strict', 'bad.txt');
    expect(r.code).toBe(1);
    expect(r.err).toContain('bad.txt:2:');
    expect(r.err).toContain('nothing imported');
    const stats = await staydown('index', 'stats', '--db', 'db2', '--json');
    expect(JSON.parse(stats.out).totalEntries).toBe(0);
    expect(typeof JSON.parse(stats.out).hugePages.enabled).toBe('boolean');
    // With --json, the refused file still gets its line, so a pipeline reading stdout sees it.
    const json = await staydown('index', 'import', '--db', 'db2', '--strict', '--json', 'bad.txt');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      file: 'bad.txt',
      added: 0,
      rejected: 1,
      errors: [{ line: 2, code: 'INVALID_HASH' }],
      error: { code: 'IMPORT_INVALID_LINE', message: expect.stringContaining('nothing imported') },
    });
  });

  it('exits 2 (usage) for a file of unknown format or an unknown signal, before touching the index', async () => {
    writeFileSync(path.join(tmp, 'list.weird'), `${P1}\n`);
    for (const args of [
      ['index', 'import', '--db', 'db-usage', 'list.weird'],
      ['index', 'export', '--db', 'db1', '--signal', 'nope'],
    ]) {
      const r = await staydown(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/\[USAGE\]/);
    }
    expect(existsSync(path.join(tmp, 'db-usage'))).toBe(false);
  });

  it('changes no index that does not exist: list commands on a mistyped --db create nothing', async () => {
    for (const args of [
      ['enable', 'police'],
      ['disable', 'police'],
      ['allow', 'police'],
      ['threshold', 'police', '20'],
      ['delete', 'police'],
    ]) {
      const r = await staydown('index', ...args, '--db', 'db-typo-write');
      expect(r.code, args[0]).toBe(1);
      expect(r.err).toMatch(/no index there \[INDEX_OPEN_FAILED\]/);
    }
    expect(existsSync(path.join(tmp, 'db-typo-write'))).toBe(false);
    const bad = await staydown('index', 'threshold', 'police', '20', '--signal', 'xyz', '--db', 'db1');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/\[USAGE\]/);
  });

  it('leaves no folder behind for a mistyped --db on a read-only command', async () => {
    for (const sub of ['stats', 'export', 'list']) {
      const r = await staydown('index', sub, '--db', 'db-typo');
      expect(r.code, sub).toBe(1);
      expect(r.err).toMatch(/no index there \[INDEX_OPEN_FAILED\]/);
    }
    expect(existsSync(path.join(tmp, 'db-typo'))).toBe(false);
  });

  it('manages lists: enable, disable, allow, threshold, delete; stats and list', async () => {
    writeFileSync(path.join(tmp, 'logos.txt'), `${P2}\n`);
    expect((await staydown('index', 'import', '--db', 'db1', '--list', 'logos', 'logos.txt')).code).toBe(0);
    expect((await staydown('index', 'allow', '--db', 'db1', 'logos')).code).toBe(0);
    expect((await staydown('index', 'threshold', '--db', 'db1', 'police', '20')).code).toBe(0);
    expect((await staydown('index', 'disable', '--db', 'db1', 'police')).code).toBe(0);
    const lists = (await staydown('index', 'list', '--db', 'db1', '--json')).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lists.map((l) => [l.name, l.enabled, l.allow, l.thresholds, l.counts])).toEqual([
      ['logos', true, true, {}, { pdq: 1 }],
      ['police', false, false, { pdq: 20 }, { md5: 1, pdq: 1 }],
    ]);
    expect((await staydown('index', 'enable', '--db', 'db1', 'police')).code).toBe(0);
    const stats = await staydown('index', 'stats', '--db', 'db1');
    expect(stats.out).toContain('3 entries in 2 lists');
    expect(stats.out).toMatch(/pdq\s+2 entries/);
    expect(stats.out).toMatch(/search tables on huge pages: (yes \(THP \w+\)|no \(.+\))\n/);
    expect((await staydown('index', 'disable', '--db', 'db1', 'nope')).code).toBe(1);
    expect((await staydown('index', 'threshold', '--db', 'db1', 'police', '999')).code).toBe(2);
    expect((await staydown('index', 'threshold', '--db', 'db1', 'police', 'x')).code).toBe(2);
    expect((await staydown('index', 'frobnicate', '--db', 'db1')).code).toBe(2);
    expect((await staydown('index', 'stats')).code).toBe(2);
    expect((await staydown('index', 'import', '--db', 'db1', '--format', 'xml', 'x.xml')).code).toBe(2);
    expect((await staydown('index', 'import', '--db', 'db1', '--signal', 'photodna', 'logos.txt')).code).toBe(2);
    expect((await staydown('index', 'stats', '--db', 'missing')).code).toBe(1);
  });

  it('exports in every format, and an exported CSV imports losslessly elsewhere', async () => {
    const csv = await staydown('index', 'export', '--db', 'db1', '--list', 'police');
    expect(csv.code).toBe(0);
    expect(csv.out.split('\n')[0]).toBe('signal,hash,list,label,ref,added_at,source');
    writeFileSync(path.join(tmp, 'exchange.csv'), csv.out);
    expect((await staydown('index', 'import', '--db', 'db3', 'exchange.csv')).code).toBe(0);
    expect((await staydown('index', 'export', '--db', 'db3')).out).toBe(csv.out);
    expect((await staydown('index', 'export', '--db', 'db1', '--format', 'hma')).out).toBe(
      `video_md5 ${M1}\npdq ${P1}\npdq ${P2}\n`,
    );
    expect((await staydown('index', 'export', '--db', 'db1', '--format', 'text', '--list', 'logos')).out).toBe(
      `${P2}\n`,
    );
    const jsonl = (await staydown('index', 'export', '--db', 'db1', '--format', 'jsonl')).out.trim().split('\n');
    expect(JSON.parse(jsonl[0])).toMatchObject({ signal: 'md5', hash: M1, list: 'police', label: 'B', ref: 'c3' });
  });

  it('prints help', async () => {
    const r = await staydown('index', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: staydown index');
  });
});
