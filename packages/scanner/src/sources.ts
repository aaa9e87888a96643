import { type Dirent, promises as fs } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { displayPath, type FilePath, readFailed } from './read-file.js';
import type { ScanInput } from './types.js';

/**
 * What a task carries for one input: bytes the caller handed in (moved to the worker: an
 * ArrayBuffer of exactly their length that nobody else holds), or a file the worker reads
 * itself, so file bytes never pass through the main thread. `size` sizes the batches; a file
 * found by walking a folder has none (the worker checks its size before reading it, so this
 * thread does not pay a stat per file).
 */
export type Payload = { bytes: Uint8Array; size: number } | { file: FilePath; size?: number };

/**
 * One input as the pipeline sees it. `load()` gives its payload (for a file named by the
 * caller: checks it is a regular file no larger than the limit, from the walk's stat). `reloadable` inputs can be loaded
 * again, so a batch-mate of a crashing image can be retried.
 */
export interface SourceItem {
  id: string;
  path?: string;
  reloadable: boolean;
  load(): Promise<Payload>;
}

/**
 * Exactly the view's bytes in a fresh ArrayBuffer nobody else holds. Not `bytes.slice()`: on a
 * Node Buffer that is a view of the same memory, and transferring it would detach the caller's
 * whole slab (every other Buffer cut from it included).
 */
export function ownCopy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * For `transfer: true`: a view of a whole, transferable ArrayBuffer has that buffer moved into
 * a new one only the scan holds (no copy; the caller's is detached at once). Undefined for a view
 * of part of a larger or shared buffer, which is copied instead, so the rest of the caller's slab
 * stays theirs.
 */
export function moveWhole(bytes: Uint8Array): Uint8Array | undefined {
  const whole =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  if (!whole) return undefined;
  return new Uint8Array(structuredClone(bytes.buffer as ArrayBuffer, { transfer: [bytes.buffer as ArrayBuffer] }));
}

type Stat = import('node:fs').Stats;

/** Sizes a file for batching and refuses what the worker must not read (checked again there). */
function checkStat(where: FilePath, maxBytes: number, stat: Stat): Payload {
  const file = displayPath(where);
  if (!stat.isFile()) {
    throw new StaydownError(ErrorCodes.READ_FAILED, `${file} is not a regular file`, { details: { path: file } });
  }
  if (stat.size > maxBytes) {
    throw new StaydownError(ErrorCodes.TOO_LARGE, `${file} is ${stat.size} bytes, over the ${maxBytes}-byte limit`, {
      details: { path: file, size: stat.size, limit: maxBytes },
    });
  }
  return { file: where, size: stat.size };
}

/**
 * `known`: the file's stat when the walk took it anyway (a path the caller named, a symlink).
 * Used once; a retry leaves the checks to the worker.
 */
function fileItem(file: FilePath, maxBytes: number, known?: Stat): SourceItem {
  let first = known;
  const shown = displayPath(file);
  return {
    id: shown,
    path: shown,
    reloadable: true,
    load: async () => {
      const stat = first;
      first = undefined;
      return stat ? checkStat(file, maxBytes, stat) : { file };
    },
  };
}

function failedItem(file: FilePath, error: StaydownError): SourceItem {
  const shown = displayPath(file);
  return { id: shown, path: shown, reloadable: false, load: () => Promise.reject(error) };
}

/**
 * `dir/name` as a string when it is valid UTF-8 (nearly always), else as raw bytes, so that
 * a file whose name is not UTF-8 can still be opened.
 */
function childPath(dir: FilePath, name: Buffer): FilePath {
  const full = Buffer.concat([typeof dir === 'string' ? Buffer.from(dir) : dir, Buffer.from(path.sep), name]);
  const text = full.toString('utf8');
  return Buffer.byteLength(text) === full.length && Buffer.from(text).equals(full) ? text : full;
}

function notRegular(file: FilePath): SourceItem {
  // A FIFO or device would block the read (or never end): refuse it without opening it.
  const shown = displayPath(file);
  return failedItem(
    file,
    new StaydownError(ErrorCodes.READ_FAILED, `${shown} is not a regular file or folder`, { details: { path: shown } }),
  );
}

/**
 * Walks files and folders lazily (a directory handle at a time, never the whole tree in
 * memory). Symlinked files are followed; symlinked folders are not, so cycles cannot loop.
 * A path that cannot be read, a broken link and a special file (FIFO, socket, device) each
 * become one item whose load fails with READ_FAILED: nothing in a folder is skipped silently
 * except links to folders.
 */
export async function* walkPaths(paths: Iterable<string>, maxBytes: number): AsyncGenerator<SourceItem> {
  for (const start of paths) {
    let stat: Stat;
    try {
      stat = await fs.stat(start);
    } catch (error) {
      yield failedItem(start, readFailed(start, error));
      continue;
    }
    if (stat.isDirectory()) yield* walkDirectory(start, maxBytes);
    else if (stat.isFile()) yield fileItem(start, maxBytes, stat);
    else yield notRegular(start);
  }
}

/**
 * A folder's files, then each subfolder's in turn, depth first. The folders still to visit are
 * on a stack of this walk's own: a recursion as deep as the tree overflowed the call stack at
 * about 2 000 levels and ended the whole scan.
 */
async function* walkDirectory(root: FilePath, maxBytes: number): AsyncGenerator<SourceItem> {
  const pending: FilePath[] = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let handle: Awaited<ReturnType<typeof fs.opendir>>;
    try {
      // Names as bytes: a name that is not valid UTF-8 must still name its file (childPath).
      // (@types/node leaves 'buffer' out of opendir's encodings; Node 20 takes it.)
      handle = await fs.opendir(typeof dir === 'string' ? dir : Buffer.from(dir), {
        encoding: 'buffer' as BufferEncoding,
      });
    } catch (error) {
      yield failedItem(dir, readFailed(displayPath(dir), error));
      continue;
    }
    const subdirs: FilePath[] = [];
    for await (const entry of handle as unknown as AsyncIterable<Dirent<Buffer>>) {
      const full = childPath(dir, entry.name);
      if (entry.isDirectory()) subdirs.push(full);
      else if (entry.isFile()) yield fileItem(full, maxBytes);
      else if (entry.isSymbolicLink()) {
        let target: Stat;
        try {
          target = await fs.stat(typeof full === 'string' ? full : Buffer.from(full));
        } catch (error) {
          yield failedItem(full, readFailed(displayPath(full), error)); // a broken or looping link
          continue;
        }
        if (target.isFile()) yield fileItem(full, maxBytes, target);
        else if (!target.isDirectory()) yield notRegular(full);
      } else yield notRegular(full);
    }
    // Reversed, so the first subfolder is the next one taken.
    for (let i = subdirs.length - 1; i >= 0; i--) pending.push(subdirs[i]);
  }
}

