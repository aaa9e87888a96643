import { ErrorCodes, StaydownError } from '@staydown/core';
import type { CommandIo } from '../io.js';

export async function run(_argv: string[], _io: CommandIo): Promise<number> {
  throw new StaydownError(ErrorCodes.USAGE, 'this command is not built yet');
}
