import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { BUILTIN_SIGNALS, type BuiltinSignalName, ErrorCodes, StaydownError, toStaydownError } from '@staydown/core';
import {
  DEFAULT_DECODE_LIMITS,
  DIHEDRAL_NAMES,
  hashImage,
  type ImageHashes,
  PDQ_PIPELINES,
  type PdqPipeline,
} from '@staydown/hashing';
import { readFileBounded } from '@staydown/scanner';
import { parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';

/**
 * `staydown hash [--json] [--signals pdq,blockhash,md5,sha1,sha256] [--pdq reference|fullres|fast]
 *  [--dihedral] PATH...` — hashes files and folders (walked recursively, names in byte order)
 * and streams one result per file as it is done. Exit 0 when every file hashed, 1 when any
 * failed, 2 on a usage error.
 */

const HELP = `usage: staydown hash [--json] [--signals ${BUILTIN_SIGNALS.join(',')}] [--pdq ${PDQ_PIPELINES.join('|')}] [--dihedral] PATH...

Hashes image files; folders are walked recursively in a stable order.
  --json        one JSON object per line per file
  --signals     comma-separated signals (default: all)
  --pdq         PDQ pipeline (default: reference)
  --dihedral    also print the eight PDQ dihedral variants
`;

interface HashCommandOptions {
  json: boolean;
  signals: BuiltinSignalName[];
  pdq: PdqPipeline;
  dihedral: boolean;
  paths: string[];
}

function parseOptions(argv: string[]): HashCommandOptions | 'help' {
  const { values, positionals } = parseCommandArgs(argv, {
    json: { type: 'boolean', default: false },
    signals: { type: 'string' },
    pdq: { type: 'string', default: 'reference' },
    dihedral: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const signals = (values.signals ?? BUILTIN_SIGNALS.join(','))
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (signals.length === 0) throw usage('--signals needs at least one signal');
  for (const s of signals) {
    if (!(BUILTIN_SIGNALS as readonly string[]).includes(s)) {
      throw usage(`unknown signal ${JSON.stringify(s)}; known: ${BUILTIN_SIGNALS.join(', ')}`);
    }
  }
  const pdq = String(values.pdq);
  if (!(PDQ_PIPELINES as readonly string[]).includes(pdq)) {
    throw usage(`unknown PDQ pipeline ${JSON.stringify(pdq)}; known: ${PDQ_PIPELINES.join(', ')}`);
  }
  const unique = BUILTIN_SIGNALS.filter((s) => signals.includes(s));
  if (values.dihedral && !unique.includes('pdq')) throw usage('--dihedral needs the pdq signal');
  if (positionals.length === 0) throw usage('no PATH given (files or folders to hash)');
  return {
    json: Boolean(values.json),
    signals: unique,
    pdq: pdq as PdqPipeline,
    dihedral: Boolean(values.dihedral),
    paths: positionals,
  };
}

/** A file to hash, or a path that could not be listed (reported as that file's error). */
type WalkItem = { path: string; absolute: string } | { path: string; error: StaydownError };

function readFailed(shown: string, error: unknown): StaydownError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason = code === 'ENOENT' ? 'no such file or folder' : ((error as Error)?.message ?? String(error));
  return new StaydownError(ErrorCodes.READ_FAILED, `cannot read ${shown}: ${reason}`, {
    cause: error,
    details: { path: shown, errno: code },
  });
}

/** Byte-order comparison: the same order on every machine and locale. */
const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Yields files lazily, folders recursively in name order. Symbolic links to folders are not
 * followed (no cycles); links to files are hashed; anything else that is not a folder (a FIFO,
 * a socket, a device) is yielded too and refused when read, never skipped unsaid. The folders
 * being walked are on a stack of this walk's own: recursion overflowed the call stack at
 * about 2 000 levels.
 */
async function* walk(shown: string, absolute: string): AsyncGenerator<WalkItem> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(absolute);
  } catch (error) {
    yield { path: shown, error: readFailed(shown, error) };
    return;
  }
  if (!info.isDirectory()) {
    yield { path: shown, absolute };
    return;
  }
  const open: { shown: string; absolute: string; entries: Dirent[]; next: number }[] = [];
  const enter = async function* (dirShown: string, dirAbsolute: string): AsyncGenerator<WalkItem> {
    try {
      const entries = (await readdir(dirAbsolute, { withFileTypes: true })).sort(byName);
      open.push({ shown: dirShown, absolute: dirAbsolute, entries, next: 0 });
    } catch (error) {
      yield { path: dirShown, error: readFailed(dirShown, error) };
    }
  };
  yield* enter(shown, absolute);
  while (open.length > 0) {
    const dir = open[open.length - 1];
    if (dir.next === dir.entries.length) {
      open.pop();
      continue;
    }
    const entry = dir.entries[dir.next++];
    const childShown = path.join(dir.shown, entry.name);
    const childAbsolute = path.join(dir.absolute, entry.name);
    if (entry.isDirectory()) yield* enter(childShown, childAbsolute);
    else if (entry.isSymbolicLink()) {
      const target = await stat(childAbsolute).catch(() => undefined);
      if (target?.isDirectory()) continue;
      yield { path: childShown, absolute: childAbsolute };
    } else yield { path: childShown, absolute: childAbsolute };
  }
}

