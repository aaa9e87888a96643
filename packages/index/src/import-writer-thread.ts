import { parentPort, workerData } from 'node:worker_threads';
import { untilThreadQuiet } from '@staydown/core';
import { batchEntries, type WriterData, type WriterReply, type WriterRequest } from './import-writer.js';
import { IndexStore } from './store.js';

/** The import writer thread (import-writer.ts): one store, one transaction per batch, in order. */

const port = parentPort;
if (!port) throw new Error('import-writer-thread runs as a worker thread');
const { dir, stop } = workerData as WriterData;
const store = IndexStore.open(dir, false, true);

port.on('message', async (request: WriterRequest) => {
  if ('close' in request) {
    await store.close();
    port.postMessage({ id: request.id } satisfies WriterReply);
    // Then the thread ends by itself, idle: ended while hot, it could take the process down
    // with it (THREAD_QUIET_MS in @staydown/core says why).
    await untilThreadQuiet(performance.now());
    port.close();
    return;
  }
  try {
    // Stopped (abort()): batches not yet started are skipped, never half-written.
    if (Atomics.load(stop, 0) === 1) throw { code: 'IMPORT_FAILED', message: 'the import was stopped' };
    const outcome = store.write(batchEntries(request.batch), () => false, { inKeyOrder: true });
    const stored = new Uint8Array(request.batch.count);
    if (outcome.stored) stored.set(outcome.stored);
    const reply: WriterReply = {
      id: request.id,
      result: {
        added: outcome.added,
        existing: outcome.existing,
        generations: [...outcome.generations].map(([signal, g]) => [signal, g.before, g.after]),
        stored,
      },
    };
    port.postMessage(reply, [stored.buffer]);
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; details?: unknown };
    port.postMessage({
      id: request.id,
      error: { code: e?.code, message: String(e?.message ?? error), details: e?.details },
    } satisfies WriterReply);
  }
});
