import { createChecker, LmdbDueCheckQueue, runWorker, VerifyStore } from '@staydown/verify';
import { intFlag, parseCommandArgs } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';
import { RUN_DEFAULTS, requireDb, withStopSignals, workerLogger } from './verify.js';

const HELP = `usage: staydown worker --db DIR [--allow-loopback] [--concurrency N] [--order ID] [--until-done]

Runs the due checks of all orders in DIR until stopped (SIGINT/SIGTERM: in-flight checks may
finish; a second signal abandons them — they stay due). Logs JSON lines (pino) to stderr.
A worker killed outright resumes where it stopped: recorded checks are never repeated.
  --until-done   exit once no check is pending
  --order ID     only this order's checks
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    db: { type: 'string' },
    'allow-loopback': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    order: { type: 'string' },
    'until-done': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  const db = requireDb(io, values.db);
  const concurrency = Math.max(1, intFlag('concurrency', values.concurrency, RUN_DEFAULTS.concurrency));
  const log = workerLogger(io, 'staydown-worker');
  const store = VerifyStore.open(db);
  const checker = createChecker({ allowLoopback: values['allow-loopback'] });
  try {
    if (values.order !== undefined) store.requireOrder(values.order);
    log.info({ db, concurrency, order: values.order }, 'worker started');
    const stats = await withStopSignals((stop, abandon) =>
      runWorker(new LmdbDueCheckQueue(store), checker, {
        concurrency,
        orderId: values.order,
        untilDone: values['until-done'],
        signal: stop,
        abandonSignal: abandon,
        logger: log,
      }),
    );
    log.info({ ...stats }, 'worker stopped');
    return stats.errors > 0 ? ExitCode.FAILED : ExitCode.OK;
  } finally {
    await checker.close();
    await store.close();
  }
}
