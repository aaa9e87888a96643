import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

describe('staydown demo', () => {
  it('runs an order of seconds end to end on loopback and prints the compliance summary', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-demo-'));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    stderr.on('data', () => {});
    try {
      const started = Date.now();
      expect(
        await main(['demo', '--db', path.join(dir, 'db')], { stdout, stderr, isTTY: false, env: {}, cwd: dir }),
      ).toBe(0);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(out).toContain('result: NOT COMPLIANT');
      expect(out).toMatch(/ignored\.png\n\s+at deadline: PRESENT .* -> NOT COMPLIANT/);
      expect(out).toMatch(/removed-early\.png\n\s+at deadline: NOT_FOUND .* -> COMPLIANT/);
      expect(out).toMatch(/legal-block\.png\n\s+at deadline: LEGAL_BLOCK .* -> COMPLIANT/);
      expect(out).toMatch(/replaced\.png\n\s+at deadline: REPLACED .* -> COMPLIANT/);
      expect(out).toMatch(/comes-back\.png\n\s+at deadline: NOT_FOUND .* -> COMPLIANT\n.*\n\s+REAPPEARED/);
      expect(out).toMatch(/Evidence: 40 hash-chained records, chain verified/);
      const html = readFileSync(out.match(/report: +(\S+\.report\.html)/)?.[1] as string, 'utf8');
      expect(html).toContain('<html');
      expect(html).toContain('comes-back.png');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
