import { BUILTIN_SIGNALS, type BuiltinSignalName, ErrorCodes, StaydownError } from '@staydown/core';
import type { BlockhashMethod } from './blockhash.js';
import type { DecodeLimits } from './limits.js';
import { PDQ_PIPELINES, type PdqPipeline } from './pdq/pipelines.js';

export interface HashOptions {
  /** Which signals to compute; default all five. */
  signals?: readonly BuiltinSignalName[];
  /** Default 'reference' (bit-exact with Meta's file tool). */
  pdq?: PdqPipeline;
  /** Adds the eight dihedral PDQ variants. */
  dihedral?: boolean;
  /** Default 'precise'. */
  blockhashMethod?: BlockhashMethod;
  limits?: DecodeLimits;
}

export type ResolvedHashOptions = Required<Omit<HashOptions, 'limits'>> & { limits: DecodeLimits | undefined };

export const DEFAULT_HASH_OPTIONS: Readonly<Omit<ResolvedHashOptions, 'limits'>> = Object.freeze({
  signals: BUILTIN_SIGNALS,
  pdq: 'reference',
  dihedral: false,
  blockhashMethod: 'precise',
});

function invalid(message: string): StaydownError {
  return new StaydownError(ErrorCodes.INVALID_OPTION, message);
}

/** Fills defaults and validates; unknown signals are UNKNOWN_SIGNAL, bad values INVALID_OPTION. */
export function resolveHashOptions(options: HashOptions = {}): ResolvedHashOptions {
  const signals = options.signals ?? DEFAULT_HASH_OPTIONS.signals;
  for (const s of signals) {
    if (!(BUILTIN_SIGNALS as readonly string[]).includes(s)) {
      throw new StaydownError(
        ErrorCodes.UNKNOWN_SIGNAL,
        `unknown signal ${JSON.stringify(s)}; known: ${BUILTIN_SIGNALS.join(', ')}`,
        { details: { signal: s } },
      );
    }
  }
  if (signals.length === 0) throw invalid('at least one signal must be requested');
  const pdq = options.pdq ?? DEFAULT_HASH_OPTIONS.pdq;
  if (!PDQ_PIPELINES.includes(pdq))
    throw invalid(`unknown PDQ pipeline ${JSON.stringify(pdq)}; known: ${PDQ_PIPELINES.join(', ')}`);
  const blockhashMethod = options.blockhashMethod ?? DEFAULT_HASH_OPTIONS.blockhashMethod;
  if (blockhashMethod !== 'precise' && blockhashMethod !== 'quick') {
    throw invalid(`unknown blockhash method ${JSON.stringify(blockhashMethod)}; known: precise, quick`);
  }
  const limits = options.limits;
  for (const [key, value] of Object.entries(limits ?? {})) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw invalid(`limits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return { signals: [...new Set(signals)], pdq, dihedral: options.dihedral === true, blockhashMethod, limits };
}
