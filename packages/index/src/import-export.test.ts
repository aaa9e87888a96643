import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerSignal } from '@staydown/core';
import { afterAll, describe, expect, it } from 'vitest';
import { exportEntries } from './export.js';
import { type ListFormat, MAX_LINE_BYTES, readRows } from './formats.js';
import { openIndex } from './hash-index.js';
import { type ImportTimings, importFile } from './import.js';
import { prng, recordHex, syntheticRecords } from './test-data.js';

/** `n` random hashes of `words` × 32 bits, as lowercase hex. */
function randomHashes(seed: number, n: number, words: number): string[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: words }, () =>
      Math.floor(rand() * 2 ** 32)
        .toString(16)
        .padStart(8, '0'),
    ).join(''),
  );
}

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `db${n++}`);
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const P1 = '1'.repeat(64);
const P2 = '2'.repeat(64);
const M1 = 'a'.repeat(32);

async function exported(dir: string, format: ListFormat, list?: string): Promise<string> {
  const index = await openIndex(dir);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportEntries(index, out, { format, list });
  await index.close();
  return Buffer.concat(chunks).toString('utf8');
}

describe('import', () => {
  it('reads CSV with header aliases, reports bad lines by number and skips them', async () => {
    const dir = fresh();
    const csv = file(
      'police.csv',
      [
        'Signal Type,Hash,Bank,Grade,Case ID,notes',
        `pdq,${P1},police,A,case-1,ignored`,
        `md5,${M1.toUpperCase()},police,B,case-2,`,
        `pdq,${P1.slice(1)},police,A,case-3,`, // too short
        `sha512,${P1},police,A,case-4,`, // unknown signal
        `pdq,${'z'.repeat(64)},police,A,case-5,`, // not hex
        `pdq,${P2},,C,case-6,`, // no list: the file's name
      ].join('\n'),
    );
    const index = await openIndex(dir);
    const report = await importFile(index, csv);
    expect(report).toMatchObject({ format: 'csv', rows: 6, added: 3, rejected: 3 });
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([
      [4, 'INVALID_HASH'],
      [5, 'UNKNOWN_SIGNAL'],
      [6, 'INVALID_HASH'],
    ]);
    expect(index.search('md5', M1).matches).toMatchObject([{ list: 'police', label: 'B', ref: 'case-2' }]);
    expect(index.search('pdq', P2).matches).toMatchObject([{ list: 'police', label: 'C' }]);
    // Idempotent: the same file again adds nothing.
    expect(await importFile(index, csv)).toMatchObject({ added: 0, existing: 3 });
    await index.close();
  });

  it('numbers CSV rows by their last line across chunks: BOM, CRLF, blank lines, quoted newlines, bad records', async () => {
    const text = [
      '\uFEFFsignal,hash,list,label',
      `pdq,${P1},police,A`,
      '',
      `pdq,${P2},police,"two`,
      `lines, ""quoted"""`,
      `md5,${M1},bad"quote,B`,
      `pdq,${P1},partner,C`,
    ].join('\r\n');
    const rowsOf = async (chunk: number) => {
      const input = new PassThrough();
      const bytes = Buffer.from(text, 'utf8');
      for (let at = 0; at < bytes.length; at += chunk) input.write(bytes.subarray(at, at + chunk));
      input.end();
      const out: Array<[number, string]> = [];
      for await (const row of readRows(input, 'csv')) {
        out.push('error' in row ? [row.line, `error ${row.error.code}`] : [row.line, `${row.list} ${row.label}`]);
      }
      return out;
    };
    const expected = [
      [2, 'police A'],
      [5, 'police two\r\nlines, "quoted"'],
      [6, 'error IMPORT_INVALID_LINE'],
      [7, 'partner C'],
    ];
    for (const chunk of [1, 3, 7, 64 << 10]) expect(await rowsOf(chunk)).toEqual(expected);
  });

  it('reads JSONL, text (with --signal and --list) and HMA files', async () => {
    const dir = fresh();
    const index = await openIndex(dir);
    const jsonl = file('x.jsonl', `{"signal":"pdq","hash":"${P1}","list":"j","label":"A"}\nnot json\n[1]\n`);
    expect(await importFile(index, jsonl)).toMatchObject({ added: 1, rejected: 2 });
    // Keys and columns named like Object's own members are ignored like any unknown one.
    const odd = file(
      'odd.jsonl',
      `{"constructor":"x","__proto__":{"a":1},"toString":"y","Hash":"${P2}","list":"j","Label":"B"}\n`,
    );
    expect(await importFile(index, odd)).toMatchObject({ added: 1, rejected: 0 });
    const oddCsv = file('odd.csv', `constructor,hash,__proto__,list,valueOf\nx,${'e'.repeat(32)},y,j,z\n`);
    expect(await importFile(index, oddCsv, { signal: 'md5' })).toMatchObject({ added: 1, rejected: 0 });
    expect(index.search('pdq', P2).matches).toMatchObject([{ list: 'j', label: 'B' }]);
    const text = file('hashes.txt', `${M1}\n\n# a comment\n${M1.slice(2)}\n`);
    const r = await importFile(index, text, { signal: 'md5', list: 'regulator' });
    expect(r).toMatchObject({ added: 1, rejected: 1, errors: [{ line: 4 }] });
    const hma = file('bank.hma', `pdq ${P2}\nvideo_md5 ${M1}\n${P1}\nfoo bar baz\n`);
    expect(await importFile(index, hma, { list: 'hma-bank' })).toMatchObject({ added: 3, rejected: 1 });
    expect(index.search('md5', M1).matches.map((m) => m.list)).toEqual(['hma-bank', 'regulator']);
    await expect(importFile(index, file('list.bin', ''))).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
    await expect(importFile(index, path.join(tmp, 'missing.csv'))).rejects.toMatchObject({ code: 'READ_FAILED' });
    await index.close();
  });

  it('maps a CSV header whose columns name one field: the canonical column wins, else it is refused', async () => {
    const dir = fresh();
    const index = await openIndex(dir);
    // A row id beside the ref, a "type" beside the signal: Staydown's own column names win.
    const both = file('both.csv', `signal,type,hash,list,label,ref,id\npdq,image,${P1},L,lab,REF-1,17\n`);
    expect(await importFile(index, both)).toMatchObject({ added: 1, rejected: 0 });
    expect(index.search('pdq', P1).matches).toMatchObject([{ list: 'L', label: 'lab', ref: 'REF-1' }]);
    // Two aliases and no canonical column: neither silently replaces the other.
    const ambiguous = file('ambiguous.csv', `hash,list,category,grade\n${P2},L,x,y\n`);
    await expect(importFile(index, ambiguous)).rejects.toMatchObject({
      code: 'IMPORT_INVALID_HEADER',
      message: expect.stringContaining('"category" and "grade"'),
    });
    expect(index.search('pdq', P2).matches).toEqual([]);
    await index.close();
  });

  it('refuses a CSV file whose quoting the parser cannot recover from, rather than lose the rows after it', async () => {
    const index = await openIndex(fresh());
    const rows = [
      'signal,hash,list,label,ref',
      `pdq,${P1},L,"broken"x,r1`,
      `pdq,${P2},L,ok2,r2`,
      `md5,${M1},L,"ok3",r3`,
    ];
    await expect(importFile(index, file('broken.csv', rows.join('\n')))).rejects.toMatchObject({
      code: 'IMPORT_INVALID_LINE',
      message: expect.stringContaining('line 2'),
    });
    expect(index.stats().totalEntries).toBe(0);
    rows[1] = `pdq,${P1},L,"fixed ""quote""",r1`;
    expect(await importFile(index, file('fixed.csv', rows.join('\n')))).toMatchObject({ added: 3, rejected: 0 });
    await index.close();
  });

  it('reports a line longer than a list line may hold by its number and goes on; a CSV with one is refused', async () => {
    // Such a line (a binary or compressed file) was kept whole and copied again with every
    // chunk read: a 64 MB line took 27 s (text), 30 s (JSONL) and 58 s (CSV).
    const long = 'f'.repeat(3 * MAX_LINE_BYTES);
    const files: Array<[ListFormat, string]> = [
      ['text', `${P1}\n${long}\n${P2}\n`],
      ['hma', `pdq ${P1}\n${long}\npdq ${P2}`],
      ['jsonl', `{"signal":"pdq","hash":"${P1}","list":"L"}\n${long}\n{"signal":"pdq","hash":"${P2}","list":"L"}\n`],
    ];
    for (const [format, text] of files) {
      const index = await openIndex(fresh());
      const report = await importFile(index, file(`long.${format}`, text), { format, signal: 'pdq', list: 'L' });
      expect(report).toMatchObject({ added: 2, rejected: 1 });
      expect(report.errors).toMatchObject([{ line: 2, code: 'IMPORT_INVALID_LINE' }]);
      expect(report.errors[0].message).toContain(`${long.length} bytes`);
      expect(index.search('pdq', P2).matches).toHaveLength(1);
      await index.close();
    }
    const index = await openIndex(fresh());
    const csv = file('long.csv', `signal,hash,list\npdq,${P1},L\npdq,${long},L\npdq,${P2},L\n`);
    await expect(importFile(index, csv)).rejects.toMatchObject({
      code: 'IMPORT_INVALID_LINE',
      message: expect.stringContaining('line 3'),
    });
    // A quote left open on line 4 makes the rest of the file one field: reported where it
    // begins, not where csv-parse gave up (line 116 504 before), with LF or CRLF.
    for (const eol of ['\n', '\r\n']) {
      const open = file(
        'open.csv',
        [`signal,hash,label`, `pdq,${P1},ok`, '', `pdq,${P2},"`, ...Array(200_000).fill('abcdefgh')].join(eol),
      );
      await expect(importFile(index, open)).rejects.toMatchObject({
        code: 'IMPORT_INVALID_LINE',
        details: { line: 3 },
        message: expect.stringContaining('line 3: the record starting there (or after blank lines)'),
      });
    }
    expect(index.stats().totalEntries).toBe(0);
    await index.close();
  });

  it('refuses a line that is not UTF-8, or a JSON string that is not well-formed, instead of altering it', async () => {
    // Decoded, each bad byte became U+FFFD: "bad\xff\xfeL" was stored as list "bad��L", and two
    // names differing only there would have become one list.
    const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x4c]); // "bad", two bytes no UTF-8 has, "L"
    const lines = (...parts: Array<string | Buffer>) => Buffer.concat(parts.map((p) => Buffer.from(p)));
    const files: Array<[ListFormat, Buffer, number]> = [
      [
        'csv',
        lines('signal,hash,list,label\n', `pdq,${P1},L,ok\n`, `pdq,${P2},`, bad, ',x\n', `md5,${M1},L,"é ok"\n`),
        3,
      ],
      ['csv', lines('signal,hash,list,label\n', `pdq,${P1},L,"two\nlines `, bad, '"\n', `pdq,${P2},L,ok\n`), 3],
      [
        'jsonl',
        lines(`{"signal":"pdq","hash":"${P1}","list":"L"}\n{"signal":"pdq","hash":"${P2}","list":"`, bad, '"}\n'),
        2,
      ],
      [
        'jsonl',
        lines(
          `{"signal":"pdq","hash":"${P1}","list":"L"}\n{"signal":"pdq","hash":"${P2}","list":"L","label":"\\ud83d"}\n`,
        ),
        2,
      ],
      // Many chunks before the bad row; and a bad last row with no newline after it.
      ['csv', lines('signal,hash,list\n', `pdq,${P1},L\n`.repeat(100_000), `pdq,${P2},`, bad, '\n'), 100_002],
      ['csv', lines('signal,hash,list\n', `pdq,${P1},L\n`, `pdq,${P2},`, bad), 3],
      ['hma', lines(`pdq ${P1}\n`, 'pdq ', bad, '\n'), 2],
      ['text', lines(`${P1}\n`, bad, '\n'), 2],
    ];
    for (const [format, bytes, badLine] of files) {
      const index = await openIndex(fresh());
      const where = path.join(tmp, `utf8.${format}`);
      writeFileSync(where, bytes);
      const report = await importFile(index, where, { format, signal: 'pdq', list: 'L' });
      expect(report.errors, `${format} ${bytes}`).toMatchObject([{ line: badLine, code: 'IMPORT_INVALID_LINE' }]);
      expect(index.lists().map((l) => l.name)).toEqual(['L']);
      await index.close();
    }
  });

  it('reads HMA signal types named like Object members as unknown signals', async () => {
    const index = await openIndex(fresh());
    const hma = file('odd.hma', `constructor ${P1}\n__proto__ ${P1}\ntoString ${P1}\npdq ${P2}\n`);
    const report = await importFile(index, hma, { list: 'bank' });
    expect(report).toMatchObject({ added: 1, rejected: 3 });
    expect(report.errors.map((e) => e.code)).toEqual(['UNKNOWN_SIGNAL', 'UNKNOWN_SIGNAL', 'UNKNOWN_SIGNAL']);
    await index.close();
  });

  it('writes nothing under strict when any line is bad', async () => {
    const dir = fresh();
    const index = await openIndex(dir);
    const text = file('strict.txt', `${P1}\n${P2}\nnope\n`);
    await expect(importFile(index, text, { strict: true })).rejects.toMatchObject({
      code: 'IMPORT_INVALID_LINE',
      details: { rejected: 1, errors: [{ line: 3 }] },
    });
    expect(index.stats().totalEntries).toBe(0);
    expect(await importFile(index, file('ok.txt', `${P1}\n`), { strict: true })).toMatchObject({ added: 1 });
    await index.close();
  });
});

