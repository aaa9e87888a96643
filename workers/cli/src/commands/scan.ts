import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { ErrorCodes, isStaydownError } from '@staydown/core';
import type { PdqPipeline } from '@staydown/hashing';
import { openIndex } from '@staydown/index';
import { createScanner, maxThreads, type ScanResult } from '@staydown/scanner';
import cliProgress from 'cli-progress';
import { intFlag, parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';

export const SCAN_HELP = `usage: staydown scan --db DIR [--threads N] [--images-per-thread N] [--pdq reference|fullres|fast] [--json] PATH...

Hashes every image under PATH (folders are walked) on every core and matches it against the
hash lists in DIR.

options:
  --db DIR        the index to match against (required)
  --threads N     worker threads (default: the number of cores)
  --images-per-thread N
                  images each thread has in hand, 1 to 8. With 2, one decodes while the
                  other is hashed, so no core idles at the hand-over; a thread then keeps
                  up to about 1.4 cores busy. Default: 2 with a thread per core (as by
                  default), 1 with fewer threads than cores (--threads then bounds the
                  cores the scan uses)
  --pdq PIPELINE  reference (default), fullres or fast
  --json          one JSON line per file on stdout:
                  {"path","pdq","quality","sha256",…,"matches":[{"list","label","ref","hash","distance","signal"}]}
                  or {"path","error":{"code","message"}}
  -h, --help      this text

Without --json, matched files are printed one match per line (path, list, label, signal,
distance; tab-separated, with \\, tab, newline and other control characters in a path or label
escaped as \\\\, \\t, \\n, \\xNN) and failures go to stderr. A summary (files, matched,
failed, images/s) is written to stderr; a progress bar is shown when stderr is a terminal.

exit codes:
  0  every file hashed, none matched
  1  no file matched, but at least one could not be hashed (or the scan was cancelled)
  2  usage error
  3  at least one file matched (whatever else happened)
`;

const PIPELINES: readonly PdqPipeline[] = ['reference', 'fullres', 'fast'];

interface Tally {
  files: number;
  matched: number;
  failed: number;
}

/** The JSON line for one file: its hashes flattened beside the path, then its matches. */
export function toJsonLine(result: ScanResult): Record<string, unknown> {
  const where = result.path ?? result.id;
  if (result.error && !result.hashes) return { path: where, error: result.error };
  const { pdq, quality, ...rest } = result.hashes ?? {};
  const line: Record<string, unknown> = { path: where, pdq, quality, ...rest };
  line.matches = result.matches.map(({ list, label, ref, hash, distance, signal }) => ({
    list,
    label,
    ref,
    hash,
    distance,
    signal,
  }));
  if (result.suppressed.length > 0) line.suppressed = result.suppressed;
  if (result.error) line.error = result.error;
  return line;
}

async function write(stream: Writable, text: string): Promise<void> {
  // Waiting for drain pauses the scan too: results are pulled only as fast as they are written.
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * Counts in the background, as the scanner's walk yields them, the results a scan will give,
 * so the progress bar can show an ETA before the walk ends: one per file, special file or
 * broken link; links to folders are not followed and give none.
 */
export async function countFiles(paths: string[], stop: AbortSignal): Promise<number> {
  let count = 0;
  const walk = async (p: string): Promise<void> => {
    if (stop.aborted) return;
    const stat = await fs.stat(p).catch(() => undefined);
    if (!stat?.isDirectory()) {
      count++;
      return;
    }
    const dir = await fs.opendir(p).catch(() => undefined);
    if (!dir) return void count++;
    for await (const entry of dir) {
      if (stop.aborted) return;
      const full = path.join(p, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (!entry.isSymbolicLink()) count++;
      else if (!(await fs.stat(full).catch(() => undefined))?.isDirectory()) count++;
    }
  };
  for (const p of paths) await walk(p);
  return count;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    db: { type: 'string' },
    threads: { type: 'string' },
    'images-per-thread': { type: 'string' },
    pdq: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(SCAN_HELP);
    return ExitCode.OK;
  }
  if (!values.db) throw usage(`--db DIR is required\n\n${SCAN_HELP}`);
  if (positionals.length === 0) throw usage(`give at least one PATH to scan\n\n${SCAN_HELP}`);
  const threads = intFlag('threads', values.threads, os.availableParallelism());
  if (threads < 1 || threads > maxThreads()) throw usage(`--threads must be from 1 to ${maxThreads()}, got ${threads}`);
  // Absent: the scanner's own default (2 with a thread per core, else 1).
  const inHand = values['images-per-thread'];
  const imagesPerThread = inHand === undefined ? undefined : intFlag('images-per-thread', inHand, 1);
  if (imagesPerThread !== undefined && (imagesPerThread < 1 || imagesPerThread > 8))
    throw usage(`--images-per-thread must be from 1 to 8, got ${imagesPerThread}`);
  const pdq = (values.pdq ?? 'reference') as PdqPipeline;
  if (!PIPELINES.includes(pdq))
    throw usage(`--pdq must be one of ${PIPELINES.join(', ')}, got ${JSON.stringify(values.pdq)}`);
  const paths = positionals.map((p) => path.resolve(io.cwd, p));

  // Read-only: a mistyped --db must fail, not silently create an empty index that matches nothing.
  const index = await openIndex(path.resolve(io.cwd, values.db), { readOnly: true });
  const scanner = createScanner({ index, threads, imagesPerThread, hash: { pdq } });
  const tally: Tally = { files: 0, matched: 0, failed: 0 };
  const cancel = new AbortController();
  const onSigint = () => cancel.abort();
  process.once('SIGINT', onSigint);
  const bar = io.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: io.stderr as NodeJS.WritableStream,
          format:
            'scan [{bar}] {value}/{total} files | {rate} img/s | ETA {eta_formatted} | {matched} matched, {failed} failed',
          etaBuffer: 200,
          fps: 5,
          // io.isTTY already decided a person is watching; io.stderr may be a wrapped stream.
          noTTYOutput: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  let cancelled = false;
  try {
    if (bar) {
      bar.start(0, 0, { rate: '0', matched: 0, failed: 0 });
      void countFiles(paths, cancel.signal).then((total) => bar.setTotal(total));
    }
    try {
      for await (const result of scanner.scanPaths(paths, { signal: cancel.signal })) {
        tally.files++;
        if (result.error) tally.failed++;
        if (result.matches.length > 0) tally.matched++;
        if (values.json) await write(io.stdout, `${JSON.stringify(toJsonLine(result))}\n`);
        else await writeHuman(io, result);
        bar?.update(tally.files, {
          rate: (tally.files / elapsed()).toFixed(1),
          matched: tally.matched,
          failed: tally.failed,
        });
      }
    } catch (error) {
      if (!isStaydownError(error, ErrorCodes.ABORTED)) throw error;
      cancelled = true;
    }
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
    cancel.abort();
    await scanner.close();
    await (index as { close?: () => unknown }).close?.();
  }
  const seconds = elapsed();
  io.stderr.write(
    `${cancelled ? 'cancelled: ' : ''}${tally.files} files, ${tally.matched} matched, ${tally.failed} failed, ` +
      `${(tally.files / Math.max(seconds, 1e-9)).toFixed(1)} images/s (${seconds.toFixed(1)} s, ${threads} threads)\n`,
  );
  if (tally.matched > 0) return ExitCode.MATCHED;
  return tally.failed > 0 || cancelled ? ExitCode.FAILED : ExitCode.OK;
}

/**
 * A field of the tab-separated text output: a backslash, tab, newline or other control
 * character in a path or label is written as an escape (\\, \t, \n, \r, \xNN), so one match
 * stays one line of five fields. A file named "a\nb.jpg" split its line in two.
 */
export function textField(value: string): string {
  return value.replace(/[\\\x00-\x1f\x7f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\t') return '\\t';
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

async function writeHuman(io: CommandIo, result: ScanResult): Promise<void> {
  const where = textField(result.path ?? result.id ?? '');
  if (result.error) await write(io.stderr, `${where}: ${result.error.message} [${result.error.code}]\n`);
  for (const m of result.matches) {
    await write(io.stdout, `${where}\t${m.list}\t${textField(m.label ?? '')}\t${m.signal}\t${m.distance}\n`);
  }
}
