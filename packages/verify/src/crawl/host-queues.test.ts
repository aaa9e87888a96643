import { describe, expect, it } from 'vitest';
import { HostQueues } from './host-queues.js';
import { CHECKER_DEFAULTS, resolveCheckerOptions } from './options.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HostQueues', () => {
  it('holds a paused host back and lets other hosts run', async () => {
    const queues = new HostQueues({ concurrency: 4, perHostConcurrency: 1, perHostIntervalMs: 0 });
    const started: string[] = [];
    queues.pauseHost('a.test', 120);
    expect(queues.pausedUntil('a.test')).toBeGreaterThan(Date.now());
    const t0 = Date.now();
    const a = queues.run('a.test', async () => {
      started.push(`a@${Date.now() - t0}`);
    });
    const b = queues.run('b.test', async () => {
      started.push('b');
    });
    await b;
    expect(started).toEqual(['b']);
    await a;
    expect(Number(started[1].slice(2))).toBeGreaterThanOrEqual(100);
    expect(queues.pausedUntil('a.test')).toBeNull();
  });

  it('never shortens a pause', async () => {
    const queues = new HostQueues({ concurrency: 1, perHostConcurrency: 1, perHostIntervalMs: 0 });
    queues.pauseHost('a.test', 200);
    const until = queues.pausedUntil('a.test') as number;
    queues.pauseHost('a.test', 10);
    expect(queues.pausedUntil('a.test')).toBe(until);
    queues.clear();
  });

  it('limits concurrency per host and globally', async () => {
    const queues = new HostQueues({ concurrency: 3, perHostConcurrency: 2, perHostIntervalMs: 0 });
    let inFlight = 0;
    let peak = 0;
    let peakA = 0;
    let inA = 0;
    const task = (host: string) =>
      queues.run(host, async () => {
        inFlight++;
        if (host === 'a.test') inA++;
        peak = Math.max(peak, inFlight);
        peakA = Math.max(peakA, inA);
        await tick(20);
        inFlight--;
        if (host === 'a.test') inA--;
      });
    await Promise.all([...Array(6)].map((_, i) => task(i % 3 === 0 ? 'b.test' : 'a.test')));
    expect(peakA).toBe(2);
    expect(peak).toBe(3);
  });

  it('rejects queued work when the signal aborts', async () => {
    const queues = new HostQueues({ concurrency: 1, perHostConcurrency: 1, perHostIntervalMs: 0 });
    queues.pauseHost('a.test', 1000);
    const controller = new AbortController();
    const pending = queues.run('a.test', async () => 1, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    queues.clear();
  });
});

describe('checker options', () => {
  it('fills defaults in one place', () => {
    const o = resolveCheckerOptions();
    expect(o.userAgent).toBe('Staydown/0.1 (+removal-order verification)');
    expect(o.timeouts).toEqual(CHECKER_DEFAULTS.timeouts);
    expect(o.allowLoopback).toBe(false);
    expect(resolveCheckerOptions({ timeouts: { bodyMs: 5 } }).timeouts).toEqual({
      ...CHECKER_DEFAULTS.timeouts,
      bodyMs: 5,
    });
  });
  it('rejects bad values with INVALID_OPTION', () => {
    expect(() => resolveCheckerOptions({ concurrency: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => resolveCheckerOptions({ maxBodyBytes: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => resolveCheckerOptions({ proxy: { url: 'socks://x', name: 'v' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => resolveCheckerOptions({ proxy: { url: 'http://127.0.0.1:1', name: '' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
