import path from 'node:path';
import { ErrorCodes, getSignal, isStaydownError } from '@staydown/core';
import {
  exportEntries,
  formatFromPath,
  type HashIndex,
  type ImportReport,
  importFile,
  LIST_FORMATS,
  type LineError,
  type ListFormat,
  openIndex,
  parseListFormat,
} from '@staydown/index';
import { SingleBar } from 'cli-progress';
import { intFlag, parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';

/**
 * `staydown index <subcommand>` — import, export and manage the hash lists of an index.
 */

const HELP = `usage: staydown index <subcommand> --db DIR [options]

subcommands:
  import [--format ${LIST_FORMATS.join('|')}] [--signal S] [--list NAME] [--strict] [--json] FILE...
      add hash lists (creates the index when DIR is new). The format is taken from the
      extension (.csv .jsonl .txt .hma) unless given. Bad lines are reported with their line
      number and skipped; with --strict a file with any bad line imports nothing.
      --signal: signal of lines that name none (default pdq); --list: put every row in NAME
      (default: the row's list, else the file's base name). --json: one line per file,
      {file, format, rows, added, existing, rejected, errors}; a file refused under --strict
      gives {file, added: 0, rejected, errors, error: {code, message}}.
      Exit 0; 1 when a file had bad lines; 2 on a usage error (an unknown extension, signal).
  export [--format ${LIST_FORMATS.join('|')}] [--list NAME] [--signal S]
      write entries to stdout (default csv; csv and jsonl keep every field)
  stats [--json]                 entries per list and signal, search structures
  list [--json]                  lists with their settings
  enable NAME | disable NAME     switch a list on or off for matching
  allow NAME [--off]             mark NAME as an allow-list of known false positives
  threshold NAME N [--signal S]  match threshold of NAME for a perceptual signal (default pdq)
  delete NAME                    remove a list and all its entries

exit codes: 0 ok, 1 some input failed (bad lines, unknown list), 2 usage error
`;

const SUBCOMMANDS: Record<string, (argv: string[], io: CommandIo) => Promise<number>> = {
  import: importCommand,
  export: exportCommand,
  stats: statsCommand,
  list: listCommand,
  enable: (argv, io) => setEnabled(argv, io, true),
  disable: (argv, io) => setEnabled(argv, io, false),
  allow: allowCommand,
  threshold: thresholdCommand,
  delete: deleteCommand,
};

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(HELP);
    return sub === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!command) throw usage(`unknown subcommand ${JSON.stringify(sub)}; see staydown index --help`);
  return command(rest, io);
}

const common = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function dbDir(value: string | undefined, io: CommandIo): string {
  if (!value) throw usage('--db DIR is required (the index directory)');
  return path.resolve(io.cwd, value);
}

/** 'create' only for import: the other commands that write change an index that must exist. */
type OpenMode = 'read' | 'write' | 'create';

async function withIndex<T>(dir: string, mode: OpenMode, fn: (index: HashIndex) => Promise<T> | T): Promise<T> {
  const index = await openIndex(dir, { readOnly: mode === 'read', mustExist: mode === 'write' });
  try {
    return await fn(index);
  } finally {
    await index.close();
  }
}

function printLineErrors(io: CommandIo, file: string, errors: readonly LineError[], total: number): void {
  for (const e of errors) io.stderr.write(`${file}:${e.line}: ${e.message} [${e.code}]\n`);
  if (total > errors.length) io.stderr.write(`${file}: … and ${total - errors.length} more bad lines\n`);
}

