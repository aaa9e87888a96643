import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../conformance.js';

const CLI = path.join(repoRoot, 'workers', 'cli', 'bin', 'staydown.js');
const cliBuilt = existsSync(path.join(repoRoot, 'workers', 'cli', 'dist', 'main.js'));

/** The installed command as a user runs it, its output into a full disk (/dev/full) or a pipe closed early. */
describe.runIf(cliBuilt)('staydown output that cannot be written', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-output-'));
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, Array.from({ length: 50_000 }, (_, i) => i.toString(16).padStart(32, '0')).join('\n'));
    execFileSync(process.execPath, [CLI, 'index', 'import', '--db', 'db', '--signal', 'md5', list], { cwd: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(existsSync('/dev/full'))('a full disk: one clear WRITE_FAILED line, no stack trace, exit 1', () => {
    for (const args of [
      ['index', 'export'],
      ['index', 'stats', '--json'],
    ]) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [CLI, ...args, '--db', 'db'], {
          cwd: dir,
          stdio: ['ignore', full, 'pipe'],
          encoding: 'utf8',
        });
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(/ENOSPC.*\[WRITE_FAILED\]/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      } finally {
        closeSync(full);
      }
    }
  });

  it('a closed stderr does not turn a match (exit 3) into a crash', async () => {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } })
      .png()
      .toBuffer();
    writeFileSync(path.join(dir, 'known.png'), image);
    writeFileSync(path.join(dir, 'known.txt'), `${createHash('md5').update(image).digest('hex')}\n`);
    execFileSync(process.execPath, [CLI, 'index', 'import', '--db', 'db', '--signal', 'md5', 'known.txt'], {
      cwd: dir,
    });
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${CLI}" scan --db db known.png 2>&1 >/dev/null | true; exit \${PIPESTATUS[0]}`],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(3);
  });

  it('a reader that stops early: quiet, exit 0', () => {
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${CLI}" index export --db db | head -1; exit \${PIPESTATUS[0]}`],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(r.stdout).toBe('signal,hash,list,label,ref,added_at,source\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
