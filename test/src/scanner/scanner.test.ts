import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { THREAD_QUIET_MS } from '@staydown/core';
import { hashImage } from '@staydown/hashing';
import { openIndex } from '@staydown/index';
import { createScanner, type ScanInput, type Scanner, type ScanResult } from '@staydown/scanner';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticImage } from './synthetic.js';

/** Bytes that make the test-only fault hook kill the worker thread hashing them. */
const CRASH_PREFIX = 'STAYDOWN-TEST-CRASH';

async function collect(results: AsyncIterable<ScanResult>): Promise<ScanResult[]> {
  const out: ScanResult[] = [];
  for await (const r of results) out.push(r);
  return out;
}

function byId(results: ScanResult[]): Map<string, ScanResult> {
  const map = new Map<string, ScanResult>();
  for (const r of results) {
    expect(map.has(r.id), `${r.id} came out twice`).toBe(false);
    map.set(r.id, r);
  }
  return map;
}

describe('scanner over files', () => {
  let dir: string;
  const good: string[] = [];
  let scanner: Scanner;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-scan-'));
    mkdirSync(path.join(dir, 'nested', 'deeper'), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const sub = i % 3 === 0 ? 'nested' : i % 3 === 1 ? 'nested/deeper' : '';
      const file = path.join(dir, sub, `img${i}.${i % 2 ? 'png' : 'jpg'}`);
      writeFileSync(file, await syntheticImage(i, { width: 96 + i * 8, height: 80, format: i % 2 ? 'png' : 'jpeg' }));
      good.push(file);
    }
    writeFileSync(path.join(dir, 'random.jpg'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)));
    const jpeg = await syntheticImage(99, { width: 200, height: 200 });
    writeFileSync(path.join(dir, 'truncated.jpg'), jpeg.subarray(0, 300));
    writeFileSync(path.join(dir, 'empty.png'), Buffer.alloc(0));
    writeFileSync(path.join(dir, 'oversized.jpg'), Buffer.alloc(300_000, 0xff));
    writeFileSync(path.join(dir, 'crash.jpg'), Buffer.from(`${CRASH_PREFIX} native decoder crash stand-in`));
    scanner = createScanner({
      threads: 2,
      maxFileBytes: 200_000,
      batch: { maxItems: 4 },
      faultInjection: { exitOnPrefix: CRASH_PREFIX },
    });
  });

  afterAll(async () => {
    await scanner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every file exactly one result: good ones hashed, bad ones an error, a killed worker reported', async () => {
    const results = byId(await collect(scanner.scanPaths(dir)));
    expect(results.size).toBe(good.length + 5);
    for (const file of good) {
      const r = results.get(file);
      expect(r?.error, file).toBeUndefined();
      expect(r?.path).toBe(file);
      expect(r?.hashes?.pdq).toMatch(/^[0-9a-f]{64}$/);
      expect(r?.hashes?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r?.quality).toBe(r?.hashes?.quality);
      expect(r?.matches).toEqual([]);
    }
    const code = (name: string) => results.get(path.join(dir, name))?.error?.code;
    expect(['UNSUPPORTED_FORMAT', 'DECODE_FAILED']).toContain(code('random.jpg'));
    expect(code('truncated.jpg')).toBe('DECODE_FAILED');
    expect(code('empty.png')).toBe('EMPTY_INPUT');
    expect(code('oversized.jpg')).toBe('TOO_LARGE');
    expect(code('crash.jpg')).toBe('WORKER_CRASHED');
    expect(results.get(path.join(dir, 'crash.jpg'))?.error?.message).toMatch(/worker thread .* died/);
    // Distinct synthetic pictures hash differently.
    expect(new Set(good.map((f) => results.get(f)?.hashes?.pdq)).size).toBe(good.length);
  });

  it('keeps working after workers were killed, and hashes the same bytes the same way', async () => {
    const first = byId(await collect(scanner.scanPaths(good.slice(0, 4))));
    const again = byId(await collect(scanner.scanPaths([...good.slice(0, 4), path.join(dir, 'crash.jpg')])));
    expect(again.size).toBe(5);
    for (const file of good.slice(0, 4)) expect(again.get(file)?.hashes).toEqual(first.get(file)?.hashes);
    expect(again.get(path.join(dir, 'crash.jpg'))?.error?.code).toBe('WORKER_CRASHED');
  });

  it('hashes the same with two images in hand per thread as with one (imagesPerThread)', async () => {
    const twoInHand = createScanner({ threads: 1, imagesPerThread: 2 });
    try {
      const paired = byId(await collect(twoInHand.scanPaths(dir)));
      const oneByOne = byId(await collect(scanner.scanPaths(good)));
      for (const file of good) expect(paired.get(file)?.hashes, file).toEqual(oneByOne.get(file)?.hashes);
      expect(paired.get(path.join(dir, 'truncated.jpg'))?.error?.code).toBe('DECODE_FAILED');
      expect(paired.size).toBe(good.length + 5);
    } finally {
      await twoInHand.close();
    }
  });

  it('hashes a file whose name is not valid UTF-8 (it cannot slip past matching)', async () => {
    const odd = mkdtempSync(path.join(os.tmpdir(), 'staydown-scan-names-'));
    try {
      const raw = Buffer.concat([Buffer.from(`${odd}/report-`), Buffer.from([0xe9, 0xff]), Buffer.from('.jpg')]);
      writeFileSync(raw, await syntheticImage(42, { width: 120, height: 90 }));
      const [result] = await collect(scanner.scanPaths(odd));
      expect(result.error).toBeUndefined();
      expect(result.hashes?.pdq).toMatch(/^[0-9a-f]{64}$/);
      expect(result.path).toBe(`${odd}/report-\ufffd\ufffd.jpg`);
    } finally {
      rmSync(odd, { recursive: true, force: true });
    }
  });

  it('reports a missing path as READ_FAILED and goes on', async () => {
    const results = byId(await collect(scanner.scanPaths([path.join(dir, 'missing.jpg'), good[0]])));
    expect(results.get(path.join(dir, 'missing.jpg'))?.error?.code).toBe('READ_FAILED');
    expect(results.get(good[0])?.hashes?.pdq).toBeDefined();
  });
});