async function importCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...common,
    format: { type: 'string' },
    signal: { type: 'string' },
    list: { type: 'string' },
    strict: { type: 'boolean', default: false },
  });
  if (values.help) return help(io);
  const dir = dbDir(values.db, io);
  const format: ListFormat | undefined = values.format ? parseListFormatOrUsage(values.format) : undefined;
  if (positionals.length === 0) throw usage('no FILE given (the list to import)');
  if (values.signal !== undefined && !isKnownSignal(values.signal)) {
    throw usage(`unknown signal ${JSON.stringify(values.signal)}`);
  }
  // A file whose format cannot be told is a usage error, found before anything is imported.
  if (format === undefined) for (const given of positionals) formatFromPathOrUsage(given);
  let failed = false;
  await withIndex(dir, 'create', async (index) => {
    for (const given of positionals) {
      const file = path.resolve(io.cwd, given);
      const bar = io.isTTY
        ? new SingleBar({
            stream: io.stderr as NodeJS.WriteStream,
            format: `${given} |{bar}| {percentage}% {phase} {lines} lines, {added} added`,
            // io.isTTY already decided a person is watching; io.stderr may be a wrapped stream.
            noTTYOutput: true,
          })
        : undefined;
      bar?.start(1, 0, { phase: 'reading', lines: 0, added: 0 });
      let report: ImportReport;
      try {
        report = await importFile(index, file, {
          format,
          signal: values.signal,
          list: values.list,
          strict: values.strict,
          // Reading (and sorting) goes by bytes of the file, writing by entries committed.
          onProgress: (p) => {
            const reading = p.phase === 'read';
            bar?.setTotal(Math.max(1, reading ? p.totalBytes : p.entries));
            bar?.update(reading ? p.bytesRead : p.written, {
              phase: reading ? 'reading' : 'writing',
              lines: p.lines,
              added: p.added,
            });
          },
        });
      } catch (error) {
        bar?.stop();
        if (isStaydownError(error, ErrorCodes.IMPORT_INVALID_LINE)) {
          const details = error.details as { errors?: LineError[]; rejected?: number } | undefined;
          printLineErrors(io, given, details?.errors ?? [], details?.rejected ?? 0);
          io.stderr.write(`${given}: ${error.message}\n`);
          if (values.json) {
            const rejected = details?.rejected ?? 0;
            const failure = { code: error.code, message: error.message };
            io.stdout.write(
              `${JSON.stringify({ file: given, added: 0, rejected, errors: details?.errors ?? [], error: failure })}\n`,
            );
          }
          failed = true;
          continue;
        }
        throw error;
      }
      bar?.stop();
      printLineErrors(io, given, report.errors, report.rejected);
      if (values.json) io.stdout.write(`${JSON.stringify({ ...report, file: given })}\n`);
      else {
        io.stdout.write(
          `${given}: ${report.added} added, ${report.existing} already present, ${report.rejected} bad lines (${report.format})\n`,
        );
      }
      if (report.rejected > 0) failed = true;
    }
  });
  return failed ? ExitCode.FAILED : ExitCode.OK;
}

function isKnownSignal(name: string): boolean {
  try {
    getSignal(name);
    return true;
  } catch {
    return false;
  }
}

function formatFromPathOrUsage(file: string): ListFormat {
  try {
    return formatFromPath(file);
  } catch (error) {
    throw usage((error as Error).message);
  }
}

function parseListFormatOrUsage(name: string): ListFormat {
  try {
    return parseListFormat(name);
  } catch (error) {
    throw usage((error as Error).message);
  }
}

async function exportCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...common,
    format: { type: 'string', default: 'csv' },
    signal: { type: 'string' },
    list: { type: 'string' },
  });
  if (values.help) return help(io);
  if (positionals.length > 0) throw usage('export writes to stdout and takes no FILE');
  const dir = dbDir(values.db, io);
  const format = parseListFormatOrUsage(String(values.format));
  if (values.signal !== undefined && !isKnownSignal(values.signal)) {
    throw usage(`unknown signal ${JSON.stringify(values.signal)}`);
  }
  await withIndex(dir, 'read', (index) =>
    exportEntries(index, io.stdout, { format, list: values.list, signal: values.signal }),
  );
  return ExitCode.OK;
}

