import { isStaydownError } from '@staydown/core';
import { type Command, type CommandIo, ExitCode, processIo } from './io.js';

/** Each command lives in its own module, loaded only when used so `staydown hash` never loads LMDB or undici. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  hash: { summary: 'hash image files and folders', load: () => import('./commands/hash.js') },
  index: { summary: 'import, export and manage hash lists', load: () => import('./commands/index-cmd.js') },
  match: { summary: 'match hashes or files against an index', load: () => import('./commands/match.js') },
  scan: { summary: 'hash and match folders on every core', load: () => import('./commands/scan.js') },
  verify: { summary: 'store a removal order and check it', load: () => import('./commands/verify.js') },
  worker: { summary: 'run due checks of all orders until stopped', load: () => import('./commands/worker.js') },
  evidence: { summary: 'export or verify an evidence bundle', load: () => import('./commands/evidence.js') },
  report: { summary: 'compliance report for an order or addressee', load: () => import('./commands/report.js') },
  demo: { summary: 'end-to-end demo on the embedded default', load: () => import('./commands/demo.js') },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: staydown <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nexit codes: 0 ok, 1 some input failed, 2 usage error, 3 a file matched (scan)\n`;
}

export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(`staydown: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return ExitCode.USAGE;
  }
  try {
    const { run } = await command.load();
    return await run(rest, io);
  } catch (error) {
    if (isStaydownError(error)) {
      io.stderr.write(`staydown ${name}: ${error.message} [${error.code}]\n`);
      return error.code === 'USAGE' ? ExitCode.USAGE : ExitCode.FAILED;
    }
    io.stderr.write(`staydown ${name}: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return ExitCode.FAILED;
  }
}
