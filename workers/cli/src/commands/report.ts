import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, StaydownError } from '@staydown/core';
import {
  type OrderReport as RenderableOrder,
  rankAddressees,
  renderAddresseeCsv,
  renderAddresseeHtml,
  renderOrderCsv,
  renderOrderHtml,
  renderRankingHtml,
  summarizeAddressee,
} from '@staydown/reports';
import { buildOrderReport, renderTextReport, VerifyStore } from '@staydown/verify';
import { intFlag, parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';
import { requireDb } from './verify.js';

const HELP = `usage: staydown report --db DIR --order ID [--format text|json|html|csv] [-o FILE] [--tz ZONE]
       staydown report --db DIR --addressee NAME [--from DATE] [--to DATE] [--format json|html|csv] [-o FILE]
       staydown report --db DIR --ranking [--from DATE] [--to DATE] [--format json|html] [-o FILE]

--order: per item, the verdict at the deadline, compliance, the removal bracket (last seen
present → first seen absent) and re-appearances in follow-ups; per order, compliant or not.
The JSON form is a stable contract for other systems; html is one self-contained page with a
timeline per item; csv is one row per check.

--addressee: every order to that host — compliance rate, median and worst time to removal,
orders not complied with, re-appearances — and the persistent-and-systematic flag with the
orders behind it. The rule: at least --min-non-compliant N (default 3) non-compliant orders
issued within --window-days D (default 90) days.
--ranking: all addressees, worst first.

Times are shown in UTC and in --tz (default Europe/Amsterdam).
`;

const ORDER_FORMATS = new Set(['text', 'json', 'html', 'csv']);
const ADDRESSEE_FORMATS = new Set(['json', 'html', 'csv']);
const RANKING_FORMATS = new Set(['json', 'html']);

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

/** Every order in the store as a report (for the addressee views). */
function allReports(store: VerifyStore): RenderableOrder[] {
  return store.listOrderIds().map((id) => buildOrderReport(store, id) as RenderableOrder);
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    db: { type: 'string' },
    order: { type: 'string' },
    addressee: { type: 'string' },
    ranking: { type: 'boolean', default: false },
    from: { type: 'string' },
    to: { type: 'string' },
    'min-non-compliant': { type: 'string' },
    'window-days': { type: 'string' },
    tz: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (positionals.length > 0) throw usage(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${HELP}`);
  const db = requireDb(io, values.db);
  const modes = [values.order !== undefined, values.addressee !== undefined, values.ranking].filter(Boolean).length;
  if (modes !== 1) throw usage('give exactly one of --order ID, --addressee NAME or --ranking');
  const mode = values.order !== undefined ? 'order' : values.addressee !== undefined ? 'addressee' : 'ranking';
  const format = values.format ?? (mode === 'order' ? 'text' : 'json');
  const allowed = mode === 'order' ? ORDER_FORMATS : mode === 'addressee' ? ADDRESSEE_FORMATS : RANKING_FORMATS;
  if (!allowed.has(format)) {
    throw usage(`unknown --format ${JSON.stringify(format)} for --${mode}; use ${[...allowed].join(', ')}`);
  }
  if (mode === 'order' && (values.from || values.to)) throw usage('--from/--to go with --addressee or --ranking');
  const rule = {
    minNonCompliant: intFlag('min-non-compliant', values['min-non-compliant'], 3),
    windowDays: intFlag('window-days', values['window-days'], 90),
  };
  const range = { from: values.from, to: values.to };
  if (values.tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: values.tz });
    } catch {
      throw usage(`unknown --tz ${JSON.stringify(values.tz)}; use an IANA zone such as Europe/Amsterdam`);
    }
  }
  const renderOptions = { timeZone: values.tz };

  const store = VerifyStore.open(db, { mustExist: true });
  let text: string;
  try {
    if (mode === 'order') {
      const report = buildOrderReport(store, values.order!);
      if (report.running) {
        io.stderr.write(
          `note: order ${report.id} is still running (${report.pendingChecks} checks due); this report is provisional\n`,
        );
      }
      if (format === 'json') text = `${JSON.stringify(report, null, 2)}\n`;
      else if (format === 'text') text = renderTextReport(report);
      else if (format === 'html') text = renderOrderHtml(report as RenderableOrder, renderOptions);
      else text = renderOrderCsv(report as RenderableOrder);
    } else {
      const reports = allReports(store);
      if (reports.length === 0) {
        throw new StaydownError(ErrorCodes.UNKNOWN_ORDER, `the database at ${db} holds no orders yet`);
      }
      if (mode === 'addressee') {
        const summary = summarizeAddressee(values.addressee!, reports, { range, rule });
        if (summary.orders.length === 0) {
          const known = [...new Set(reports.map((r) => r.addressee?.name).filter(Boolean))].join(', ');
          throw new StaydownError(
            ErrorCodes.UNKNOWN_ORDER,
            `no orders to ${JSON.stringify(values.addressee)} in that period; addressees: ${known}`,
          );
        }
        if (format === 'json') text = `${JSON.stringify(summary, null, 2)}\n`;
        else if (format === 'html') text = renderAddresseeHtml(summary, renderOptions);
        else text = renderAddresseeCsv(summary);
      } else {
        const ranking = rankAddressees(reports, { range, rule });
        text = format === 'json' ? `${JSON.stringify(ranking, null, 2)}\n` : renderRankingHtml(ranking, renderOptions);
      }
    }
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
