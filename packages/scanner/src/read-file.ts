import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ErrorCodes, StaydownError } from '@staydown/core';

/**
 * A file's path: a string, or its raw bytes when the name is not valid UTF-8 (a string would
 * turn the bad bytes into U+FFFD and name a file that does not exist, so such a file could
 * never be hashed: a way to slip past matching).
 */
export type FilePath = string | Uint8Array;

/** The path as people read it (bad bytes shown as U+FFFD); ids, results and messages use this. */
export function displayPath(file: FilePath): string {
  return typeof file === 'string' ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('utf8');
}

/** Reused for the read that finds the end of a file (zero-filling a fresh buffer for it costs more than the read). */
const PROBE = new Uint8Array(4096);

/**
 * Reads a whole regular file on the calling thread (a pool thread). A file over `maxBytes` is
 * refused by its size before any byte is read, and one that grows while read is never read
 * past `maxBytes + 1` bytes. Opened non-blocking, so a file swapped for a FIFO after the walk
 * cannot hang the thread. The result owns its ArrayBuffer exactly (nothing pooled or shared).
 */
export function readFileBounded(where: FilePath, maxBytes: number): Uint8Array {
  const file = displayPath(where);
  let fd: number;
  try {
    fd = openSync(
      typeof where === 'string' ? where : Buffer.from(where),
      constants.O_RDONLY | (constants.O_NONBLOCK ?? 0),
    );
  } catch (error) {
    throw readFailed(file, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new StaydownError(ErrorCodes.READ_FAILED, `${file} is not a regular file`, { details: { path: file } });
    }
    if (stat.size > maxBytes) throw tooLarge(file, stat.size, maxBytes);
    const expected = new Uint8Array(stat.size);
    const length = readInto(fd, expected);
    // A file that shrank since its size was taken: only the bytes that were there.
    if (length < expected.length) return expected.slice(0, length);
    // The usual case: the file ends where its size said (one small read to see the end).
    const probe = readSync(fd, PROBE, 0, PROBE.length, null);
    if (probe === 0) return expected;
    // A file that grew since: read on, never past the limit.
    let total = length + probe;
    if (total > maxBytes) throw tooLarge(file, total, maxBytes, true);
    const chunks = [expected, PROBE.slice(0, probe)];
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readInto(fd, chunk);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(file, total, maxBytes, true);
      chunks.push(chunk.subarray(0, n));
    }
    const whole = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      whole.set(chunk, at);
      at += chunk.length;
    }
    return whole;
  } catch (error) {
    throw error instanceof StaydownError ? error : readFailed(file, error);
  } finally {
    closeSync(fd);
  }
}

/** Reads until `into` is full or the file ends; returns how many bytes were read. */
function readInto(fd: number, into: Uint8Array): number {
  let length = 0;
  while (length < into.length) {
    const n = readSync(fd, into, length, into.length - length, null);
    if (n === 0) break;
    length += n;
  }
  return length;
}

function tooLarge(file: string, size: number, limit: number, grew = false): StaydownError {
  const message = grew
    ? `${file} grew over the ${limit}-byte limit while read`
    : `${file} is ${size} bytes, over the ${limit}-byte limit`;
  return new StaydownError(ErrorCodes.TOO_LARGE, message, {
    details: grew ? { path: file, limit } : { path: file, size, limit },
  });
}

export function readFailed(file: string, error: unknown): StaydownError {
  const code = (error as NodeJS.ErrnoException)?.code;
  return new StaydownError(ErrorCodes.READ_FAILED, `cannot read ${file}: ${(error as Error)?.message ?? error}`, {
    cause: error,
    details: { path: file, ...(code ? { errno: code } : {}) },
  });
}
