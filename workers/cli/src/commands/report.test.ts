import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../io.js';
import { main } from '../main.js';
import { finishedOrderDb } from './fixtures.test-support.js';

function memoryIo(cwd: string): CommandIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return { stdout, stderr, isTTY: false, env: {}, cwd, out: () => out, err: () => err };
}

describe('staydown report', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-report-'));
    await finishedOrderDb(path.join(dir, 'db'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the JSON contract', async () => {
    const io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--order', 'REP-1', '--format', 'json'], io)).toBe(0);
    const report = JSON.parse(io.out());
    expect(report).toMatchObject({
      id: 'REP-1',
      compliant: false,
      running: false,
      evidence: { intact: true, records: 12 },
    });
    const [a, b, c] = report.items;
    expect(a).toMatchObject({
      url: 'https://host.example/a.jpg',
      atDeadline: { verdict: 'NOT_FOUND', checkedAt: '2026-11-28T11:00:00.000Z' },
      compliant: true,
      removal: { lastSeenPresentAt: '2026-11-28T10:00:00.000Z', firstSeenAbsentAt: '2026-11-28T10:30:00.000Z' },
      reappeared: false,
    });
    expect(a.checks[0]).toMatchObject({
      checkedAt: '2026-11-28T10:00:00.000Z',
      verdict: 'PRESENT',
      reason: 'match',
      distance: 0,
    });
    expect(b).toMatchObject({ compliant: false, atDeadline: { verdict: 'PRESENT' } });
    expect(c).toMatchObject({ compliant: null, atDeadline: { verdict: 'INCONCLUSIVE' } });
  });

  it('prints a readable summary by default and writes -o FILE', async () => {
    let io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--order', 'REP-1'], io)).toBe(0);
    expect(io.out()).toContain('Order REP-1 (csam) to Example Hosting B.V. (hosting)');
    expect(io.out()).toContain('result: NOT COMPLIANT');
    io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--order', 'REP-1', '--format', 'json', '-o', 'r.json'], io)).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')).id).toBe('REP-1');
  });

  it('refuses formats of a later issue and unknown ones with a usage error', async () => {
    for (const format of ['html', 'csv', 'pdf']) {
      const io = memoryIo(dir);
      expect(await main(['report', '--db', 'db', '--order', 'REP-1', '--format', format], io)).toBe(2);
      expect(io.err()).toContain('[USAGE]');
    }
  });

  it('names an unknown order and a missing database without a stack trace', async () => {
    let io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--order', 'NOPE'], io)).toBe(1);
    expect(io.err()).toMatch(/no order "NOPE" .*\[UNKNOWN_ORDER\]\n$/);
    io = memoryIo(dir);
    expect(await main(['report', '--db', 'nowhere', '--order', 'REP-1'], io)).toBe(1);
    expect(io.err()).toMatch(/no verification database at .*\[STORE_FAILED\]/);
    expect(io.err()).not.toContain('    at ');
  });
});
