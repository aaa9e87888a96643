import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import { openIndex } from '@staydown/index';
import { syntheticImage } from '@staydown/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';
import { CLI_SCRIPT, deepTree } from './fixtures.test-support.js';
import { countFiles } from './scan.js';

async function scan(args: string[], cwd: string, isTTY = false) {
  const io = memoryIo(cwd, isTTY);
  const code = await main(['scan', ...args], io);
  const lines = io.out().split('\n').filter(Boolean);
  return { code, out: io.out(), err: io.err(), lines };
}

describe('staydown scan', () => {
  let dir: string;
  let known: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-scan-'));
    for (const sub of ['clean', 'mixed', 'broken']) mkdirSync(path.join(dir, sub));
    const knownBytes = await syntheticImage(11, { width: 240, height: 180 });
    known = path.join(dir, 'mixed', 'known.jpg');
    writeFileSync(known, knownBytes);
    writeFileSync(path.join(dir, 'mixed', 'corrupt.jpg'), Buffer.from('not an image at all'));
    writeFileSync(
      path.join(dir, 'mixed', 'other.png'),
      await syntheticImage(12, { width: 120, height: 90, format: 'png' }),
    );
    writeFileSync(path.join(dir, 'clean', 'a.jpg'), await syntheticImage(13, { width: 100, height: 100 }));
    writeFileSync(path.join(dir, 'clean', 'b.jpg'), await syntheticImage(14, { width: 100, height: 100 }));
    writeFileSync(path.join(dir, 'broken', 'c.jpg'), await syntheticImage(15, { width: 100, height: 100 }));
    writeFileSync(path.join(dir, 'broken', 'd.gif'), Buffer.from('GIF89a truncated'));
    const hashes = await hashImage(knownBytes);
    const index = await openIndex(path.join(dir, 'db'));
    index.add([{ signal: 'pdq', hash: hashes.pdq as string, list: 'known', label: 'series-7', ref: 'R-1' }]);
    await index.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one JSON line per file and exits 3 when a file matched, even with failures', async () => {
    const r = await scan(['--db', 'db', '--threads', '2', '--json', 'mixed'], dir);
    expect(r.code).toBe(3);
    const lines = r.lines.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    const byName = new Map(lines.map((l) => [path.basename(l.path), l]));
    const hit = byName.get('known.jpg');
    expect(Object.keys(hit).slice(0, 3)).toEqual(['path', 'pdq', 'quality']);
    expect(hit.path).toBe(known);
    expect(hit.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(hit.md5).toMatch(/^[0-9a-f]{32}$/);
    expect(hit.matches).toEqual([
      { list: 'known', label: 'series-7', ref: 'R-1', hash: hit.pdq, distance: 0, signal: 'pdq' },
    ]);
    expect(byName.get('other.png').matches).toEqual([]);
    expect(byName.get('corrupt.jpg')).toEqual({
      path: path.join(dir, 'mixed', 'corrupt.jpg'),
      error: expect.objectContaining({ code: 'UNSUPPORTED_FORMAT', message: expect.any(String) }),
    });
    expect(r.err).toMatch(/3 files, 1 matched, 1 failed, [\d.]+ images\/s/);
  });

  it('gives the same lines with two images in hand per thread (--images-per-thread 2)', async () => {
    const once = await scan(['--db', 'db', '--threads', '1', '--images-per-thread', '1', '--json', 'mixed'], dir);
    const paired = await scan(['--db', 'db', '--threads', '1', '--images-per-thread', '2', '--json', 'mixed'], dir);
    expect(paired.code).toBe(3);
    const sorted = (lines: string[]) => lines.map((l) => JSON.parse(l)).sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(sorted(paired.lines)).toEqual(sorted(once.lines));
  });

  it('walks a folder tree thousands of levels deep: every file out once, the match found, exit 3', () => {
    // 1 900 levels (the path stays under PATH_MAX) on a small stack: the recursive walk
    // overflowed it and the scan ended with a stack trace, exit 1 and files never reported.
    const deep = deepTree(path.join(dir, 'deep'));
    writeFileSync(path.join(deep, 'bottom.jpg'), readFileSync(known));
    writeFileSync(path.join(dir, 'deep', 'top.gif'), Buffer.from('GIF89a truncated'));
    const out = spawnSync(process.execPath, ['--stack-size=200', CLI_SCRIPT, 'scan', '--db', 'db', '--json', 'deep'], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    expect(out.stderr).not.toMatch(/RangeError|stack/i);
    expect(out.status).toBe(3);
    const records = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => x.path !== undefined);
    expect(records.map((x) => path.basename(x.path)).sort()).toEqual(['bottom.jpg', 'top.gif']);
    expect(records.find((x) => x.path.endsWith('bottom.jpg')).matches).toHaveLength(1);
  });

  it('exits 1 when nothing matched but a file failed, and 0 when everything hashed cleanly', async () => {
    const broken = await scan(['--db', path.join(dir, 'db'), 'broken'], dir);
    expect(broken.code).toBe(1);
    expect(broken.out).toBe('');
    expect(broken.err).toMatch(/d\.gif: .*\[(DECODE_FAILED|UNSUPPORTED_FORMAT)\]/);
    expect(broken.err).toMatch(/2 files, 0 matched, 1 failed/);
    const clean = await scan(['--db', 'db', '--pdq', 'fast', 'clean/a.jpg', 'clean/b.jpg'], dir);
    expect(clean.code).toBe(0);
    expect(clean.out).toBe('');
    expect(clean.err).toMatch(/2 files, 0 matched, 0 failed/);
  });

  it('prints matches as text without --json', async () => {
    const r = await scan(['--db', 'db', 'mixed/known.jpg'], dir);
    expect(r.code).toBe(3);
    expect(r.lines).toEqual([`${known}\tknown\tseries-7\tpdq\t0`]);
  });

  it('keeps one match on one line of five fields whatever the file is called', async () => {
    mkdirSync(path.join(dir, 'odd'));
    const odd = path.join(dir, 'odd', 'new\nline\tand\\slash.jpg');
    writeFileSync(odd, readFileSync(known));
    const r = await scan(['--db', 'db', 'odd'], dir);
    expect(r.code).toBe(3);
    expect(r.lines).toEqual([`${path.join(dir, 'odd')}/new\\nline\\tand\\\\slash.jpg\tknown\tseries-7\tpdq\t0`]);
    expect(r.lines[0].split('\t')).toHaveLength(5);
  });

  it('shows a progress bar with rate and ETA only on a terminal', async () => {
    const tty = await scan(['--db', 'db', 'clean'], dir, true);
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/img\/s \| ETA/);
    const pipe = await scan(['--db', 'db', 'clean'], dir, false);
    expect(pipe.err).not.toMatch(/ETA/);
  });

  it('counts for the progress bar what the scan will report: broken links yes, links to folders no', async () => {
    const links = path.join(dir, 'links');
    mkdirSync(links);
    writeFileSync(path.join(links, 'a.jpg'), 'x');
    symlinkSync(path.join(dir, 'clean'), path.join(links, 'folder-link'));
    symlinkSync(path.join(dir, 'gone.jpg'), path.join(links, 'broken.jpg'));
    symlinkSync(path.join(links, 'a.jpg'), path.join(links, 'file-link.jpg'));
    expect(await countFiles([links], new AbortController().signal)).toBe(3);
    const r = await scan(['--db', 'db', '--json', 'links'], dir);
    expect(r.lines).toHaveLength(3);
  });

  it('exits 2 on usage errors and documents the exit codes', async () => {
    for (const args of [
      ['mixed'],
      ['--db', 'db'],
      ['--db', 'db', '--pdq', 'slow', 'mixed'],
      ['--db', 'db', '--threads', 'many', 'mixed'],
      ['--db', 'db', '--threads', '0', 'mixed'],
      ['--db', 'db', '--threads', '100000', 'mixed'],
      ['--db', 'db', '--images-per-thread', '0', 'mixed'],
      ['--db', 'db', '--images-per-thread', '9', 'mixed'],
      ['--db', 'db', '--images-per-thread', 'two', 'mixed'],
      ['--db', 'db', '--bogus', 'mixed'],
    ]) {
      const r = await scan(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/\[USAGE\]/);
    }
    const help = await scan(['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/exit codes:\n\s+0\s.*\n\s+1\s.*\n\s+2\s+usage error\n\s+3\s+at least one file matched/);
  });

  it('fails with INDEX_OPEN_FAILED (exit 1) when the index is missing or unreadable', async () => {
    writeFileSync(path.join(dir, 'not-a-dir'), 'x');
    for (const db of ['not-a-dir', 'no-such-db']) {
      const r = await scan(['--db', db, 'clean'], dir);
      expect(r.code, db).toBe(1);
      expect(r.err).toMatch(/\[INDEX_OPEN_FAILED\]/);
    }
  });
});