async function statsCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, common);
  if (values.help) return help(io);
  const dir = dbDir(values.db, io);
  await withIndex(dir, 'read', (index) => {
    index.warm();
    const stats = index.stats();
    if (values.json) {
      io.stdout.write(`${JSON.stringify(stats)}\n`);
      return;
    }
    io.stdout.write(`index ${stats.dir}: ${stats.totalEntries} entries in ${stats.lists.length} lists\n`);
    for (const [signal, s] of Object.entries(stats.signals)) {
      const mem =
        s.memoryBytes === undefined
          ? 'exact lookup'
          : `${s.indexedHashes} distinct hashes, ${s.substrings || 'no'} substring tables, ${(s.memoryBytes / 2 ** 20).toFixed(1)} MiB`;
      io.stdout.write(`  ${signal.padEnd(10)} ${String(s.entries).padStart(10)} entries  ${mem}\n`);
    }
    const huge = stats.hugePages;
    io.stdout.write(
      `  search tables on huge pages: ${huge.enabled ? `yes (THP ${huge.mode})` : `no (${huge.reason})`}\n`,
    );
    writeLists(io, stats.lists);
  });
  return ExitCode.OK;
}

function writeLists(io: CommandIo, lists: ReturnType<HashIndex['lists']>): void {
  for (const l of lists) {
    const counts = Object.entries(l.counts)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    const thresholds = Object.entries(l.thresholds)
      .map(([s, n]) => `${s}≤${n}`)
      .join(' ');
    const flags = [l.enabled ? 'enabled' : 'disabled', l.allow ? 'allow-list' : '', thresholds].filter(Boolean);
    io.stdout.write(`  list ${l.name}: ${counts || 'empty'} (${flags.join(', ')})\n`);
  }
}

async function listCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, common);
  if (values.help) return help(io);
  const dir = dbDir(values.db, io);
  await withIndex(dir, 'read', (index) => {
    const lists = index.lists();
    if (values.json) for (const l of lists) io.stdout.write(`${JSON.stringify(l)}\n`);
    else writeLists(io, lists);
  });
  return ExitCode.OK;
}

function oneName(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw usage(`expected exactly one list NAME ${what}`);
  return positionals[0];
}

async function setEnabled(argv: string[], io: CommandIo, enabled: boolean): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, common);
  if (values.help) return help(io);
  const name = oneName(positionals, `to ${enabled ? 'enable' : 'disable'}`);
  await withIndex(dbDir(values.db, io), 'write', (index) => index.setEnabled(name, enabled));
  io.stdout.write(`list ${name} ${enabled ? 'enabled' : 'disabled'}\n`);
  return ExitCode.OK;
}

async function allowCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...common, off: { type: 'boolean', default: false } });
  if (values.help) return help(io);
  const name = oneName(positionals, 'to mark as allow-list');
  await withIndex(dbDir(values.db, io), 'write', (index) => index.setAllowList(name, !values.off));
  io.stdout.write(
    `list ${name} ${values.off ? 'is no longer an allow-list' : 'is an allow-list (known false positives)'}\n`,
  );
  return ExitCode.OK;
}

async function thresholdCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...common, signal: { type: 'string', default: 'pdq' } });
  if (values.help) return help(io);
  if (positionals.length !== 2) throw usage('expected NAME and a threshold N');
  const [name, n] = positionals;
  const threshold = intFlag('threshold', n, 0);
  await withIndex(dbDir(values.db, io), 'write', (index) => {
    try {
      index.setThreshold(name, String(values.signal), threshold);
    } catch (error) {
      if (isStaydownError(error, ErrorCodes.INVALID_OPTION) || isStaydownError(error, ErrorCodes.UNKNOWN_SIGNAL)) {
        throw usage(error.message);
      }
      throw error;
    }
  });
  io.stdout.write(`list ${name}: ${values.signal} matches at distance ≤ ${threshold}\n`);
  return ExitCode.OK;
}

async function deleteCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, common);
  if (values.help) return help(io);
  const name = oneName(positionals, 'to delete');
  const removed = await withIndex(dbDir(values.db, io), 'write', (index) => index.deleteList(name));
  io.stdout.write(`list ${name} deleted (${removed} entries)\n`);
  return ExitCode.OK;
}

function help(io: CommandIo): number {
  io.stdout.write(HELP);
  return ExitCode.OK;
}
