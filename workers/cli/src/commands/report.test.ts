import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';
import { finishedOrderDb } from './fixtures.test-support.js';

async function jsonReport(cwd: string): Promise<string> {
  const io = memoryIo(cwd);
  await main(['report', '--db', 'db', '--order', 'REP-1', '--format', 'json'], io);
  return io.out();
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

  it('writes a self-contained HTML report and a CSV row per check', async () => {
    let io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--order', 'REP-1', '--format', 'html', '-o', 'r.html'], io)).toBe(0);
    const html = readFileSync(path.join(dir, 'r.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('data-verdict="INCONCLUSIVE"');
    expect(html).toContain('Europe/Amsterdam');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--order', 'REP-1', '--format', 'csv'], io)).toBe(0);
    const lines = io.out().trim().split('\n');
    const checks = JSON.parse(await jsonReport(dir)).items.reduce(
      (n: number, i: { checks: unknown[] }) => n + i.checks.length,
      0,
    );
    expect(lines).toHaveLength(1 + checks);
    expect(lines[0]).toMatch(/^order_id,item_index,url,checked_at,check_kind,verdict,/);
  });

  it('summarises an addressee, ranks addressees and names what is missing', async () => {
    let io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--addressee', 'Example Hosting B.V.'], io)).toBe(0);
    const summary = JSON.parse(io.out());
    expect(summary).toMatchObject({
      addressee: 'Example Hosting B.V.',
      nonCompliantOrders: 1,
      flag: { persistent: false },
    });
    io = memoryIo(dir);
    expect(
      await main(['report', '--db', 'db', '--addressee', 'Example Hosting B.V.', '--min-non-compliant', '1'], io),
    ).toBe(0);
    expect(JSON.parse(io.out()).flag).toMatchObject({ persistent: true, evidence: [{ id: 'REP-1' }] });
    io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--ranking', '--format', 'html'], io)).toBe(0);
    expect(io.out()).toContain('data-addressee="Example Hosting B.V."');
    io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--addressee', 'Nobody B.V.'], io)).toBe(1);
    expect(io.err()).toMatch(/no orders to "Nobody B.V." .*Example Hosting B.V..*\[UNKNOWN_ORDER\]/);
    io = memoryIo(dir);
    expect(await main(['report', '--db', 'db', '--addressee', 'Example Hosting B.V.', '--from', 'soon'], io)).toBe(1);
    expect(io.err()).toContain('[INVALID_OPTION]');
  });

  it('refuses unknown formats and ambiguous modes with a usage error', async () => {
    for (const args of [
      ['--order', 'REP-1', '--format', 'pdf'],
      ['--ranking', '--format', 'csv'],
      ['--order', 'REP-1', '--ranking'],
      [],
      ['--order', 'REP-1', '--tz', 'Mars/Base'],
    ]) {
      const io = memoryIo(dir);
      const code = await main(['report', '--db', 'db', ...args], io);
      expect(code === 2 || io.err().includes('[INVALID_OPTION]')).toBe(true);
      expect(io.err()).not.toContain('    at ');
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
