import type { Writable } from 'node:stream';

/** Where a command writes; tests pass in-memory streams, the binary passes process streams. */
export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
  /** Progress bars only when a person is watching. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Exit codes shared by every command (documented in the README). */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  MATCHED: 3,
} as const;

export type Command = (argv: string[], io: CommandIo) => Promise<number>;
