import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LmdbDueCheckQueue, parseOrder, replaySchedule, VerifyStore } from '@staydown/verify';
import { onTestFinished } from 'vitest';

/** The command's entry script, for tests that run it in a process of its own. */
export const CLI_SCRIPT = fileURLToPath(new URL('../../bin/staydown.js', import.meta.url));

/**
 * Test support: `top`/a/a/…, 1 900 levels (the path stays under PATH_MAX), removed from the
 * bottom up when the test ends (rmSync's own recursion overflows the stack at this depth).
 * Returns the deepest folder. Run with --stack-size=200, a walk that recurses overflows.
 */
export function deepTree(top: string): string {
  const levels = [top];
  for (let i = 0; i < 1900; i++) levels.push(path.join(levels[i], 'a'));
  const deepest = levels[levels.length - 1];
  mkdirSync(deepest, { recursive: true });
  onTestFinished(() => {
    for (const level of levels.reverse()) rmSync(level, { recursive: true, force: true });
  });
  return deepest;
}

/**
 * Test support (not shipped behaviour): a database holding one finished order, replayed on a
 * simulated clock — item a removed between 10:00 and 10:30, item b never removed, item c
 * inconclusive at the deadline (retries off).
 */
export async function finishedOrderDb(dir: string, id = 'REP-1'): Promise<void> {
  const store = VerifyStore.open(dir);
  try {
    const t0 = Date.parse('2026-11-28T10:00:00Z');
    store.putOrder(
      parseOrder({
        id,
        kind: 'csam',
        issuedAt: new Date(t0).toISOString(),
        deadline: 'PT1H',
        addressee: { name: 'Example Hosting B.V.', role: 'hosting' },
        items: ['a', 'b', 'c'].map((n) => ({
          url: `https://host.example/${n}.jpg`,
          expect: [{ signal: 'md5', hash: n.repeat(32) }],
        })),
        checks: { every: 'PT30M', followUps: ['P1D'] },
      }),
      t0,
    );
    await replaySchedule(new LmdbDueCheckQueue(store, { retry: { maxAttempts: 1 } }), (url, at) => {
      if (url.endsWith('a.jpg')) return at < t0 + 1_800_000 ? 'PRESENT' : 'NOT_FOUND';
      if (url.endsWith('b.jpg')) return 'PRESENT';
      return at < t0 + 3_600_000 ? 'PRESENT' : 'INCONCLUSIVE';
    });
  } finally {
    await store.close();
  }
}
