import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileBounded } from './read-file.js';
import { fromInputs, moveWhole, type SourceItem, walkPaths } from './sources.js';

async function collect(source: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source) items.push(item);
  return items;
}

describe('walkPaths', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-sources-'));
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'top.bin'), Buffer.alloc(10, 1));
    writeFileSync(path.join(dir, 'a', 'mid.bin'), Buffer.alloc(20, 2));
    writeFileSync(path.join(dir, 'a', 'b', 'deep.bin'), Buffer.alloc(30, 3));
    writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(1000, 4));
    symlinkSync(path.join(dir, 'a'), path.join(dir, 'loop'));
    symlinkSync(path.join(dir, 'top.bin'), path.join(dir, 'link.bin'));
    symlinkSync(path.join(dir, 'gone.bin'), path.join(dir, 'broken.bin'));
    symlinkSync(path.join(dir, 'self'), path.join(dir, 'self'));
    execFileSync('mkfifo', [path.join(dir, 'a', 'pipe')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('walks folders recursively, follows file links but not folder links', async () => {
    const items = await collect(walkPaths([dir], 100));
    const names = items.map((i) => path.relative(dir, i.path ?? '')).sort();
    expect(names).toEqual([
      'a/b/deep.bin',
      'a/mid.bin',
      'a/pipe',
      'big.bin',
      'broken.bin',
      'link.bin',
      'self',
      'top.bin',
    ]);
    // Nothing inside a folder is skipped silently: a broken or looping link and a FIFO are reported.
    for (const name of ['a/pipe', 'broken.bin', 'self']) {
      const item = items.find((i) => i.path === path.join(dir, name));
      await expect(item?.load(), name).rejects.toMatchObject({ code: 'READ_FAILED' });
    }
    const deep = items.find((i) => i.path?.endsWith('deep.bin'));
    // A walked file is neither read nor stat'ed on this thread: the worker checks and reads it.
    expect(await deep?.load()).toEqual({ file: path.join(dir, 'a', 'b', 'deep.bin') });
    // A named file was stat'ed by the walk, so its size is known.
    const [named] = await collect(walkPaths([path.join(dir, 'top.bin')], 100));
    expect(await named.load()).toEqual({ file: path.join(dir, 'top.bin'), size: 10 });
    // Loading again (a retry) leaves the checks to the worker.
    expect(await named.load()).toEqual({ file: path.join(dir, 'top.bin') });
  });

  it('reads a file into a buffer of exactly its length, refusing one over the limit unread', () => {
    const bytes = readFileBounded(path.join(dir, 'a', 'b', 'deep.bin'), 100);
    expect(bytes.byteLength).toBe(30);
    expect(bytes.buffer.byteLength).toBe(30);
    expect(bytes.every((b) => b === 3)).toBe(true);
    expect(readFileBounded(path.join(dir, 'a', 'b', 'deep.bin'), 30).byteLength).toBe(30);
    expect(() => readFileBounded(path.join(dir, 'big.bin'), 100)).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    );
    expect(() => readFileBounded(path.join(dir, 'nope'), 100)).toThrow(
      expect.objectContaining({ code: 'READ_FAILED' }),
    );
    expect(() => readFileBounded(dir, 100)).toThrow(expect.objectContaining({ code: 'READ_FAILED' }));
  });

  it('reports oversized and missing files as failing loads, without reading them', async () => {
    const [big, missing] = await collect(walkPaths([path.join(dir, 'big.bin'), path.join(dir, 'nope')], 100));
    await expect(big.load()).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(missing.path).toBe(path.join(dir, 'nope'));
    await expect(missing.load()).rejects.toMatchObject({ code: 'READ_FAILED' });
  });
});

