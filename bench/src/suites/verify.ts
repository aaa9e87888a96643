import { hashImage } from '@staydown/hashing';
import { startFaultServer } from '@staydown/test';
import { createChecker, type ExpectedHash } from '@staydown/verify';
import type { BenchContext, Figure, Ratio, Suite, SuiteResult } from '../harness.js';
import { median, timeOnce } from '../harness.js';

/**
 * Removal-order verification throughput against the local fault server on loopback: image URLs
 * verified per second (fetch through the SSRF guard and host queues, decode, hash, compare) on
 * one host and spread over eight simulated hosts, how that splits into fetch, decode/hash and
 * bookkeeping, and how many URLs fit in a 1-hour order. The target is stated as an in-run ratio:
 * with 8 hosts, verified URLs/s ≥ 0.8 × the rate the same image hashes from memory.
 */

interface Sizes {
  /** URLs per timed pass. */
  urls: number;
  /** URLs in the sequential runs used for the time split. */
  splitUrls: number;
  passes: number;
}

const QUICK: Sizes = { urls: 40, splitUrls: 24, passes: 3 };
const FULL: Sizes = { urls: 500, splitUrls: 120, passes: 5 };

/** Global in-flight requests; per host the checker's polite default (2) applies. */
const CONCURRENCY = 16;
const PER_HOST = 2;

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
interface Pass {
  /** Wall-clock items per second. */
  rate: number;
  /** Process CPU time (all threads) per item, ms. */
  cpuMsPerItem: number;
}

async function measurePass(run: () => Promise<number>): Promise<Pass> {
  const cpu = process.cpuUsage();
  const { items, rate } = await timeOnce(run);
  const used = process.cpuUsage(cpu);
  return { rate, cpuMsPerItem: (used.user + used.system) / 1000 / items };
}

async function pool(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await work(next++);
  });
  await Promise.all(lanes);
}