/**
 * Wraps caller-supplied bytes. Without `transfer` the pipeline copies exactly the view (never
 * a whole shared slab) at each load, so the caller's bytes stay intact and a crashed batch's
 * inputs can be loaded again. With `transfer` a whole buffer is taken over as its input is taken
 * in (see moveWhole): the caller's is detached at once, so nothing the caller does with it later
 * (moving it elsewhere, giving it again) can reach a batch, where a detached buffer would fail
 * the whole task and lose its batch-mates' moved bytes. A buffer given again is then simply
 * detached: EMPTY_INPUT, alone. A part of a larger buffer is copied, as without `transfer`.
 *
 * An input that cannot be read fails alone: named by its id, or by its place in the stream
 * (`#N`) when even the id cannot be read.
 */
export async function* fromInputs(
  inputs: Iterable<ScanInput> | AsyncIterable<ScanInput>,
  transfer: boolean,
): AsyncGenerator<SourceItem> {
  let position = 0;
  for await (const input of inputs) {
    const at = position++;
    let key = `#${at}`;
    let item: SourceItem;
    try {
      const { id, bytes } = input ?? {};
      key = String(id);
      item = bytesItem(key, bytes, transfer);
    } catch (cause) {
      // A throwing getter or toString, a Proxy that is not really a Uint8Array…
      const error = new StaydownError(
        ErrorCodes.INVALID_OPTION,
        `input ${key} cannot be read (${(cause as Error)?.message ?? String(cause)})`,
        { cause, details: { id: key, position: at } },
      );
      item = failing(key, error);
    }
    yield item;
  }
}

function bytesItem(key: string, bytes: unknown, transfer: boolean): SourceItem {
  // No bytes: nothing to hash, and a detached buffer (moved elsewhere already) cannot be sent.
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
    // (Node 20 cannot tell a detached buffer from an empty one: the message names both.)
    return failing(
      key,
      new StaydownError(
        ErrorCodes.EMPTY_INPUT,
        `input ${key} has no bytes (expected a non-empty Uint8Array; one moved elsewhere before, e.g. given earlier with transfer: true, which moves each buffer once, is detached and empty)`,
        { details: { id: key } },
      ),
    );
  }
  const moved = transfer ? moveWhole(bytes) : undefined;
  if (moved) return { id: key, reloadable: false, load: async () => ({ bytes: moved, size: moved.byteLength }) };
  return { id: key, reloadable: true, load: async () => ({ bytes: ownCopy(bytes), size: bytes.byteLength }) };
}

function failing(key: string, error: StaydownError): SourceItem {
  return { id: key, reloadable: false, load: () => Promise.reject(error) };
}
