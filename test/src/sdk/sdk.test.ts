import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createScanner,
  ErrorCodes,
  groupNearDuplicates,
  hashImage,
  isStaydownError,
  openIndex,
  type ScanInput,
  type ScanResult,
} from '@staydown/sdk';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../conformance.js';
import { syntheticImage } from '../scanner/synthetic.js';

const sdkDir = path.join(repoRoot, 'packages', 'sdk');
const run = promisify(execFile);

describe('@staydown/sdk as an outside project uses it', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-sdk-'));
    mkdirSync(path.join(dir, 'inbox'));
    const reported = await syntheticImage(900, { width: 400, height: 300 });
    writeFileSync(path.join(dir, 'inbox', 'report-1.jpg'), reported);
    writeFileSync(
      path.join(dir, 'inbox', 'report-2.jpg'),
      await sharp(reported).resize(300).jpeg({ quality: 60 }).toBuffer(),
    );
    writeFileSync(
      path.join(dir, 'inbox', 'unrelated.png'),
      await syntheticImage(901, { width: 200, height: 200, format: 'png' }),
    );
    writeFileSync(path.join(dir, 'inbox', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 1, 2, 3]));
    const index = await openIndex(path.join(dir, 'lists'));
    const { pdq } = await hashImage(reported);
    index.add([{ signal: 'pdq', hash: pdq as string, list: 'known', label: 'series-3', ref: 'K-77' }]);
    await index.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves through the package exports to the built dist', () => {
    expect(fileURLToPath(import.meta.resolve('@staydown/sdk'))).toBe(path.join(sdkDir, 'dist', 'index.js'));
  });

  it('runs the README example verbatim from a project that only has @staydown/sdk installed', async () => {
    const example = readFileSync(path.join(sdkDir, 'examples', 'triage.mjs'), 'utf8');
    expect(readFileSync(path.join(sdkDir, 'README.md'), 'utf8')).toContain(`\`\`\`js\n${example}\`\`\``);
    const project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'node_modules', '@staydown'), { recursive: true });
    symlinkSync(sdkDir, path.join(project, 'node_modules', '@staydown', 'sdk'), 'dir');
    writeFileSync(path.join(project, 'package.json'), '{"type":"module","private":true}');
    copyFileSync(path.join(sdkDir, 'examples', 'triage.mjs'), path.join(project, 'triage.mjs'));
    const { stdout } = await run(
      process.execPath,
      ['triage.mjs', path.join(dir, 'lists'), path.join(dir, 'inbox'), '2'],
      {
        cwd: project,
      },
    );
    const lines = stdout.trim().split('\n').sort();
    const inbox = path.join(dir, 'inbox');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^FAILED  ${inbox}/broken.jpg DECODE_FAILED: `));
    expect(lines[1]).toBe(`MATCH   ${inbox}/report-1.jpg list=known label=series-3 pdq distance=0`);
    expect(lines[2]).toMatch(new RegExp(`^MATCH   ${inbox}/report-2.jpg list=known label=series-3 pdq distance=\\d+$`));
    // The resized re-post is grouped with the original; the unrelated picture is alone (not printed).
    expect(lines[3].split(' ').slice(1).filter(Boolean).sort()).toEqual([
      `${inbox}/report-1.jpg`,
      `${inbox}/report-2.jpg`,
    ]);
    expect(lines[3]).toMatch(/^SAME {4}/);
  });

  it('scans buffers and async iterables with typed results, and cancels with ABORTED', async () => {
    const index = await openIndex(path.join(dir, 'lists'), { readOnly: true });
    const scanner = createScanner({ index, threads: 2 });
    try {
      const bytes = readFileSync(path.join(dir, 'inbox', 'report-1.jpg'));
      const fromBuffers: ScanResult[] = [];
      for await (const r of scanner.scanBuffers([bytes, Buffer.from('nope')])) fromBuffers.push(r);
      fromBuffers.sort((a, b) => a.id.localeCompare(b.id));
      expect(fromBuffers[0]).toMatchObject({ id: '0', matches: [{ list: 'known', ref: 'K-77', distance: 0 }] });
      expect(fromBuffers[1].error?.code).toBe(ErrorCodes.UNSUPPORTED_FORMAT);

      async function* crawler(): AsyncGenerator<ScanInput> {
        for (let i = 0; i < 50; i++) yield { id: `url-${i}`, bytes };
      }
      const controller = new AbortController();
      let seen = 0;
      try {
        for await (const r of scanner.scan(crawler(), { signal: controller.signal })) {
          expect(r.id).toMatch(/^url-/);
          if (++seen === 3) controller.abort();
        }
        expect.unreachable('the scan should throw ABORTED');
      } catch (error) {
        expect(isStaydownError(error, ErrorCodes.ABORTED)).toBe(true);
      }
    } finally {
      await scanner.close();
      await index.close();
    }
  });

  it('groups near-duplicates', async () => {
    const a = await hashImage(await syntheticImage(910, { width: 300, height: 300 }));
    const b = await hashImage(await syntheticImage(911, { width: 300, height: 300 }));
    const groups = await groupNearDuplicates([
      { id: 'a1', pdq: a.pdq as string },
      { id: 'b', pdq: b.pdq as string },
      { id: 'a2', pdq: a.pdq as string },
    ]);
    expect(groups).toEqual([['a1', 'a2'], ['b']]);
  });
});
