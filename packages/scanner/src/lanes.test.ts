import { describe, expect, it } from 'vitest';
import { type Admit, inLanes } from './lanes.js';

/** The admit of a lane that has others beside it (inLanes gives one whenever items go two at a time). */
function paired(admit: Admit | undefined): Admit {
  if (admit === undefined) throw new Error('expected an admit: the items go two at a time');
  return admit;
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('inLanes', () => {
  it('works `lanes` items at a time and returns the results in item order', async () => {
    let inHand = 0;
    let most = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const results = await inLanes(
      items,
      async (item, admit) => {
        const release = await paired(admit)(1);
        inHand++;
        most = Math.max(most, inHand);
        // Later items finish first: order must come from the items, not from finishing.
        for (let t = 0; t < (25 - item) % 4; t++) await tick();
        inHand--;
        release();
        return item * 10;
      },
      2,
    );
    expect(results).toEqual(items.map((i) => i * 10));
    expect(most).toBe(2);
    expect(await inLanes([], async () => 1, 2)).toEqual([]);
  });

  it('never holds two images past the pixel budget at once, and lets a huge one through alone', async () => {
    const pixels = [10, 10, 60, 60, 200, 5, 5, 60];
    let held = 0;
    let most = 0;
    const done: number[] = [];
    await inLanes(
      pixels.map((p, i) => ({ p, i })),
      async ({ p, i }, admit) => {
        const release = await paired(admit)(p);
        held += p;
        most = Math.max(most, held);
        // Two lanes beside each other: the 200 (over the budget alone) must still run.
        if (held > 100) expect(held).toBe(p);
        await tick();
        held -= p;
        release();
        release(); // a second release changes nothing
        done.push(i);
      },
      2,
      100,
    );
    expect(done.sort((a, b) => a - b)).toEqual(pixels.map((_, i) => i));
    expect(most).toBe(200);
  });

  it('gives no admit when the items go one at a time (no header needs reading for it)', async () => {
    const admits: unknown[] = [];
    await inLanes([1, 2, 3], async (_, admit) => admits.push(admit), 1);
    await inLanes([1], async (_, admit) => admits.push(admit), 2);
    expect(admits).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('pairs small images under the budget', async () => {
    let held = 0;
    let most = 0;
    await inLanes(
      [30, 30, 30, 30],
      async (p, admit) => {
        const release = await paired(admit)(p);
        held += p;
        most = Math.max(most, held);
        await tick();
        held -= p;
        release();
      },
      2,
      100,
    );
    expect(most).toBe(60);
  });
});
