import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ErrorCodes, StaydownError } from '@staydown/core';

/**
 * node:util parseArgs with our usage error: unknown flags and missing values become a
 * USAGE StaydownError, which main() turns into exit code 2.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new StaydownError(ErrorCodes.USAGE, (error as Error).message);
  }
}

export function usage(message: string): StaydownError {
  return new StaydownError(ErrorCodes.USAGE, message);
}

/** Parses a non-negative integer flag value or throws a usage error naming the flag. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw usage(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}
