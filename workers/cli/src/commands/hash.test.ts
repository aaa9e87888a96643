import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';
import { CLI_SCRIPT, deepTree } from './fixtures.test-support.js';

async function run(args: string[], cwd: string) {
  const io = memoryIo(cwd);
  const code = await main(['hash', ...args], io);
  return { code, out: io.out(), err: io.err(), lines: () => io.out().trim().split('\n').filter(Boolean) };
}

function gradient(width: number, height: number, seed: number) {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data[i * 3] = (x * seed) & 255;
    data[i * 3 + 1] = (y * 3 + seed * 40) & 255;
    data[i * 3 + 2] = ((x ^ y) * seed) & 255;
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

describe('staydown hash', () => {
  let dir: string;
  let jpeg: Buffer;
  let png: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-hash-'));
    jpeg = await gradient(120, 90, 3).jpeg({ quality: 85 }).toBuffer();
    png = await gradient(80, 60, 5).png().toBuffer();
    mkdirSync(path.join(dir, 'set', 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'set', 'b.jpg'), jpeg);
    writeFileSync(path.join(dir, 'set', 'a-really-png.jpg'), png); // wrong extension: detected from bytes
    writeFileSync(path.join(dir, 'set', 'sub', 'c.png'), png);
    writeFileSync(path.join(dir, 'set', 'empty.jpg'), Buffer.alloc(0));
    writeFileSync(path.join(dir, 'set', 'notes.txt'), 'hello');
    writeFileSync(path.join(dir, 'set', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    writeFileSync(path.join(dir, 'one.jpg'), jpeg);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON line per file with only the requested signals', async () => {
    const r = await run(['--json', 'one.jpg'], dir);
    expect(r.code).toBe(0);
    const [line] = r.lines();
    const record = JSON.parse(line);
    const h = await hashImage(jpeg);
    expect(record).toEqual({
      path: 'one.jpg',
      pdq: h.pdq,
      quality: h.quality,
      blockhash: h.blockhash,
      md5: h.md5,
      sha1: h.sha1,
      sha256: h.sha256,
    });
    const some = JSON.parse((await run(['--json', '--signals', 'sha256,pdq', '--pdq', 'fullres', 'one.jpg'], dir)).out);
    expect(Object.keys(some).sort()).toEqual(['path', 'pdq', 'quality', 'sha256']);
    expect(some.pdq).toBe((await hashImage(jpeg, { pdq: 'fullres' })).pdq);
    const md5 = JSON.parse((await run(['--json', '--signals', 'md5', 'one.jpg'], dir)).out);
    expect(Object.keys(md5)).toEqual(['path', 'md5']);
  });

  it('adds the eight dihedral variants with --dihedral', async () => {
    const r = await run(['--json', '--signals', 'pdq', '--dihedral', 'one.jpg'], dir);
    const record = JSON.parse(r.out);
    expect(Object.keys(record.pdqDihedral)).toEqual([
      'orig',
      'rot90',
      'rot180',
      'rot270',
      'flipx',
      'flipy',
      'flipplus1',
      'flipminus1',
    ]);
    expect(record.pdqDihedral.orig).toBe(record.pdq);
  });

  it('walks folders in a stable order and reports each failed file without stopping', async () => {
    const r = await run(['--json', '--signals', 'sha256,pdq', 'set', 'missing.jpg'], dir);
    expect(r.code).toBe(1);
    const records = r.lines().map((l) => JSON.parse(l));
    expect(records.map((x) => x.path)).toEqual([
      path.join('set', 'a-really-png.jpg'),
      path.join('set', 'b.jpg'),
      path.join('set', 'empty.jpg'),
      path.join('set', 'notes.txt'),
      path.join('set', 'sub', 'c.png'),
      path.join('set', 'truncated.jpg'),
      'missing.jpg',
    ]);
    const byPath = Object.fromEntries(records.map((x) => [x.path, x]));
    expect(byPath[path.join('set', 'a-really-png.jpg')].pdq).toBe((await hashImage(png)).pdq);
    expect(byPath[path.join('set', 'empty.jpg')].error.code).toBe('EMPTY_INPUT');
    expect(byPath[path.join('set', 'notes.txt')].error.code).toBe('UNSUPPORTED_FORMAT');
    expect(byPath[path.join('set', 'truncated.jpg')].error.code).toBe('DECODE_FAILED');
    expect(byPath['missing.jpg'].error).toEqual({
      code: 'READ_FAILED',
      message: expect.stringContaining('missing.jpg'),
    });
    expect(Object.keys(byPath['missing.jpg'])).toEqual(['path', 'error']);
  });

  it('refuses what is not a regular file, in a folder or named, instead of hanging or filling memory', async () => {
    mkdirSync(path.join(dir, 'special'));
    writeFileSync(path.join(dir, 'special', 'a.png'), png);
    execFileSync('mkfifo', [path.join(dir, 'special', 'b-fifo.png')]);
    symlinkSync('/dev/zero', path.join(dir, 'special', 'c-zero.png'));
    const r = await run(['--json', '--signals', 'sha256', 'special', '/dev/zero'], dir);
    expect(r.code).toBe(1);
    const records = r.lines().map((l) => JSON.parse(l));
    expect(records.map((x) => [x.path, x.error?.code ?? 'hashed'])).toEqual([
      [path.join('special', 'a.png'), 'hashed'],
      [path.join('special', 'b-fifo.png'), 'READ_FAILED'], // was skipped without a word
      [path.join('special', 'c-zero.png'), 'READ_FAILED'], // was read until memory ran out
      ['/dev/zero', 'READ_FAILED'],
    ]);
    expect(records[1].error.message).toContain(path.join('special', 'b-fifo.png'));
  });

  it('walks a folder tree thousands of levels deep without running out of call stack', () => {
    // 1 900 levels (the path stays under PATH_MAX) on a small stack: the recursive walk
    // overflowed it, printed a stack trace and lost the files after it.
    const deep = deepTree(path.join(dir, 'deep'));
    writeFileSync(path.join(deep, 'bottom.png'), png);
    writeFileSync(path.join(dir, 'deep', 'top.png'), png);
    const out = spawnSync(
      process.execPath,
      ['--stack-size=200', CLI_SCRIPT, 'hash', '--json', '--signals', 'sha256', 'deep'],
      {
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const records = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((x) => path.basename(x.path))).toEqual(['bottom.png', 'top.png']);
  });

  it('prints a readable table without --json', async () => {
    const r = await run(['--signals', 'pdq,md5', 'one.jpg', 'missing.jpg'], dir);
    expect(r.code).toBe(1);
    const [header, row, error] = r.out.split('\n');
    expect(header).toMatch(/^pdq\s+qual\s+md5\s+path$/);
    const h = await hashImage(jpeg);
    expect(row).toContain(h.pdq);
    expect(row).toContain(h.md5);
    expect(row.endsWith('one.jpg')).toBe(true);
    expect(error).toMatch(/READ_FAILED.*missing\.jpg/);
    expect(r.err).toMatch(/1 file\(s\) hashed, 1 failed/);
  });

  it('exits 2 on usage errors', async () => {
    for (const args of [
      [],
      ['--json'],
      ['--bogus', 'one.jpg'],
      ['--signals', 'photodna', 'one.jpg'],
      ['--signals', '', 'one.jpg'],
      ['--pdq', 'turbo', 'one.jpg'],
      ['--signals', 'md5', '--dihedral', 'one.jpg'],
    ]) {
      const r = await run(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toBe('');
    }
    expect((await run(['--help'], dir)).code).toBe(0);
  });
});