describe('export', () => {
  it('round-trips CSV and JSONL losslessly between two indexes', async () => {
    const a = fresh();
    const index = await openIndex(a);
    index.add([
      {
        signal: 'pdq',
        hash: P1,
        list: 'police',
        label: 'A, "quoted"',
        ref: 'case-1',
        addedAt: '2024-01-02T03:04:05.678Z',
      },
      { signal: 'pdq', hash: P1, list: 'partner', label: null, ref: null, source: 'partner feed' },
      { signal: 'md5', hash: M1, list: 'police', label: 'B\nmultiline', ref: 'case-2' },
      // Whitespace at either end of a value is part of it (an unquoted CSV field is trimmed).
      { signal: 'md5', hash: 'b'.repeat(32), list: ' Partner A ', label: ' ', ref: '\tcase-3 ', source: 'feed ' },
    ]);
    await index.close();
    for (const format of ['csv', 'jsonl'] as const) {
      const first = await exported(a, format);
      const b = fresh();
      const other = await openIndex(b);
      expect(await importFile(other, file(`exchange.${format}`, first))).toMatchObject({ added: 4, rejected: 0 });
      expect(other.search('md5', 'b'.repeat(32)).matches).toMatchObject([
        { list: ' Partner A ', label: ' ', ref: '\tcase-3 ' },
      ]);
      await other.close();
      expect(await exported(b, format)).toBe(first);
    }
    expect((await exported(a, 'csv', 'partner')).trim().split('\n')).toHaveLength(2);
  });

  it('stops with WRITE_FAILED, not a hang, when the output closes mid-export', async () => {
    const dir = fresh();
    const index = await openIndex(dir);
    index.add(
      Array.from({ length: 5000 }, (_, i) => ({ signal: 'md5', hash: i.toString(16).padStart(32, '0'), list: 'l' })),
    );
    const out = new PassThrough({ highWaterMark: 64 });
    out.once('data', () => out.destroy()); // the reader goes away after its first chunk
    await expect(exportEntries(index, out, { format: 'jsonl' })).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    await index.close();
  });

  it('writes HMA local files and text lists with each hash once', async () => {
    const dir = fresh();
    const index = await openIndex(dir);
    index.add([
      { signal: 'pdq', hash: P1, list: 'a' },
      { signal: 'pdq', hash: P1, list: 'b' },
      { signal: 'md5', hash: M1, list: 'a' },
    ]);
    await index.close();
    expect(await exported(dir, 'hma')).toBe(`video_md5 ${M1}\npdq ${P1}\n`);
    expect(await exported(dir, 'text')).toBe(`${P1}\n`);
    // And back: the HMA file imports to the same hashes.
    const back = await openIndex(fresh());
    expect(await importFile(back, file('back.hma', await exported(dir, 'hma')))).toMatchObject({ added: 2 });
    await back.close();
  });
});

