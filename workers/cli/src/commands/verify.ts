import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, StaydownError } from '@staydown/core';
import {
  buildOrderReport,
  type CheckEvent,
  type Checker,
  createChecker,
  LmdbDueCheckQueue,
  parseOrderJson,
  renderTextReport,
  runWorker,
  VerifyStore,
  type WorkerLogger,
} from '@staydown/verify';
import { pino } from 'pino';
import { intFlag, parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';

const HELP = `usage: staydown verify ORDER.json --db DIR [--wait] [--allow-loopback] [--concurrency N]

Stores a removal order and its check schedule in the verification database DIR (idempotent:
the same order again is fine; the same id with other content is an error). With --wait, runs
the order's checks until the last follow-up, printing each check, then the compliance summary.
`;

/** Options shared by the commands that run checks. */
export const RUN_DEFAULTS = { concurrency: 8 };

export function requireDb(io: CommandIo, db: string | undefined): string {
  if (!db) throw usage('--db DIR is required (the verification database)');
  return path.resolve(io.cwd, db);
}

/** A pino logger on the command's stderr: ids, verdicts and times only, never content. */
export function workerLogger(io: CommandIo, name: string): WorkerLogger {
  return pino({ name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, io.stderr);
}

/**
 * Runs `action` with a stop signal wired to SIGINT/SIGTERM: the first asks for a clean stop
 * (in-flight checks may finish), the second abandons them (they stay due).
 */
export async function withStopSignals<T>(action: (stop: AbortSignal, abandon: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const abandon = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) abandon.abort();
    else stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await action(stop.signal, abandon.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function progressLine(event: CheckEvent): string {
  const { check, observation: o } = event;
  const kind = check.attempt > 1 ? `${check.kind} retry ${check.attempt - 1}` : check.kind;
  const extra = [
    o.reason ? `reason ${o.reason}` : null,
    o.bestDistance !== null ? `distance ${o.bestDistance}` : null,
    o.status !== null ? `HTTP ${o.status}` : null,
  ].filter(Boolean);
  return `${o.requestedAt}  ${check.orderId} [${check.item}] ${kind.padEnd(16)} ${o.verdict.padEnd(13)} ${extra.join(', ')}\n`;
}

/** Runs one order's checks to the end and returns its text summary. */
export async function runOrderToEnd(
  store: VerifyStore,
  orderId: string,
  checker: Checker,
  io: CommandIo,
  options: { concurrency: number; onProgress?: (line: string) => void },
): Promise<{ stopped: boolean }> {
  const queue = new LmdbDueCheckQueue(store);
  return withStopSignals(async (stop, abandon) => {
    await runWorker(queue, checker, {
      orderId,
      untilDone: true,
      concurrency: options.concurrency,
      signal: stop,
      abandonSignal: abandon,
      onCheck: (event) => (options.onProgress ?? ((line) => io.stderr.write(line)))(progressLine(event)),
    });
    return { stopped: stop.aborted };
  });
}

export async function readOrderFile(io: CommandIo, file: string) {
  let text: string;
  try {
    text = await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new StaydownError(ErrorCodes.READ_FAILED, `cannot read order ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseOrderJson(text);
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    db: { type: 'string' },
    wait: { type: 'boolean', default: false },
    'allow-loopback': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (positionals.length !== 1) throw usage(`expected one ORDER.json\n\n${HELP}`);
  const db = requireDb(io, values.db);
  const concurrency = intFlag('concurrency', values.concurrency, RUN_DEFAULTS.concurrency);
  if (concurrency < 1) throw usage('--concurrency must be at least 1');
  const order = await readOrderFile(io, positionals[0]);

  const store = VerifyStore.open(db);
  try {
    const { created, checks } = store.putOrder(order);
    io.stdout.write(
      created
        ? `stored order ${order.id}: ${order.items.length} item(s), ${checks} checks, deadline ${order.deadline}\n`
        : `order ${order.id} was already stored (unchanged); ${store.pendingCount(order.id)} checks pending\n`,
    );
    if (!values.wait) return ExitCode.OK;
    const checker = createChecker({ allowLoopback: values['allow-loopback'] });
    try {
      const { stopped } = await runOrderToEnd(store, order.id, checker, io, { concurrency });
      if (stopped) io.stderr.write('stopped: the remaining checks stay due (run it again or run `staydown worker`)\n');
    } finally {
      await checker.close();
    }
    io.stdout.write(`\n${renderTextReport(buildOrderReport(store, order.id))}`);
    return ExitCode.OK;
  } finally {
    await store.close();
  }
}