describe('in-memory inputs', () => {
  it('moves a whole buffer, never a part of a larger one', () => {
    const slab = new Uint8Array(1024);
    expect(moveWhole(slab.subarray(100, 110))).toBeUndefined();
    expect(slab.byteLength).toBe(1024);
    const whole = new Uint8Array([1, 2, 3, 4]);
    const moved = moveWhole(whole);
    expect(Array.from(moved ?? [])).toEqual([1, 2, 3, 4]);
    expect(whole.byteLength).toBe(0); // moved, not copied: the caller's is detached
  });

  it('with transfer, copies a part of a larger buffer at each load (retryable) and leaves the slab whole', async () => {
    const slab = new Uint8Array(64).fill(7);
    const [part] = await collect(fromInputs([{ id: 'p', bytes: slab.subarray(8, 16) }], true));
    expect(part.reloadable).toBe(true);
    const first = ((await part.load()) as { bytes: Uint8Array }).bytes;
    const again = ((await part.load()) as { bytes: Uint8Array }).bytes;
    expect(first.buffer).not.toBe(again.buffer);
    expect(Array.from(first)).toEqual(Array(8).fill(7));
    expect(slab.byteLength).toBe(64);
  });

  it('copies a Node Buffer view into memory of its own, so moving the copy leaves the caller’s slab whole', async () => {
    // Buffer.concat of more than the pool size gets an ArrayBuffer of its own, which can be moved.
    const slab = Buffer.concat([Buffer.alloc(6000, 1), Buffer.alloc(6000, 2)]);
    const view = slab.subarray(6000, 6010);
    for (const copy of [
      ((await (await collect(fromInputs([{ id: 'v', bytes: view }], true)))[0].load()) as { bytes: Uint8Array }).bytes,
      ((await (await collect(fromInputs([{ id: 'v', bytes: view }], false)))[0].load()) as { bytes: Uint8Array }).bytes,
    ]) {
      expect(copy.buffer).not.toBe(slab.buffer);
      expect(copy.buffer.byteLength).toBe(10);
      expect([...copy]).toEqual(Array(10).fill(2));
      structuredClone(copy, { transfer: [copy.buffer as ArrayBuffer] });
      expect(slab.byteLength).toBe(12_000);
      expect(view[0]).toBe(2);
    }
  });

  it('copies by default and takes the bytes over when asked', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const [copied] = await collect(fromInputs([{ id: 'a', bytes }], false));
    expect(copied.reloadable).toBe(true);
    expect(((await copied.load()) as { bytes: Uint8Array }).bytes).not.toBe(bytes);
    const [moved] = await collect(fromInputs([{ id: 'b', bytes }], true));
    expect(moved.reloadable).toBe(false);
    expect(Array.from(((await moved.load()) as { bytes: Uint8Array }).bytes)).toEqual([1, 2, 3]);
  });

  it('with transfer, detaches the caller’s buffer as the input is taken in: one given again fails alone', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const seen: number[] = [];
    async function* inputs() {
      yield { id: 'first', bytes };
      seen.push(bytes.byteLength); // the caller's code, resumed once the input was taken in
      yield { id: 'again', bytes };
    }
    const [first, again] = await collect(fromInputs(inputs(), true));
    expect(seen).toEqual([0]);
    expect(Array.from(((await first.load()) as { bytes: Uint8Array }).bytes)).toEqual([1, 2, 3]);
    await expect(again.load()).rejects.toMatchObject({
      code: 'EMPTY_INPUT',
      message: expect.stringMatching(/detached/),
    });
  });

  it('turns an input whose id cannot be made a string into a failing load named by its place, and goes on', async () => {
    const hostile = {
      toString() {
        throw new Error('no name');
      },
    };
    const items = await collect(
      fromInputs(
        [
          { id: hostile as unknown as string, bytes: new Uint8Array([1]) },
          { id: 'fine', bytes: new Uint8Array([2]) },
        ],
        false,
      ),
    );
    expect(items.map((i) => i.id)).toEqual(['#0', 'fine']);
    await expect(items[0].load()).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/no name/),
    });
    await expect(items[1].load()).resolves.toMatchObject({ size: 1 });
  });

  it('turns bytes that cannot be read (a Proxy of a Uint8Array, a throwing buffer getter) into a failing load, and goes on', async () => {
    const odd = new Uint8Array([1, 2]);
    Object.defineProperty(odd, 'buffer', {
      get() {
        throw new Error('no buffer');
      },
    });
    for (const transfer of [false, true]) {
      const items = await collect(
        fromInputs(
          [
            { id: 'proxy', bytes: new Proxy(new Uint8Array([1]), {}) },
            ...(transfer ? [{ id: 'odd', bytes: odd }] : []),
            { id: 'fine', bytes: new Uint8Array([2]) },
          ],
          transfer,
        ),
      );
      expect(items.map((i) => i.id)).toEqual(transfer ? ['proxy', 'odd', 'fine'] : ['proxy', 'fine']);
      for (const bad of items.slice(0, -1)) await expect(bad.load()).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      await expect(items.at(-1)?.load()).resolves.toMatchObject({ size: 1 });
    }
  });

  it('turns an input without bytes into a failing load', async () => {
    const [bad] = await collect(
      fromInputs([{ id: 7 as unknown as string, bytes: 'x' as unknown as Uint8Array }], false),
    );
    expect(bad.id).toBe('7');
    await expect(bad.load()).rejects.toMatchObject({ code: 'EMPTY_INPUT' });
  });
});

describe('file names that are not valid UTF-8', () => {
  it('are walked, shown with U+FFFD and still read by their real bytes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-names-'));
    try {
      const raw = Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]);
      writeFileSync(raw, Buffer.alloc(12, 7));
      const [item] = await collect(walkPaths([dir], 100));
      expect(item.path).toBe(`${dir}/bad\ufffd\ufffd.bin`);
      const payload = (await item.load()) as { file: Uint8Array };
      expect(Buffer.from(payload.file).equals(raw)).toBe(true);
      expect([...readFileBounded(payload.file, 100)]).toEqual(Array(12).fill(7));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('special files', () => {
  it('refuses a FIFO named on the command line without opening it (it would block)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-fifo-'));
    try {
      const fifo = path.join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      const [item] = await collect(walkPaths([fifo], 100));
      await expect(item.load()).rejects.toMatchObject({ code: 'READ_FAILED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readFileBounded on a file larger than its size said', () => {
  // /proc files stat as 0 bytes but have content: the same path as a file that grew after its
  // size was taken.
  it.runIf(process.platform === 'linux')('reads on past the size, and never past the limit', () => {
    const text = Buffer.from(readFileBounded('/proc/self/status', 1 << 20)).toString('utf8');
    expect(text).toMatch(/^Name:/);
    expect(() => readFileBounded('/proc/self/status', 10)).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringMatching(/grew/) }),
    );
  });
});

describe('readFileBounded on a FIFO', () => {
  it('refuses a FIFO without blocking (a file swapped for a pipe after the walk)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'staydown-fifo-'));
    try {
      const fifo = path.join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      expect(() => readFileBounded(fifo, 100)).toThrow(expect.objectContaining({ code: 'READ_FAILED' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
