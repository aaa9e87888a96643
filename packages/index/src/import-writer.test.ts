import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { THREAD_QUIET_MS } from '@staydown/core';
import { afterAll, describe, expect, it } from 'vitest';
import { batchEntries, ImportWriter, threadOptions, type WriteBatch } from './import-writer.js';
import { IndexStore } from './store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'staydown-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A batch of `n` pdq entries in key order, in two lists, the first list's twice with other fields. */
function batch(n: number): WriteBatch {
  const hashes = new Uint8Array(n * 32);
  const lengths = new Uint8Array(n).fill(32);
  const listOf = new Uint32Array(n);
  const fieldsOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hashes[i * 32] = Math.floor(i / 2);
    hashes[i * 32 + 31] = 7;
    listOf[i] = i % 2;
    fieldsOf[i] = i % 2;
  }
  return {
    signal: 'pdq',
    count: n,
    hashes,
    lengths,
    stride: 32,
    listOf,
    lists: ['a', 'b'],
    fieldsOf,
    fields: [
      ['grade 1', 'case-1', '2026-11-29T00:00:00.000Z', 'x.txt'],
      [null, null, '2026-11-28T00:00:00.000Z', null],
    ],
  };
}

describe('ImportWriter', () => {
  it('writes batches on its thread, in order, as IndexStore.write does here', async () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    await IndexStore.open(dir, false).close(); // the store the import would have opened
    const expected = batchEntries(batch(6));
    const writer = new ImportWriter(dir);
    const first = writer.write(batch(6));
    const again = writer.write(batch(6)); // the same entries again: all there already
    expect(await first).toMatchObject({ added: 6, existing: 0, generations: [['pdq', 0, 1]] });
    expect(Array.from((await first).stored)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await again).toMatchObject({ added: 0, existing: 6, generations: [] });
    await writer.close();
    const store = IndexStore.open(dir, true);
    expect([...store.iterate()]).toEqual(expected.map((e) => ({ ...e, addedAt: new Date(e.addedAt).toISOString() })));
    await store.close();
  });

  it('fails every batch with a coded error, and closes, when its thread cannot open the store', async () => {
    const writer = new ImportWriter(path.join(tmp, 'no-such-index'));
    const results = await Promise.allSettled([writer.write(batch(2)), writer.write(batch(2))]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: expect.any(String) });
    }
    await expect(writer.write(batch(1))).rejects.toMatchObject({ code: expect.any(String) });
    await writer.close();
  });

  it('ends its thread by itself once idle, never from outside while it may still be compiling', async () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    await IndexStore.open(dir, false).close();
    const writer = new ImportWriter(dir);
    const thread = (writer as unknown as { worker: Worker }).worker;
    const exit = new Promise<{ code: number; at: number }>((resolve) =>
      thread.on('exit', (code) => resolve({ code, at: performance.now() })),
    );
    for (let i = 0; i < 20; i++) await writer.write(batch(200));
    const lastWrite = performance.now();
    await writer.close();
    const { code, at } = await exit;
    expect(code).toBe(0); // terminate() would have given 1
    expect(at - lastWrite).toBeGreaterThanOrEqual(THREAD_QUIET_MS);
  });

  it('stopped while closing, still lets the batch under way finish before the thread ends', async () => {
    const dir = mkdtempSync(path.join(tmp, 'db-'));
    await IndexStore.open(dir, false).close();
    // A thread not ended 1.5 s past its quiet time is terminated: far less than the batch takes.
    const writer = new ImportWriter(dir, 1500);
    const thread = (writer as unknown as { worker: Worker }).worker;
    const exit = new Promise<number>((resolve) => thread.on('exit', resolve));
    await writer.write(batch(2)); // the thread is up
    const written = writer.write(batch(400_000)).catch(() => 'failed');
    await new Promise((r) => setTimeout(r, 20)); // and has taken the batch (a few hundred ms of writes)
    const closing = writer.close();
    await writer.abort();
    await closing;
    expect(await exit).toBe(0); // ended by itself, after its batch: never terminated inside it
    expect(await written).toBe('failed'); // the abort failed it here
    const store = IndexStore.open(dir, true);
    // The thread wrote it whole: its 400 000 entries hold 256 hashes (a byte's worth) in 2 lists.
    expect([...store.iterate()]).toHaveLength(512);
    await store.close();
  });

  it('lets the thread inherit the process options, leaving out only --input-type', () => {
    expect(threadOptions(['--max-old-space-size=4096', '--expose-gc'])).toEqual({});
    expect(threadOptions(['--input-type=module', '--conditions=dev'])).toEqual({ execArgv: ['--conditions=dev'] });
    expect(threadOptions(['--no-warnings', '--input-type', 'module'])).toEqual({ execArgv: ['--no-warnings'] });
  });
});
