import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { buildOrderReport, renderTextReport, VerifyStore } from '@staydown/verify';
import { parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';
import { requireDb } from './verify.js';

const HELP = `usage: staydown report --db DIR --order ID [--format text|json] [-o FILE]

Per item: the verdict at the deadline, compliance, the removal bracket (last seen present →
first seen absent) and re-appearances in follow-ups; per order: compliant or not. The JSON form
is a stable contract for other systems.
`;

const LATER_FORMATS = new Set(['html', 'csv']);

/** Writes a whole file or nothing: to a temporary name first, then renamed into place. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, file);
  } catch (error) {
    throw new StaydownError(ErrorCodes.WRITE_FAILED, `cannot write ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    db: { type: 'string' },
    order: { type: 'string' },
    format: { type: 'string', default: 'text' },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (positionals.length > 0) throw usage(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${HELP}`);
  const db = requireDb(io, values.db);
  if (!values.order) throw usage('--order ID is required');
  const format = values.format;
  if (LATER_FORMATS.has(format)) {
    throw usage(`--format ${format} is not available yet (planned in a later issue); use --format json or text`);
  }
  if (format !== 'json' && format !== 'text')
    throw usage(`unknown --format ${JSON.stringify(format)}; use json or text`);

  const store = VerifyStore.open(db, { mustExist: true });
  let text: string;
  try {
    const report = buildOrderReport(store, values.order);
    text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderTextReport(report);
  } finally {
    await store.close();
  }
  if (values.output) {
    const file = path.resolve(io.cwd, values.output);
    await writeFileAtomic(file, text);
    io.stderr.write(`report written to ${file}\n`);
  } else {
    io.stdout.write(text);
  }
  return ExitCode.OK;
}
