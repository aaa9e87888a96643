import type { Writable } from 'node:stream';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { csvLines, hmaSignalName, jsonLine, type ListFormat } from './formats.js';
import type { HashIndex } from './hash-index.js';
import type { Entry } from './store.js';

export interface ExportOptions {
  format: ListFormat;
  /** Only this list. */
  list?: string;
  /** Only this signal; text exports default to `pdq` (a text file holds one signal). */
  signal?: string;
}

/**
 * Writes entries to `out` in a list format, honouring backpressure. csv and jsonl keep every
 * field; text and hma keep signal and hash, each distinct hash once. Returns lines written.
 */
export async function exportEntries(index: HashIndex, out: Writable, options: ExportOptions): Promise<number> {
  const signal = options.format === 'text' ? (options.signal ?? 'pdq') : options.signal;
  let lines = 0;
  let pending: string[] = [];
  let csvRows: Entry[] = [];
  let headerWritten = false;
  let last = '';
  const write = async (chunk: string) => {
    if (out.write(chunk)) return;
    // Waits for room, or stops when the reader has gone (a closed pipe never drains).
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        out.off('drain', onDrain);
        out.off('error', onError);
        out.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () =>
        done(new StaydownError(ErrorCodes.WRITE_FAILED, 'the output closed before the export ended'));
      out.once('drain', onDrain);
      out.once('error', onError);
      out.once('close', onClose);
    });
  };
  const flush = async () => {
    if (options.format === 'csv' && (csvRows.length > 0 || !headerWritten)) {
      pending.push(csvLines(csvRows, !headerWritten));
      headerWritten = true;
      csvRows = [];
    }
    if (pending.length) await write(pending.join(''));
    pending = [];
  };
  for (const e of index.entries({ list: options.list, signal })) {
    switch (options.format) {
      case 'csv':
        csvRows.push(e);
        break;
      case 'jsonl':
        pending.push(jsonLine(e));
        break;
      case 'text':
      case 'hma': {
        const key = `${e.signal} ${e.hash}`;
        if (key === last) continue; // entries come sorted by signal, then hash
        last = key;
        pending.push(options.format === 'text' ? `${e.hash}\n` : `${hmaSignalName(e.signal)} ${e.hash}\n`);
        break;
      }
    }
    lines++;
    if (csvRows.length + pending.length >= 2000) await flush();
  }
  await flush();
  return lines;
}
