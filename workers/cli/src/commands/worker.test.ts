import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseOrder, type SimulatedHost, startSimulatedHost, syntheticPng, VerifyStore } from '@staydown/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';

describe('staydown worker', () => {
  let dir: string;
  let host: SimulatedHost;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-worker-'));
    const image = syntheticPng(3);
    host = await startSimulatedHost({ '/x.png': { body: image, contentType: 'image/png', present: [{}] } });
    const sha = createHash('sha256').update(image).digest('hex');
    const store = VerifyStore.open(path.join(dir, 'db'));
    for (const id of ['W-1', 'W-2']) {
      store.putOrder(
        parseOrder({
          id,
          kind: 'terrorist',
          issuedAt: new Date().toISOString(),
          deadline: 'PT0.6S',
          addressee: { name: 'Loopback' },
          items: [{ url: host.url('/x.png'), expect: [{ signal: 'sha256', hash: sha }] }],
          checks: { every: 'PT0.3S', followUps: [] },
        }),
      );
    }
    await store.close();
  });
  afterAll(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the due checks of every order and logs JSON lines without content', async () => {
    const io = memoryIo(dir);
    expect(await main(['worker', '--db', 'db', '--allow-loopback', '--until-done'], io)).toBe(0);
    const log = io
      .err()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const recorded = log.filter((l) => l.msg === 'check recorded');
    expect(recorded).toHaveLength(6);
    expect(new Set(recorded.map((l) => l.check.split('#')[0]))).toEqual(new Set(['W-1', 'W-2']));
    expect(recorded.every((l) => l.verdict === 'PRESENT' && typeof l.seq === 'number')).toBe(true);
    expect(log.at(-1)).toMatchObject({ msg: 'worker stopped', completed: 6, errors: 0 });
  });

  it('names an unknown --order', async () => {
    const io = memoryIo(dir);
    expect(await main(['worker', '--db', 'db', '--order', 'NOPE', '--until-done'], io)).toBe(1);
    expect(io.err()).toContain('[UNKNOWN_ORDER]');
  });
});