export const verifySuite: Suite = {
  name: 'verify',
  description: 'URLs verified per second against the local fault server (1 and 8 hosts), time split, 1-hour fit',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const sizes = ctx.quick ? QUICK : FULL;
    const server = await startFaultServer({ virtualHosts: 8 });
    const image = server.images.original;
    const h = await hashImage(image, { signals: ['pdq', 'sha256'] });
    const expect: ExpectedHash[] = [
      { signal: 'pdq', hash: h.pdq as string },
      { signal: 'sha256', hash: h.sha256 as string },
    ];
    const checker = createChecker({
      allowLoopback: true,
      lookup: server.lookup,
      concurrency: CONCURRENCY,
      perHostConcurrency: PER_HOST,
      retries: 0,
    });
    let serial = 0;
    /** A distinct URL per check (the query string defeats nothing server-side; it keeps URLs unique). */
    const urlOn = (host: string) => server.url(`/image.jpg?n=${serial++}`, host);
    const verifyAll = async (count: number, hosts: string[], limit: number): Promise<number> => {
      let wrong = 0;
      await pool(count, limit, async (i) => {
        const obs = await checker.check(urlOn(hosts[i % hosts.length]), expect);
        if (obs.verdict !== 'PRESENT') wrong++;
      });
      if (wrong > 0) throw new Error(`${wrong} of ${count} checks were not PRESENT`);
      return count;
    };
    try {
      ctx.log(`image ${image.length} bytes; ${sizes.urls} URLs per pass, ${sizes.passes} passes`);
      await verifyAll(8, server.virtualHosts, CONCURRENCY); // warm connections and code paths

      // The comparison: the same image hashed from memory, at the same concurrency. The three
      // runs alternate pass by pass so a change in machine load hits them alike; medians reported.
      // Besides wall-clock rates, each pass records process CPU time per item (all threads, and
      // the in-process fault server's serving cost counts against verification): other
      // processes on a shared machine do not inflate it, so the target ratio is stated on it.
      const hash: Pass[] = [];
      const eight: Pass[] = [];
      const one: Pass[] = [];
      for (let p = 0; p < sizes.passes; p++) {
        hash.push(
          await measurePass(async () => {
            await pool(sizes.urls, CONCURRENCY, async () => {
              await hashImage(image);
            });
            return sizes.urls;
          }),
        );
        eight.push(await measurePass(() => verifyAll(sizes.urls, server.virtualHosts, CONCURRENCY)));
        one.push(await measurePass(() => verifyAll(sizes.urls, ['host1.test'], CONCURRENCY)));
      }
      const hashMemory = median(hash.map((x) => x.rate));
      const oneHost = median(one.map((x) => x.rate));
      const eightHosts = median(eight.map((x) => x.rate));
      const wallRatios = eight.map((x, k) => x.rate / hash[k].rate);
      const cpuRatios = eight.map((x, k) => hash[k].cpuMsPerItem / x.cpuMsPerItem);

      // Time split, one request at a time so the parts add up, interleaved item by item so drift
      // in machine load hits all three alike: a whole check, the same fetch alone, the same hash alone.
      const n = sizes.splitUrls;
      const tCheck: number[] = [];
      const tFetch: number[] = [];
      const tHash: number[] = [];
      const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
      for (let i = 0; i < n; i++) {
        let t = process.hrtime.bigint();
        await verifyAll(1, ['host2.test'], 1);
        tCheck.push(ms(t));
        t = process.hrtime.bigint();
        await (await fetch(server.url(`/image.jpg?f=${i}`))).arrayBuffer();
        tFetch.push(ms(t));
        t = process.hrtime.bigint();
        await hashImage(image);
        tHash.push(ms(t));
      }
      const msTotal = median(tCheck);
      const msFetch = median(tFetch);
      const msHash = median(tHash);
      const msBook = Math.max(0, msTotal - msFetch - msHash);
      const share = (part: number) => (100 * part) / (msFetch + msHash + msBook);

      const figures: Figure[] = [
        { name: 'image hashed from memory (same concurrency)', value: hashMemory, unit: 'images/s' },
        {
          name: 'verified image URLs, 1 host (2 per host in flight)',
          value: oneHost,
          unit: 'URLs/s',
          job: { kind: 'verify', item: 'URL' },
        },
        {
          name: 'verified image URLs, 8 hosts',
          value: eightHosts,
          unit: 'URLs/s',
          job: { kind: 'verify', item: 'URL' },
        },
        { name: 'CPU per image hashed from memory', value: median(hash.map((x) => x.cpuMsPerItem)), unit: 'ms' },
        {
          name: 'CPU per URL verified (8 hosts, incl. serving)',
          value: median(eight.map((x) => x.cpuMsPerItem)),
          unit: 'ms',
        },
        { name: 'URLs verified in a 1-hour order, 8 hosts', value: Math.floor(eightHosts * 3600), unit: 'URLs' },
        { name: 'URLs verified in a 1-hour order, 1 host', value: Math.floor(oneHost * 3600), unit: 'URLs' },
        { name: 'sequential check, per URL', value: msTotal, unit: 'ms' },
        { name: 'share: fetch (loopback HTTP, body read)', value: share(msFetch), unit: '%' },
        { name: 'share: decode + hash', value: share(msHash), unit: '%' },
        { name: 'share: bookkeeping (guard, queues, compare)', value: share(msBook), unit: '%' },
      ];
      const ratios: Ratio[] = [
        {
          name: 'verify rate (8 hosts) / hash-from-memory rate, by CPU per item',
          value: median(cpuRatios),
          target: 0.8,
          direction: 'min',
        },
        { name: 'verify URLs/s (8 hosts) / hash images/s, wall clock', value: median(wallRatios) },
        { name: 'verify URLs/s 8 hosts / 1 host', value: eightHosts / oneHost },
      ];
      return {
        figures,
        ratios,
        notes: [
          `per-pass ratios, 8 hosts / hash from memory — CPU: ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}; wall clock: ${wallRatios.map((r) => r.toFixed(2)).join(', ')}`,
          `loopback only: real hosts add network latency and their own limits; the 1-host rate is bounded by the polite per-host concurrency (${PER_HOST})`,
          `time split (medians of ${n} interleaved sequential runs): check ${msTotal.toFixed(2)} ms = fetch ${msFetch.toFixed(2)} ms + decode/hash ${msHash.toFixed(2)} ms + rest ${msBook.toFixed(2)} ms; fetch is timed with Node's fetch (undici), a little slower than the checker's undici.request, so the rest is a lower bound`,
        ],
      };
    } finally {
      await checker.close();
      await server.close();
    }
  },
};
