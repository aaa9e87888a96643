import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SimulatedHost, startSimulatedHost, syntheticPng } from '@staydown/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';

const SHA = (n: string) => n.repeat(64);

function orderJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: 'CLI-1',
    kind: 'csam',
    issuedAt: '2026-11-28T10:00:00Z',
    deadline: 'PT1H',
    addressee: { name: 'Host' },
    items: [{ url: 'https://host.example/a.jpg', expect: [{ signal: 'sha256', hash: SHA('a') }] }],
    ...overrides,
  });
}

describe('staydown verify', () => {
  let dir: string;
  let host: SimulatedHost;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-verify-'));
    const image = syntheticPng(7);
    const t0 = Date.now();
    host = await startSimulatedHost({
      '/a.png': { body: image, contentType: 'image/png', present: [{ until: t0 + 60_000 }] },
      '/b.png': { body: image, contentType: 'image/png', present: [] },
    });
  });
  afterAll(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an order, accepts it again unchanged, and refuses a changed one under the same id', async () => {
    writeFileSync(path.join(dir, 'order.json'), orderJson());
    writeFileSync(path.join(dir, 'changed.json'), orderJson({ deadline: 'PT2H' }));
    let io = memoryIo(dir);
    expect(await main(['verify', 'order.json', '--db', 'db1'], io)).toBe(0);
    expect(io.out()).toMatch(/stored order CLI-1: 1 item\(s\), \d+ checks/);
    io = memoryIo(dir);
    expect(await main(['verify', 'order.json', '--db', 'db1'], io)).toBe(0);
    expect(io.out()).toContain('already stored (unchanged)');
    io = memoryIo(dir);
    expect(await main(['verify', 'changed.json', '--db', 'db1'], io)).toBe(1);
    expect(io.err()).toMatch(/already stored with different content.*\[ORDER_CONFLICT\]/);
  });

  it('names the invalid field of a bad order', async () => {
    writeFileSync(
      path.join(dir, 'bad.json'),
      orderJson({ items: [{ url: 'https://h.example/a', expect: [{ signal: 'pdq', hash: 'xyz' }] }] }),
    );
    const io = memoryIo(dir);
    expect(await main(['verify', 'bad.json', '--db', 'db2'], io)).toBe(1);
    expect(io.err()).toMatch(/items\[0\]\.expect\[0\]\.hash: pdq hash must be 64 hex digits.*\[INVALID_ORDER\]/);
  });

  it('gives clear errors for a missing file and missing --db', async () => {
    let io = memoryIo(dir);
    expect(await main(['verify', 'nope.json', '--db', 'db3'], io)).toBe(1);
    expect(io.err()).toMatch(/cannot read order nope\.json.*\[READ_FAILED\]/);
    io = memoryIo(dir);
    expect(await main(['verify', 'order.json'], io)).toBe(2);
    expect(io.err()).toMatch(/--db DIR is required/);
  });

  it('--wait runs the order to the end and prints the compliance summary', async () => {
    const image = syntheticPng(7);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(image).digest('hex');
    writeFileSync(
      path.join(dir, 'live.json'),
      JSON.stringify({
        id: 'LIVE-1',
        kind: 'terrorist',
        issuedAt: new Date().toISOString(),
        deadline: 'PT1S',
        addressee: { name: 'Loopback' },
        items: [
          { url: host.url('/a.png'), expect: [{ signal: 'sha256', hash: sha }] },
          { url: host.url('/b.png'), expect: [{ signal: 'sha256', hash: sha }] },
        ],
        checks: { every: 'PT0.5S', followUps: ['PT0.5S'] },
      }),
    );
    const io = memoryIo(dir);
    expect(await main(['verify', 'live.json', '--db', 'db4', '--wait', '--allow-loopback'], io)).toBe(0);
    expect(io.err()).toMatch(/LIVE-1 \[0\] baseline\s+PRESENT/);
    expect(io.err()).toMatch(/LIVE-1 \[1\] deadline\s+NOT_FOUND/);
    expect(io.out()).toContain('result: NOT COMPLIANT');
    expect(io.out()).toMatch(/\[1\] .*\/b\.png\n\s+at deadline: NOT_FOUND .* -> COMPLIANT/);
    expect(io.out()).toMatch(/evidence: 8 records, chain intact/);
  });

  it('without --allow-loopback, a loopback URL is refused, never fetched', async () => {
    writeFileSync(
      path.join(dir, 'refused.json'),
      JSON.stringify({
        id: 'REFUSED-1',
        kind: 'terrorist',
        issuedAt: new Date().toISOString(),
        deadline: 'PT0.5S',
        addressee: { name: 'Loopback' },
        items: [{ url: host.url('/a.png'), expect: [{ signal: 'sha256', hash: SHA('b') }] }],
        checks: { every: 'PT1S', followUps: [] },
      }),
    );
    const io = memoryIo(dir);
    expect(await main(['verify', 'refused.json', '--db', 'db5', '--wait'], io)).toBe(0);
    expect(io.err()).toMatch(/REFUSED-1 \[0\] baseline\s+INCONCLUSIVE\s+reason address_refused/);
    // A refused address is never taken for a removal.
    expect(io.out()).toContain('result: UNDETERMINED');
    expect(io.out()).toMatch(/at deadline: INCONCLUSIVE .* -> UNDETERMINED/);
  });
});
