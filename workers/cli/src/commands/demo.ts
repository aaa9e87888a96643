import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashImage } from '@staydown/hashing';
import { renderOrderHtml } from '@staydown/reports';
import {
  buildOrderReport,
  createChecker,
  type ExpectedHash,
  exportBundle,
  parseDuration,
  parseOrder,
  renderTextReport,
  type SimulatedResource,
  startSimulatedHost,
  syntheticPng,
  VerifyStore,
  verifyBundle,
} from '@staydown/verify';
import { parseCommandArgs } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';
import { writeFileAtomic } from './report.js';
import { RUN_DEFAULTS, runOrderToEnd } from './verify.js';

const HELP = `usage: staydown demo [--db DIR]

End-to-end demo on loopback: starts a simulated host whose files are removed on time, late,
never, or come back; issues a removal order with a 5-second deadline and follow-ups at +2 s
and +4 s; runs every check with the real checker; prints the compliance summary and where the
database, the evidence bundle and the HTML report are. Takes about 12 seconds. Nothing leaves this machine.
`;

/** The demo's timetable (ms after the order is issued), in one place. */
const TIMING = { startDelayMs: 300, deadline: 'PT5S', every: 'PT1S', followUps: ['PT2S', 'PT4S'] };

interface DemoItem {
  path: string;
  story: string;
  resource: (t0: number, deadline: number, image: Buffer, other: Buffer) => SimulatedResource;
}

const PNG = 'image/png';
const ITEMS: DemoItem[] = [
  {
    path: '/gallery/removed-early.png',
    story: 'removed after 1.5 s (404)',
    resource: (t0, _d, image) => ({ body: image, contentType: PNG, present: [{ until: t0 + 1500 }] }),
  },
  {
    path: '/gallery/legal-block.png',
    story: 'blocked after 3.5 s (451)',
    resource: (t0, _d, image) => ({
      body: image,
      contentType: PNG,
      present: [{ until: t0 + 3500 }],
      absent: { status: 451 },
    }),
  },
  {
    path: '/gallery/replaced.png',
    story: 'swapped for another picture after 2.5 s',
    resource: (t0, _d, image, other) => ({
      body: image,
      contentType: PNG,
      present: [{ until: t0 + 2500 }],
      absent: { body: other, contentType: PNG },
    }),
  },
  {
    path: '/gallery/ignored.png',
    story: 'never removed',
    resource: (_t0, _d, image) => ({ body: image, contentType: PNG, present: [{}] }),
  },
  {
    path: '/gallery/comes-back.png',
    story: 'removed after 2 s, back 1 s after the deadline',
    resource: (t0, d, image) => ({
      body: image,
      contentType: PNG,
      present: [{ until: t0 + 2000 }, { from: d + 1000 }],
    }),
  },
];

async function expectedHashes(image: Buffer): Promise<ExpectedHash[]> {
  const h = await hashImage(image, { signals: ['pdq', 'sha256'] });
  return [
    { signal: 'pdq', hash: h.pdq as string },
    { signal: 'sha256', hash: h.sha256 as string },
  ];
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    db: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  const db = values.db ? path.resolve(io.cwd, values.db) : await mkdtemp(path.join(os.tmpdir(), 'staydown-demo-'));
  const images = ITEMS.map((_, i) => syntheticPng(1000 + i));
  const replacement = syntheticPng(999);
  const expects = await Promise.all(images.map(expectedHashes));

  const t0 = Date.now() + TIMING.startDelayMs;
  const deadline = t0 + parseDuration(TIMING.deadline);
  const host = await startSimulatedHost(
    Object.fromEntries(ITEMS.map((item, i) => [item.path, item.resource(t0, deadline, images[i], replacement)])),
  );
  const store = VerifyStore.open(db);
  const checker = createChecker({ allowLoopback: true, backoffBaseMs: 100, maxBackoffMs: 500, retries: 1 });
  try {
    const finalOrder = parseOrder({
      id: `DEMO-${new Date(t0).toISOString().replace(/[-:.]/g, '').slice(0, 15)}`,
      kind: 'terrorist',
      issuedAt: new Date(t0).toISOString(),
      deadline: TIMING.deadline,
      addressee: { name: 'Simulated Hosting (loopback)', role: 'hosting' },
      items: ITEMS.map((item, i) => ({ url: host.url(item.path), expect: expects[i] })),
      checks: { every: TIMING.every, followUps: TIMING.followUps },
    });

    io.stdout.write(
      `staydown demo: simulated host ${host.origin}, order ${finalOrder.id} (deadline ${TIMING.deadline}, checks every ${TIMING.every}, follow-ups ${TIMING.followUps.join(', ')})\n`,
    );
    ITEMS.forEach((item, i) => {
      io.stdout.write(`  [${i}] ${item.path.padEnd(28)} ${item.story}\n`);
    });
    io.stdout.write('\n');

    store.putOrder(finalOrder);
    const { stopped } = await runOrderToEnd(store, finalOrder.id, checker, io, {
      concurrency: RUN_DEFAULTS.concurrency,
      onProgress: (line) => io.stdout.write(line),
    });
    const report = buildOrderReport(store, finalOrder.id);
    io.stdout.write(`\n${renderTextReport(report)}`);
    const bundle = `${[...exportBundle(store, finalOrder.id)].join('\n')}\n`;
    const bundleFile = path.join(db, `${finalOrder.id}.evidence.jsonl`);
    await writeFileAtomic(bundleFile, bundle);
    const check = verifyBundle(bundle);
    // The HTML report people read (@staydown/reports) beside the database.
    const htmlFile = path.join(db, `${finalOrder.id}.report.html`);
    await writeFileAtomic(htmlFile, renderOrderHtml(report));
    io.stdout.write(
      `\nEvidence: ${check.records} hash-chained records, ${check.valid ? 'chain verified' : `INVALID: ${check.problem}`}\n` +
        `  database: ${db}\n  bundle:   ${bundleFile}\n  report:   ${htmlFile}\n` +
        `  try:      staydown report --db ${db} --order ${finalOrder.id} --format json\n` +
        `            staydown evidence verify ${bundleFile}\n`,
    );
    if (stopped) io.stdout.write('(stopped early: some checks did not run)\n');
    return check.valid ? ExitCode.OK : ExitCode.FAILED;
  } finally {
    await checker.close();
    await store.close();
    await host.close();
  }
}