describe('crash safety', () => {
  it.each([
    { how: 'sorted in memory', memoryEntries: undefined },
    { how: 'partitioned to files', memoryEntries: 5000 },
  ])('leaves whole batches after kill -9 mid-import ($how), and a rerun completes it', async ({ memoryEntries }) => {
    const distEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
    expect(existsSync(distEntry), 'build @staydown/index first').toBe(true);
    const count = 60_000;
    const rand = prng(99);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      let hex = '';
      for (let w = 0; w < 8; w++)
        hex += Math.floor(rand() * 2 ** 32)
          .toString(16)
          .padStart(8, '0');
      lines.push(hex);
    }
    const list = file('big.txt', `${lines.join('\n')}\n`);
    const dir = fresh();
    // Small batches: a large import hands them all to its writer thread at once, and the kill
    // must land while that thread is still committing them.
    const batchSize = 250;
    const script = `
      const { openIndex, importFile } = await import(${JSON.stringify(pathToFileURL(distEntry).href)});
      const index = await openIndex(${JSON.stringify(dir)});
      await importFile(index, ${JSON.stringify(list)}, { batchSize: ${batchSize}, memoryEntries: ${memoryEntries},
        onProgress: (p) => p.phase === 'write' && console.log('committed', p.added) });
      console.log('done');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let commits = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        commits += (chunk.toString().match(/committed/g) ?? []).length;
        if (commits >= 3 && child.exitCode === null) child.kill('SIGKILL');
        if (chunk.toString().includes('done')) reject(new Error('import finished before it could be killed'));
      });
      child.on('exit', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');
    // A partitioned import leaves its files behind; the next import (of any size) removes them.
    const partitions = path.join(dir, 'import-partitions');
    expect(existsSync(partitions)).toBe(memoryEntries !== undefined);

    const index = await openIndex(dir);
    const committed = index.stats().totalEntries;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(count);
    expect(committed % batchSize).toBe(0); // whole batches only
    const stored = new Set([...index.entries()].map((e) => e.hash));
    expect(stored.size).toBe(committed);
    for (let q = 0; q < 20; q++) {
      const i = Math.floor(rand() * count);
      const found = index.search('pdq', lines[i], { maxDistance: 0 }).matches.length;
      expect(found).toBe(stored.has(lines[i]) ? 1 : 0);
    }
    const rerun = await importFile(index, list);
    expect(existsSync(partitions)).toBe(false);
    expect(rerun).toMatchObject({ added: count - committed, existing: committed, rejected: 0 });
    expect(index.stats().totalEntries).toBe(count);
    expect(index.search('pdq', lines[count - 1], { maxDistance: 0 }).matches).toHaveLength(1);
    await index.close();
    expect(readFileSync(list, 'utf8').length).toBeGreaterThan(0);
  });

  it('updates the search tables from the imported hashes to what a rebuild from the store gives', async () => {
    const records = syntheticRecords({ count: 6000, seed: 11, clustered: 0.5, maxFlips: 3 });
    const hex = Array.from({ length: 6000 }, (_, i) => recordHex(records, i));
    // Overlaps: B repeats part of A (same hashes, other list) and itself; C re-imports into A.
    const a = file('inc-a.txt', `${hex.slice(0, 3000).join('\n')}\n`);
    const b = file('inc-b.txt', `${[...hex.slice(2000, 4500), ...hex.slice(4000, 4200)].join('\n')}\n`);
    const c = file('inc-c.txt', `${[...hex.slice(4500), ...hex.slice(0, 100)].join('\n')}\n`);
    const dir = fresh();
    const tablesOf = async (index: Awaited<ReturnType<typeof openIndex>>) => {
      const hashes = new Set<string>();
      const matches = new Set<string>();
      for (const q of [hex[0], hex[2500], hex[5999]]) {
        for (const m of index.search('pdq', q, { maxDistance: 256 }).matches) {
          hashes.add(m.hash);
          matches.add(`${m.hash} ${m.list} ${m.label} ${m.ref}`);
        }
      }
      return {
        size: index.stats().signals.pdq.indexedHashes,
        hashes: [...hashes].sort(),
        matches: [...matches].sort(),
      };
    };
    let index = await openIndex(dir);
    await importFile(index, a); // from an empty signal
    index.search('pdq', hex[0]); // tables loaded in memory
    index.add(hex.slice(5900).map((hash) => ({ signal: 'pdq', hash, list: 'api' }))); // and a delta beside them
    await importFile(index, b, { batchSize: 700 }); // from the loaded tables, several batches
    await index.close();
    index = await openIndex(dir);
    await importFile(index, c, { list: 'inc-a' }); // from the snapshot on disk
    const incremental = await tablesOf(index);
    await index.close();

    const rebuilt = await openIndex(dir, { snapshots: false });
    const expected = await tablesOf(rebuilt);
    const distinct = new Set([...rebuilt.entries({ signal: 'pdq' })].map((e) => e.hash)).size;
    await rebuilt.close();
    expect(expected.size).toBe(distinct);
    expect(incremental.size).toBe(distinct);
    expect(incremental.hashes).toEqual(expected.hashes);
    expect(incremental.matches).toEqual(expected.matches);
    expect(incremental.hashes).toHaveLength(distinct);
    // The snapshot written after the import is the same set too.
    const reopened = await openIndex(dir, { readOnly: true });
    expect(await tablesOf(reopened)).toEqual(expected);
    await reopened.close();
  });
  it('hashes added while a large import writes on its thread are searched, as a rebuild finds them', async () => {
    const records = syntheticRecords({ count: 6000, seed: 21, clustered: 0.5, maxFlips: 3 });
    const hex = Array.from({ length: 6000 }, (_, i) => recordHex(records, i));
    const list = file('during.txt', `${hex.slice(0, 5000).join('\n')}\n`);
    const dir = fresh();
    const index = await openIndex(dir);
    index.add([{ signal: 'pdq', hash: hex[5999], list: 'api' }]);
    index.search('pdq', hex[5999]); // tables loaded, so adds update them
    // Each add lands between two of the import's batches: after one is committed, while the
    // writer thread goes on with the next. Tiny batches keep most of them on their way while
    // the import builds its tables, so adds also land after that.
    let k = 5000;
    let events = 0;
    await importFile(index, list, {
      memoryEntries: 1000,
      batchSize: 10,
      onProgress: (p) => {
        if (p.phase === 'write' && ++events % 10 === 0 && k < 5040) {
          index.add([{ signal: 'pdq', hash: hex[k], list: 'api', label: `added-${k}` }]);
          k++;
        }
      },
    });
    expect(k).toBe(5040);
    const answers = (ix: Awaited<ReturnType<typeof openIndex>>) =>
      [0, 2500, 4999, 5000, 5020, 5039, 5999].flatMap((k) =>
        ix
          .search('pdq', hex[k], { maxDistance: 24 })
          .matches.map((m) => `${m.hash} ${m.list} ${m.label} ${m.distance}`),
      );
    const got = answers(index);
    await index.close();
    const rebuilt = await openIndex(dir, { snapshots: false, readOnly: true });
    expect(got).toEqual(answers(rebuilt));
    expect(got.filter((a) => a.includes(' api added-'))).not.toHaveLength(0);
    await rebuilt.close();
  });

  it('refuses to import into an index opened read-only, or closed, however large the file', async () => {
    const list = file(
      'refused.txt',
      `${Array.from({ length: 40 }, (_, i) => recordHex(syntheticRecords({ count: 1, seed: i + 1 }), 0)).join('\n')}\n`,
    );
    const dir = fresh();
    await (await openIndex(dir)).close();
    for (const memoryEntries of [100_000, 5]) {
      const readOnly = await openIndex(dir, { readOnly: true });
      await expect(importFile(readOnly, list, { memoryEntries })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      await readOnly.close();
      await expect(importFile(readOnly, list, { memoryEntries })).rejects.toMatchObject({ code: 'INDEX_CLOSED' });
    }
    const index = await openIndex(dir, { readOnly: true });
    expect(index.stats().totalEntries).toBe(0);
    await index.close();
  });

  it('two large imports at once into one index keep their partitions and entries apart', async () => {
    const md5s = randomHashes(8, 600, 4);
    const pdqs = Array.from({ length: 600 }, (_, i) => recordHex(syntheticRecords({ count: 1, seed: 500 + i }), 0));
    const a = file('alpha.txt', `${pdqs.join('\n')}\n`);
    const b = file('beta.csv', `signal,hash,list,label\n${md5s.map((h) => `md5,${h},beta,B`).join('\n')}\n`);
    for (let round = 0; round < 3; round++) {
      const dir = fresh();
      const index = await openIndex(dir);
      // Started in the same millisecond: their partition folders must still differ.
      const reports = await Promise.all([
        importFile(index, a, { memoryEntries: 100 }),
        importFile(index, b, { memoryEntries: 100 }),
      ]);
      expect(reports.map((r) => [r.added, r.rejected])).toEqual([
        [new Set(pdqs).size, 0],
        [600, 0],
      ]);
      const stored = [...index.entries()];
      expect(stored.filter((e) => e.signal === 'pdq').every((e) => e.list === 'alpha' && e.hash.length === 64)).toBe(
        true,
      );
      expect(stored.filter((e) => e.signal === 'md5').every((e) => e.list === 'beta' && e.label === 'B')).toBe(true);
      expect(existsSync(path.join(dir, 'import-partitions'))).toBe(false);
      await index.close();
    }
  });

  it('starts its writer thread in a process run with V8 options, from a file or from -e', async () => {
    const distEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
    const lines = Array.from({ length: 300 }, (_, i) => recordHex(syntheticRecords({ count: 1, seed: 900 + i }), 0));
    const list = file('flags.txt', `${lines.join('\n')}\n`);
    const added = `added ${new Set(lines).size}\n`;
    const script = (dir: string) => `
      const { openIndex, importFile } = await import(${JSON.stringify(pathToFileURL(distEntry).href)});
      const index = await openIndex(${JSON.stringify(dir)});
      const report = await importFile(index, ${JSON.stringify(list)}, { memoryEntries: 50 });
      await index.close();
      console.log('added', report.added);`;
    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
        });
        child.stderr.on('data', (d: Buffer) => {
          out += d;
        });
        child.on('error', reject);
        child.on('exit', () => resolve(out));
      });
    const viaFile = file('flags-run.mjs', script(fresh()));
    expect(await run(['--max-old-space-size=512', '--expose-gc', viaFile])).toBe(added);
    expect(await run(['--max-old-space-size=512', '--input-type=module', '-e', script(fresh())])).toBe(added);
  });

  it('stops writing when the index is closed during a large import', async () => {
    const lines = randomHashes(13, 20_000, 8);
    const list = file('closing.txt', `${lines.join('\n')}\n`);
    const dir = fresh();
    const index = await openIndex(dir);
    let events = 0;
    let closing: Promise<void> | undefined;
    await expect(
      importFile(index, list, {
        memoryEntries: 1000,
        batchSize: 50,
        onProgress: (p) => {
          if (p.phase === 'write' && ++events === 3) closing = index.close();
        },
      }),
    ).rejects.toMatchObject({
      code: 'INDEX_CLOSED',
      message: expect.stringMatching(/stopped after at least \d+ added/),
    });
    await closing;
    const reopened = await openIndex(dir, { readOnly: true });
    const stored = reopened.stats().totalEntries;
    expect(stored % 50).toBe(0); // whole batches
    expect(stored).toBeLessThan(20_000);
    await reopened.close();
  });

  it('reports a hash the import cannot keep as a bad line and goes on', async () => {
    // A registered signal of 100 bits: 25 hex digits, not whole bytes.
    registerSignal({
      name: 'test100',
      bits: 100,
      kind: 'exact',
      defaultThreshold: 0,
      normalize: (hex) => hex.trim().toLowerCase(),
      distance: (a, b) => (a === b ? 0 : 1),
    });
    const csv = file(
      'odd.csv',
      [
        'signal,hash,list',
        `test100,${'a'.repeat(25)},x`,
        `md5,${'b'.repeat(32)},x`,
        `test100,${'c'.repeat(25)},x`,
      ].join('\n'),
    );
    const index = await openIndex(fresh());
    const report = await importFile(index, csv);
    expect(report).toMatchObject({ rows: 3, added: 1, rejected: 2 });
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([
      [2, 'INVALID_HASH'],
      [4, 'INVALID_HASH'],
    ]);
    await index.close();
  });

  it('reports phase timings that add up to no more than the whole, written here or on the writer thread', async () => {
    const list = file('timed.txt', `${randomHashes(17, 3000, 8).join('\n')}\n`);
    for (const memoryEntries of [100_000, 500]) {
      const index = await openIndex(fresh());
      let timings: ImportTimings | undefined;
      await importFile(index, list, { memoryEntries, batchSize: 200, onTimings: (t) => (timings = t) });
      await index.close();
      const t = timings as ImportTimings;
      for (const phase of [t.sort, t.write, t.tables]) expect(phase).toBeGreaterThanOrEqual(0);
      // Parsing is the rest of the total: never negative (a write counted as sorting too made it so).
      expect(t.sort + t.write + t.tables).toBeLessThanOrEqual(t.total);
    }
  });

  it('counts the batch written at a change of signal as write time only', async () => {
    // In memory, the md5 batch is written when the pdq rows begin: it was counted as sorting
    // too. Each write is made to take at least 200 ms, far more than sorting these rows.
    const md5 = randomHashes(19, 3000, 4).map((h) => `md5 ${h}`);
    const pdq = randomHashes(18, 300, 8).map((h) => `pdq ${h}`);
    const list = file('mixed.hma', `${[...pdq, ...md5].join('\n')}\n`);
    const index = await openIndex(fresh());
    const slowed = index as unknown as { writeBulk: (...args: unknown[]) => unknown };
    const writeBulk = slowed.writeBulk.bind(index);
    let writes = 0;
    slowed.writeBulk = (...args: unknown[]) => {
      writes++;
      const until = performance.now() + 200;
      while (performance.now() < until);
      return writeBulk(...args);
    };
    let timings: ImportTimings | undefined;
    await importFile(index, list, { batchSize: 100_000, onTimings: (t) => (timings = t) });
    await index.close();
    const t = timings as ImportTimings;
    expect(writes).toBe(2); // one batch per signal, the first at the change of signal
    expect(t.write).toBeGreaterThanOrEqual(0.4);
    expect(t.sort).toBeLessThan(0.2);
    expect(t.sort + t.write + t.tables).toBeLessThanOrEqual(t.total);
  });

  it('stores digests longer than a search record whole, in memory and through the writer thread', async () => {
    // A licensed or future digest of 512 bits: longer than the 32-byte records the import
    // keeps for search tables, so it travels to the writer beside them.
    registerSignal({
      name: 'test512',
      bits: 512,
      kind: 'exact',
      defaultThreshold: 0,
      normalize: (hex) => {
        const clean = hex.trim().toLowerCase();
        if (!/^[0-9a-f]{128}$/.test(clean)) throw Object.assign(new Error('bad'), { code: 'INVALID_HASH' });
        return clean;
      },
      distance: (a, b) => (a === b ? 0 : 1),
    });
    const digests = randomHashes(5, 300, 16);
    const list = file('long.txt', `${digests.join('\n')}\n`);
    for (const memoryEntries of [100_000, 50]) {
      const dir = fresh();
      const index = await openIndex(dir);
      const report = await importFile(index, list, { signal: 'test512', memoryEntries, batchSize: 64 });
      expect(report).toMatchObject({ rows: 300, added: 300, rejected: 0 });
      expect([...index.entries({ signal: 'test512' })].map((e) => e.hash)).toEqual(digests.slice().sort());
      expect(index.search('test512', digests[123]).matches).toMatchObject([{ hash: digests[123] }]);
      await index.close();
    }
  });

  it('a first import into an empty signal answers with every list and label of each hash, as a rebuild does', async () => {
    const records = syntheticRecords({ count: 5000, seed: 5, clustered: 0.5, maxFlips: 2 });
    const rand = prng(3);
    const lines = ['signal,hash,list,label,ref'];
    for (let i = 0; i < 8000; i++) {
      // Repeats within a list and across lists, with labels that differ between them.
      const k = Math.floor(rand() * 5000);
      const list = ['police', 'hotline', 'partner'][Math.floor(rand() * 3)];
      lines.push(`pdq,${recordHex(records, k)},${list},grade-${k % 4},case-${k}`);
    }
    const csv = file('first.csv', `${lines.join('\n')}\n`);
    const answers = (index: Awaited<ReturnType<typeof openIndex>>) =>
      [0, 1234, 4999].flatMap((k) =>
        index
          .search('pdq', recordHex(records, k), { maxDistance: 40 })
          .matches.map((m) => `${m.hash} ${m.list} ${m.label} ${m.ref} ${m.distance}`),
      );
    const dir = fresh();
    const index = await openIndex(dir);
    await importFile(index, csv, { memoryEntries: 3000 });
    const afterImport = answers(index);
    await index.close();
    const rebuilt = await openIndex(dir, { snapshots: false, readOnly: true });
    expect(afterImport).toEqual(answers(rebuilt));
    expect(afterImport.length).toBeGreaterThan(3);
    await rebuilt.close();
  });
});

describe('imports larger than what is sorted in memory', () => {
  const rows = () => {
    const rand = prng(7);
    const lines = ['signal,hash,list,label,ref'];
    for (let i = 0; i < 300; i++) {
      // Few distinct hashes and lists: many repeats of one hash+list, within a run and across.
      const hash = recordHex(syntheticRecords({ count: 1, seed: Math.floor(rand() * 40) + 1 }), 0);
      const list = ['police', 'hotline', 'partner'][Math.floor(rand() * 3)];
      lines.push(`pdq,${hash},${list},grade-${i % 5},case-${i}`);
      if (i % 7 === 0) lines.push(`md5,${M1.slice(0, 30)}${(i % 16).toString(16)}${i % 10},${list},B,case-${i}`);
    }
    return `${lines.join('\n')}\n`;
  };
  const stored = (dir: string) =>
    exported(dir, 'jsonl').then((text) =>
      text
        .trim()
        .split('\n')
        .map((l) => {
          const { added_at: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return rest;
        }),
    );

  it('stores and reports what an in-memory import does: first of equal hash+list wins, files removed', async () => {
    const csv = file('runs.csv', rows());
    const [inMemory, spilled] = [fresh(), fresh()];
    const a = await openIndex(inMemory);
    const one = await importFile(a, csv);
    await a.close();
    const b = await openIndex(spilled);
    const many = await importFile(b, csv, { memoryEntries: 17, batchSize: 5 });
    expect(existsSync(path.join(spilled, 'import-partitions'))).toBe(false);
    expect(many).toEqual(one);
    expect(many.existing).toBeGreaterThan(0);
    // Search tables updated from the import equal the store's content.
    const hash = recordHex(syntheticRecords({ count: 1, seed: 1 }), 0);
    expect(b.search('pdq', hash, { maxDistance: 0 }).matches.length).toBe(
      (await stored(inMemory)).filter((e) => e.hash === hash).length,
    );
    await b.close();
    expect(await stored(spilled)).toEqual(await stored(inMemory));
    const labels = new Map<string, unknown>();
    for (const line of rows().trim().split('\n').slice(1)) {
      const [signal, hash, list, label] = line.split(',');
      const key = `${signal} ${hash} ${list}`;
      if (!labels.has(key)) labels.set(key, label);
    }
    for (const e of await stored(spilled)) expect(e.label).toBe(labels.get(`${e.signal} ${e.hash} ${e.list}`));
  });

  it('refuses memory and batch sizes that are not positive integers', async () => {
    const index = await openIndex(fresh());
    const csv = file('sizes.csv', rows());
    for (const bad of [{ memoryEntries: 0 }, { batchSize: -1 }, { memoryEntries: 1.5 }]) {
      await expect(importFile(index, csv, bad)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    }
    expect(index.stats().totalEntries).toBe(0);
    await index.close();
  });

  it('strict: a bad line after entries went to partition files writes nothing and leaves no files', async () => {
    const csv = file('runs-bad.csv', `${rows()}pdq,${'x'.repeat(64)},police,A,bad\n`);
    const dir = fresh();
    const index = await openIndex(dir);
    await expect(importFile(index, csv, { memoryEntries: 17, strict: true })).rejects.toMatchObject({
      code: 'IMPORT_INVALID_LINE',
    });
    expect(index.stats().totalEntries).toBe(0);
    expect(existsSync(path.join(dir, 'import-partitions'))).toBe(false);
    await index.close();
  });
});
