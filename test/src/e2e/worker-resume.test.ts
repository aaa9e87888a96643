import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import { parseOrder, VerifyStore, verifyChain } from '@staydown/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../conformance.js';
import { generateFaultImages } from '../fault-server/index.js';

const CLI = path.join(repoRoot, 'workers', 'cli', 'bin', 'staydown.js');
const cliBuilt = existsSync(path.join(repoRoot, 'workers', 'cli', 'dist', 'main.js'));

/** A loopback host that answers every request after a delay, so a worker is always mid-check. */
async function slowHost(image: Buffer, delayMs: number) {
  let inFlight = 0;
  const server = http.createServer((_req, res) => {
    inFlight += 1;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': image.length });
      res.end(image);
      inFlight -= 1;
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    inFlight: () => inFlight,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function startWorker(db: string, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [CLI, 'worker', '--db', db, '--allow-loopback', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('worker killed with kill -9 and restarted', () => {
  let dir: string;
  let store: VerifyStore;
  let host: Awaited<ReturnType<typeof slowHost>>;
  const ORDER_ID = 'RESUME-1';
  const ITEMS = 4;
  // baseline + 7 intervals (every 0.5 s before the 4 s deadline) + deadline + 1 follow-up
  const CHECKS_PER_ITEM = 10;

  beforeAll(async () => {
    if (!cliBuilt) throw new Error(`the CLI is not built (${CLI}); run: npx turbo run build`);
    const { original } = await generateFaultImages();
    host = await slowHost(original, 150);
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-resume-'));
    store = VerifyStore.open(dir);
    const h = await hashImage(original, { signals: ['sha256'] });
    store.putOrder(
      parseOrder({
        id: ORDER_ID,
        kind: 'terrorist',
        issuedAt: new Date().toISOString(),
        deadline: 'PT4S',
        addressee: { name: 'Slow host' },
        items: Array.from({ length: ITEMS }, (_, i) => ({
          url: host.url(`/item-${i}.jpg`),
          expect: [{ signal: 'sha256', hash: h.sha256 as string }],
        })),
        checks: { every: 'PT0.5S', followUps: ['PT0.5S'] },
      }),
    );
  });

  afterAll(async () => {
    await store?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes, loses no evidence and repeats no recorded check', async () => {
    const first = startWorker(dir);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    await until(() => store.listEvidence(ORDER_ID).length >= 8 && host.inFlight() > 0, 20_000, 'the first checks');
    first.kill('SIGKILL');
    await exited;
    const before = store.listEvidence(ORDER_ID);
    const orderHash = store.requireOrder(ORDER_ID).orderHash;
    expect(verifyChain(ORDER_ID, orderHash, before).intact).toBe(true);
    // Every recorded check is marked done, every done check has its record: nothing half-written.
    const done = store.listChecks(ORDER_ID).filter((c) => c.state === 'done');
    expect(done.map((c) => c.evidenceSeq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(before.map((e) => e.seq));
    expect(before.length).toBeLessThan(ITEMS * CHECKS_PER_ITEM);

    const second = startWorker(dir, ['--until-done']);
    let log = '';
    second.stderr?.on('data', (chunk) => {
      log += chunk;
    });
    const code = await new Promise((resolve) => second.once('exit', resolve));
    expect(code).toBe(0);

    const after = store.listEvidence(ORDER_ID);
    expect(after).toHaveLength(ITEMS * CHECKS_PER_ITEM);
    // The records made before the kill are still there, unchanged, at the start of the chain.
    expect(after.slice(0, before.length).map((e) => e.hash)).toEqual(before.map((e) => e.hash));
    expect(new Set(after.map((e) => e.record.checkId)).size).toBe(ITEMS * CHECKS_PER_ITEM);
    expect(verifyChain(ORDER_ID, orderHash, after).intact).toBe(true);
    expect(store.pendingCount(ORDER_ID)).toBe(0);
    expect(after.every((e) => e.record.observation.verdict === 'PRESENT')).toBe(true);
    // The log is structured (pino JSON lines) and names checks, never content.
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.msg === 'check recorded' && l.verdict === 'PRESENT')).toBe(true);
    expect(log).not.toContain('base64');
  }, 60_000);

  it('stops cleanly on SIGTERM: in-flight checks finish and are recorded, the rest stay due', async () => {
    const h = await hashImage((await generateFaultImages()).original, { signals: ['sha256'] });
    store.putOrder(
      parseOrder({
        id: 'SIGTERM-1',
        kind: 'terrorist',
        issuedAt: new Date().toISOString(),
        deadline: 'PT30M',
        addressee: { name: 'Slow host' },
        items: [{ url: host.url('/t.jpg'), expect: [{ signal: 'sha256', hash: h.sha256 as string }] }],
        checks: { every: 'PT10M', followUps: [] },
      }),
    );
    const worker = startWorker(dir, ['--order', 'SIGTERM-1']);
    let log = '';
    worker.stderr?.on('data', (chunk) => {
      log += chunk;
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await until(() => host.inFlight() > 0, 20_000, 'the baseline request');
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    const msgs = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).msg);
    expect(msgs).toContain('stopping: waiting for in-flight checks');
    expect(msgs.at(-1)).toBe('worker stopped');
    const evidence = store.listEvidence('SIGTERM-1');
    expect(evidence.map((e) => e.record.kind)).toEqual(['baseline']);
    expect(store.pendingCount('SIGTERM-1')).toBe(3);
  }, 30_000);
});