/**
 * Reads a regular file, refusing one over the byte limit before reading it, and anything that
 * is not a regular file (a FIFO would block for ever, /dev/zero would fill memory).
 */
function readLimited(item: { path: string; absolute: string }): Buffer {
  try {
    const bytes = readFileBounded(item.absolute, DEFAULT_DECODE_LIMITS.maxBytes);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    // Named as the user gave it (relative to their folder), not by the absolute path read.
    const e = toStaydownError(error, ErrorCodes.READ_FAILED);
    throw new StaydownError(e.code, e.message.split(item.absolute).join(item.path), {
      cause: error,
      details: { ...e.details, path: item.path },
    });
  }
}

/** The JSON line of one hashed file: only the requested signals, `quality` with pdq. */
function jsonRecord(shown: string, h: ImageHashes, options: HashCommandOptions): Record<string, unknown> {
  const record: Record<string, unknown> = { path: shown };
  for (const signal of options.signals) {
    record[signal] = h[signal];
    if (signal === 'pdq') record.quality = h.quality;
  }
  if (options.dihedral && h.pdqDihedral) {
    record.pdqDihedral = Object.fromEntries(DIHEDRAL_NAMES.map((n) => [n, h.pdqDihedral?.[n]]));
  }
  return record;
}

const HEX_WIDTH: Record<BuiltinSignalName, number> = { pdq: 64, blockhash: 64, md5: 32, sha1: 40, sha256: 64 };

/** The table: fixed-width hash columns first and the path last, so lines stream aligned. */
function tableHeader(options: HashCommandOptions): string {
  const cols = options.signals.flatMap((s) =>
    s === 'pdq' ? [s.padEnd(HEX_WIDTH[s]), 'qual'] : [s.padEnd(HEX_WIDTH[s])],
  );
  return `${[...cols, 'path'].join('  ')}\n`;
}

function tableRow(shown: string, h: ImageHashes, options: HashCommandOptions): string {
  const cols = options.signals.flatMap((s) => {
    const value = (h[s] ?? '').padEnd(HEX_WIDTH[s]);
    if (s !== 'pdq') return [value];
    return [value, `${String(h.quality ?? '').padStart(3)}${h.lowQuality ? '!' : ' '}`];
  });
  let text = `${[...cols, shown].join('  ')}\n`;
  if (options.dihedral && h.pdqDihedral) {
    for (const name of DIHEDRAL_NAMES) text += `    ${name.padEnd(10)}  ${h.pdqDihedral[name]}\n`;
  }
  return text;
}

function tableError(shown: string, error: StaydownError): string {
  return `error ${error.code}: ${error.message}  ${shown}\n`;
}

/** Writes and waits for the stream to drain when its buffer is full (large folders). */
async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (!options.json) await write(io.stdout, tableHeader(options));
  let failed = 0;
  let hashed = 0;
  for (const given of options.paths) {
    for await (const item of walk(given, path.resolve(io.cwd, given))) {
      let hashes: ImageHashes | undefined;
      let error: StaydownError | undefined;
      if ('error' in item) {
        error = item.error;
      } else {
        try {
          const bytes = readLimited(item);
          hashes = await hashImage(bytes, { signals: options.signals, pdq: options.pdq, dihedral: options.dihedral });
        } catch (caught) {
          error = toStaydownError(caught);
        }
      }
      if (error) {
        failed++;
        const line = options.json
          ? `${JSON.stringify({ path: item.path, error: { code: error.code, message: error.message } })}\n`
          : tableError(item.path, error);
        await write(io.stdout, line);
      } else if (hashes) {
        hashed++;
        await write(
          io.stdout,
          options.json
            ? `${JSON.stringify(jsonRecord(item.path, hashes, options))}\n`
            : tableRow(item.path, hashes, options),
        );
      }
    }
  }
  if (!options.json) {
    io.stderr.write(
      `${hashed} file(s) hashed, ${failed} failed${options.signals.includes('pdq') ? '; ! = low quality (< 50)' : ''}\n`,
    );
  }
  return failed > 0 ? ExitCode.FAILED : ExitCode.OK;
}