describe('scanner over memory', () => {
  let images: Buffer[];
  let scanner: Scanner;

  beforeAll(async () => {
    images = await Promise.all(Array.from({ length: 6 }, (_, i) => syntheticImage(100 + i, { width: 64, height: 64 })));
    scanner = createScanner({ threads: 2, batch: { maxItems: 3 }, faultInjection: { exitOnPrefix: CRASH_PREFIX } });
  });
  afterAll(() => scanner?.close());

  it('numbers buffers and leaves the caller’s bytes intact by default', async () => {
    const copies = images.map((b) => Buffer.from(b));
    const results = byId(await collect(scanner.scanBuffers(copies)));
    expect([...results.keys()].sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    for (const [i, b] of copies.entries()) expect(b.equals(images[i])).toBe(true);
  });

  it('leaves Buffers cut from one slab intact and hashes each (the copy is of the view, never the slab)', async () => {
    const slab = Buffer.concat(images);
    // Larger than Node's pool, so the slab owns its ArrayBuffer and a careless copy would move all of it.
    expect(slab.buffer.byteLength).toBe(slab.length);
    const before = Buffer.from(slab);
    const views: Buffer[] = [];
    let offset = 0;
    for (const image of images) {
      views.push(slab.subarray(offset, offset + image.length));
      offset += image.length;
    }
    const results = byId(await collect(scanner.scanBuffers(views)));
    expect(results.size).toBe(images.length);
    for (const [i, image] of images.entries()) {
      expect(results.get(String(i))?.hashes?.sha256, String(i)).toBe((await hashImage(image)).sha256);
    }
    expect(slab.equals(before)).toBe(true);
  });

  it('moves the caller’s buffers to the workers when asked (no copy: they become detached)', async () => {
    const owned = images.map((b) => new Uint8Array(b));
    const results = await collect(
      scanner.scan(
        owned.map((bytes, i) => ({ id: `m${i}`, bytes })),
        { transfer: true },
      ),
    );
    expect(results.every((r) => r.hashes?.pdq)).toBe(true);
    expect(owned.every((b) => b.byteLength === 0)).toBe(true);
  });

  it('with transfer: a detached buffer fails alone (EMPTY_INPUT), not its whole batch', async () => {
    const detached = new Uint8Array(images[0]);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const inputs: ScanInput[] = [
      ...images.slice(2).map((b, i) => ({ id: `own${i}`, bytes: new Uint8Array(b) })),
      { id: 'detached', bytes: detached },
    ];
    const results = byId(await collect(scanner.scan(inputs, { transfer: true })));
    expect(results.size).toBe(inputs.length);
    expect(results.get('detached')?.error?.code).toBe('EMPTY_INPUT');
    for (const id of ['own0', 'own1', 'own2', 'own3']) {
      expect(results.get(id)?.hashes?.pdq, id).toBeDefined();
    }
  });

  it('with transfer: one buffer given twice is moved once, the repeat fails alone, its batch-mates never', async () => {
    const twice = new Uint8Array(images[0]);
    const inputs: ScanInput[] = [
      { id: 'first', bytes: twice },
      ...images.slice(1, 4).map((b, i) => ({ id: `a${i}`, bytes: new Uint8Array(b) })),
      ...images.slice(1, 3).map((b, i) => ({ id: `b${i}`, bytes: new Uint8Array(b) })),
      { id: 'again', bytes: twice },
      ...images.slice(3, 5).map((b, i) => ({ id: `c${i}`, bytes: new Uint8Array(b) })),
    ];
    const results = byId(await collect(scanner.scan(inputs, { transfer: true })));
    expect(results.size).toBe(inputs.length);
    const expected = (await hashImage(images[0])).sha256;
    expect(results.get('first')?.hashes?.sha256).toBe(expected);
    expect(results.get('again')?.error?.code).toBe('EMPTY_INPUT');
    for (const id of ['a0', 'a1', 'a2', 'b0', 'b1', 'c0', 'c1']) {
      expect(results.get(id)?.hashes?.pdq, id).toBeDefined();
    }
  });

  it('with transfer: takes a buffer over as it is taken in, so a later move by the caller cannot reach its batch', async () => {
    const taken = new Uint8Array(images[0]);
    const big = await syntheticImage(5, { width: 3000, height: 3000 });
    const callerSaw: number[] = [];
    async function* inputs(): AsyncGenerator<ScanInput> {
      // Two slow images keep both threads busy, so the next inputs wait in a batch.
      yield { id: 'big0', bytes: new Uint8Array(big) };
      yield { id: 'big1', bytes: new Uint8Array(big) };
      yield { id: 'taken', bytes: taken };
      // Taken in, not yet sent: the caller's buffer is already detached, and moving it away
      // now moves nothing the scan holds.
      callerSaw.push(taken.byteLength);
      structuredClone(taken.buffer, { transfer: [taken.buffer] });
      for (let i = 1; i < 6; i++) yield { id: `k${i}`, bytes: new Uint8Array(images[i]) };
    }
    const results = byId(await collect(scanner.scan(inputs(), { transfer: true })));
    expect(callerSaw).toEqual([0]);
    expect(results.size).toBe(8);
    for (const id of ['taken', 'k1', 'k2', 'k3', 'k4', 'k5']) expect(results.get(id)?.hashes?.pdq, id).toBeDefined();
  });

  it('with transfer: one buffer given to two scans at once is hashed by one, refused alone by the other', async () => {
    for (let round = 0; round < 5; round++) {
      const shared = new Uint8Array(images[0]);
      const scanOf = (tag: string) => [
        ...images.slice(1, 4).map((b, i) => ({ id: `${tag}${i}`, bytes: new Uint8Array(b) })),
        { id: `${tag}-shared`, bytes: shared },
        ...images.slice(4, 6).map((b, i) => ({ id: `${tag}${i + 3}`, bytes: new Uint8Array(b) })),
      ];
      const [x, y] = await Promise.all([
        collect(scanner.scan(scanOf('x'), { transfer: true })),
        collect(scanner.scan(scanOf('y'), { transfer: true })),
      ]);
      for (const [tag, results] of [
        ['x', byId(x)],
        ['y', byId(y)],
      ] as const) {
        expect(results.size).toBe(6);
        for (let i = 0; i < 5; i++) {
          const r = results.get(`${tag}${i}`);
          expect(r?.hashes?.pdq, `${tag}${i} ${JSON.stringify(r?.error)}`).toBeDefined();
        }
      }
      const shares = [...x, ...y].filter((r) => r.id.endsWith('-shared'));
      expect(shares.filter((r) => r.hashes).length).toBe(1);
      expect(shares.filter((r) => r.error?.code === 'EMPTY_INPUT').length).toBe(1);
    }
  });

  it('retries the batch-mates of an input that kills its worker; only that input fails', async () => {
    async function* inputs(): AsyncGenerator<ScanInput> {
      for (let i = 0; i < 6; i++) {
        yield { id: `g${i}`, bytes: images[i] };
        if (i === 2) yield { id: 'killer', bytes: Buffer.from(CRASH_PREFIX) };
      }
    }
    const results = byId(await collect(scanner.scan(inputs())));
    expect(results.size).toBe(7);
    expect(results.get('killer')?.error?.code).toBe('WORKER_CRASHED');
    for (let i = 0; i < 6; i++) expect(results.get(`g${i}`)?.hashes?.pdq, `g${i}`).toBeDefined();
  });

  it('pauses reading while the consumer is not pulling (bounded memory)', async () => {
    const small = createScanner({ threads: 1, tasksPerThread: 1, maxBufferedResults: 2, batch: { maxItems: 2 } });
    try {
      let pulled = 0;
      function* inputs(): Generator<ScanInput> {
        for (let i = 0; i < 200; i++) {
          pulled++;
          yield { id: String(i), bytes: images[i % images.length] };
        }
      }
      const iterator = small.scan(inputs())[Symbol.asyncIterator]();
      await iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // One task of 2, 2 buffered results, a part-filled batch of 2 and one being read, plus the yielded one.
      expect(pulled).toBeLessThanOrEqual(8);
      let rest = 0;
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest++;
      expect(rest + 1).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('cancels with an AbortSignal: what went in comes out once (ABORTED), then the scan throws ABORTED', async () => {
    const controller = new AbortController();
    const seen: ScanResult[] = [];
    let pulled = 0;
    async function* inputs(): AsyncGenerator<ScanInput> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield { id: String(i), bytes: images[i % images.length] };
      }
    }
    await expect(
      (async () => {
        for await (const r of scanner.scan(inputs(), { signal: controller.signal })) {
          seen.push(r);
          if (seen.length === 5) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(pulled).toBeLessThan(1000);
    expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length);
    expect(seen.length).toBe(pulled);
    expect(seen.slice(5).every((r) => r.error?.code === 'ABORTED' || r.hashes)).toBe(true);
    // The pool survives the cancel.
    expect((await collect(scanner.scanBuffers(images.slice(0, 2)))).every((r) => r.hashes)).toBe(true);
  });

  it('still reports an input the source hands over while the cancel lands', async () => {
    const controller = new AbortController();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pulled = 0;
    async function* inputs(): AsyncGenerator<ScanInput> {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield { id: String(i), bytes: images[i] };
      }
      await gate;
      pulled++;
      yield { id: 'late', bytes: images[3] };
    }
    const seen: ScanResult[] = [];
    await expect(
      (async () => {
        for await (const r of scanner.scan(inputs(), { signal: controller.signal })) {
          seen.push(r);
          if (seen.length === 1) {
            controller.abort();
            setTimeout(release, 50);
          }
        }
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(pulled).toBe(4);
    expect(byId(seen).get('late')?.error?.code).toBe('ABORTED');
    expect(seen.length).toBe(pulled);
  });

  it('refuses an already-aborted signal before reading anything', async () => {
    let pulled = 0;
    function* inputs(): Generator<ScanInput> {
      pulled++;
      yield { id: 'x', bytes: images[0] };
    }
    await expect(collect(scanner.scan(inputs(), { signal: AbortSignal.abort() }))).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(pulled).toBe(0);
  });

  it('ends with the source’s error after the inputs already taken in came out', async () => {
    async function* failing(): AsyncGenerator<ScanInput> {
      for (let i = 0; i < 3; i++) yield { id: `ok${i}`, bytes: images[i] };
      throw new Error('crawler lost its connection');
    }
    const seen: ScanResult[] = [];
    await expect(
      (async () => {
        for await (const r of scanner.scan(failing())) seen.push(r);
      })(),
    ).rejects.toMatchObject({ code: 'READ_FAILED', message: 'crawler lost its connection' });
    expect(seen.map((r) => r.id).sort()).toEqual(['ok0', 'ok1', 'ok2']);
    expect(seen.every((r) => r.hashes?.pdq)).toBe(true);
  });

  it('refuses to scan once closed (SCANNER_CLOSED)', async () => {
    const closed = createScanner({ threads: 1 });
    await closed.close();
    expect(() => closed.scanBuffers(images)).toThrow(expect.objectContaining({ code: 'SCANNER_CLOSED' }));
  });

  it('ends its threads only once they have been idle a while (Node 20 can abort on a hot one)', async () => {
    const scanner = createScanner({ threads: 2, batch: { maxItems: 2 } });
    const results = [];
    for await (const r of scanner.scanBuffers(images)) results.push(r);
    const lastResult = performance.now();
    await scanner.close();
    expect(results.every((r) => r.hashes)).toBe(true);
    expect(performance.now() - lastResult).toBeGreaterThanOrEqual(THREAD_QUIET_MS);
  });

  it('ends a thread still loading only once it has loaded and then been idle a while', async () => {
    const slow = createScanner({ threads: 2, faultInjection: { slowStartMs: 800 } });
    const started = performance.now();
    await slow.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(800 + THREAD_QUIET_MS);
  });

  it('closing mid-scan: what went in comes out once (hashed or SCANNER_CLOSED), then the scan throws SCANNER_CLOSED', async () => {
    const closing = createScanner({ threads: 2, batch: { maxItems: 2 } });
    let pulled = 0;
    function* inputs(): Generator<ScanInput> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield { id: String(i), bytes: images[i % images.length] };
      }
    }
    const seen: ScanResult[] = [];
    let closed: Promise<void> | undefined;
    const notStarted = closing.scanBuffers(images)[Symbol.asyncIterator]();
    await expect(
      (async () => {
        for await (const r of closing.scan(inputs())) {
          seen.push(r);
          if (seen.length === 3) closed = closing.close();
        }
      })(),
    ).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    await closed;
    expect(pulled).toBeLessThan(1000);
    expect(byId(seen).size).toBe(pulled);
    const codes = new Set(seen.map((r) => r.error?.code ?? 'hashed'));
    expect(
      [...codes].every((code) => code === 'hashed' || code === 'SCANNER_CLOSED'),
      [...codes].join(),
    ).toBe(true);
    // A scan made before the close but not yet started is refused when first pulled.
    await expect(notStarted.next()).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
  });

  it('lets the consumer stop early without hanging', async () => {
    let count = 0;
    for await (const _ of scanner.scanBuffers(images)) if (++count === 2) break;
    expect(count).toBe(2);
    expect((await collect(scanner.scanBuffers(images.slice(0, 1))))[0].hashes?.pdq).toBeDefined();
  });
});

describe('scanner with an index', () => {
  it('matches every signal in batches on the main thread: near PDQ, exact SHA-256, allow-lists suppress', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-scan-index-'));
    const index = await openIndex(dir);
    const known = await syntheticImage(700, { width: 320, height: 240 });
    const reencoded = await sharp(known).resize(200).jpeg({ quality: 50 }).toBuffer();
    const other = await syntheticImage(701, { width: 320, height: 240 });
    const logo = await syntheticImage(702, { width: 320, height: 240 });
    const [h, l] = [await hashImage(known), await hashImage(logo)];
    index.add([
      { signal: 'pdq', hash: h.pdq as string, list: 'known', label: 'series-1', ref: 'case-9' },
      { signal: 'sha256', hash: h.sha256 as string, list: 'known', label: 'series-1' },
      { signal: 'pdq', hash: l.pdq as string, list: 'known', label: 'looks-like-logo' },
    ]);
    index.createList('logos', { allow: true });
    index.add([{ signal: 'pdq', hash: l.pdq as string, list: 'logos' }]);
    const scanner = createScanner({ index, threads: 2 });
    try {
      const results = byId(
        await collect(
          scanner.scan([
            { id: 'exact', bytes: known },
            { id: 'near', bytes: reencoded },
            { id: 'other', bytes: other },
            { id: 'logo', bytes: logo },
          ]),
        ),
      );
      const exact = results.get('exact');
      expect(exact?.matches.map((m) => [m.signal, m.list, m.distance])).toEqual([
        ['pdq', 'known', 0],
        ['sha256', 'known', 0],
      ]);
      expect(exact?.matches[0]).toMatchObject({ label: 'series-1', ref: 'case-9', hash: h.pdq });
      const near = results.get('near');
      expect(near?.matches).toHaveLength(1);
      expect(near?.matches[0].signal).toBe('pdq');
      expect(near?.matches[0].distance).toBeGreaterThan(0);
      expect(near?.matches[0].distance).toBeLessThanOrEqual(31);
      expect(results.get('other')?.matches).toEqual([]);
      expect(results.get('logo')?.matches).toEqual([]);
      expect(results.get('logo')?.suppressed.map((m) => m.label)).toEqual(['looks-like-logo']);
    } finally {
      await scanner.close();
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scanner whose threads cannot start', () => {
  it('ends the scan with SCANNER_FAILED instead of waiting forever, every input out once', async () => {
    const image = await syntheticImage(320, { width: 64, height: 64 });
    const scanner = createScanner({ threads: 2, faultInjection: { failOnStart: true } });
    const seen: ScanResult[] = [];
    await expect(
      (async () => {
        for await (const r of scanner.scanBuffers(Array.from({ length: 6 }, () => image))) seen.push(r);
      })(),
    ).rejects.toMatchObject({ code: 'SCANNER_FAILED', message: expect.stringMatching(/cannot start/) });
    expect(byId(seen).size).toBe(6);
    for (const r of seen) expect(['WORKER_CRASHED', 'SCANNER_FAILED']).toContain(r.error?.code);
    expect(() => scanner.scanBuffers([image])).toThrow(expect.objectContaining({ code: 'SCANNER_FAILED' }));
    await scanner.close();
  }, 20_000);
});

describe('scanner against a spinning decoder', () => {
  it('ends a thread that takes too long, reports WORKER_TIMEOUT for that input only, and goes on', async () => {
    const HANG = 'STAYDOWN-TEST-HANG';
    const images = await Promise.all([0, 1, 2, 3].map((i) => syntheticImage(300 + i, { width: 64, height: 64 })));
    const scanner = createScanner({
      threads: 2,
      taskTimeoutMs: 1500,
      batch: { maxItems: 3 },
      faultInjection: { hangOnPrefix: HANG },
    });
    try {
      const inputs: ScanInput[] = [
        ...images.slice(0, 2).map((bytes, i) => ({ id: `g${i}`, bytes })),
        { id: 'spinner', bytes: Buffer.from(`${HANG} decoder loop stand-in`) },
        ...images.slice(2).map((bytes, i) => ({ id: `g${i + 2}`, bytes })),
      ];
      const results = byId(await collect(scanner.scan(inputs)));
      expect(results.size).toBe(5);
      expect(results.get('spinner')?.error?.code).toBe('WORKER_TIMEOUT');
      for (let i = 0; i < 4; i++) expect(results.get(`g${i}`)?.hashes?.pdq, `g${i}`).toBeDefined();
      expect((await collect(scanner.scanBuffers(images.slice(0, 2)))).every((r) => r.hashes)).toBe(true);
    } finally {
      await scanner.close();
    }
  });

  it('closes while a thread spins: the spinning input is ended by its timeout and close() resolves', async () => {
    const HANG = 'STAYDOWN-TEST-HANG';
    const image = await syntheticImage(310, { width: 64, height: 64 });
    const scanner = createScanner({ threads: 1, taskTimeoutMs: 1500, faultInjection: { hangOnPrefix: HANG } });
    // A warm thread, so the spinner is running (not still queued) when close() comes.
    expect((await collect(scanner.scanBuffers([image])))[0].hashes?.pdq).toBeDefined();
    const inputs: ScanInput[] = [
      { id: 'spinner', bytes: Buffer.from(`${HANG} decoder loop stand-in`) },
      ...[0, 1, 2].map((i) => ({ id: `g${i}`, bytes: image })),
    ];
    const seen: ScanResult[] = [];
    const scanning = (async () => {
      for await (const r of scanner.scan(inputs)) seen.push(r);
    })();
    scanning.catch(() => {}); // it ends (SCANNER_CLOSED) before close() does; checked below
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await scanner.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(scanning).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    const results = byId(seen);
    expect(results.size).toBe(4);
    expect(results.get('spinner')?.error?.code).toBe('WORKER_TIMEOUT');
    for (let i = 0; i < 3; i++) expect(['SCANNER_CLOSED', undefined]).toContain(results.get(`g${i}`)?.error?.code);
  }, 20_000);
});
