import { ErrorCodes, StaydownError } from './errors.js';
import { hexHammingDistance, lowercaseHex } from './hex.js';

/**
 * A signal type describes one kind of hash the way python-threatexchange does: what it is
 * called, how long it is, how two values compare and when they match. Computing a signal from
 * image bytes lives in @staydown/hashing; this descriptor has no image code so the index and
 * the verifier can use it without pulling in a decoder. A licensed hash (PhotoDNA) or a video
 * hash registers its own descriptor.
 */
export interface SignalType {
  /** Stable name used in lists, JSON and the command line. */
  readonly name: string;
  readonly bits: number;
  /** `perceptual`: near matches count (Hamming distance); `exact`: only equality counts. */
  readonly kind: 'perceptual' | 'exact';
  /** Largest distance that counts as a match by default (0 for exact signals). */
  readonly defaultThreshold: number;
  /** Normalises and validates a hex value (lowercase); throws INVALID_HASH. */
  normalize(hex: string): string;
  /** Distance between two normalised values: Hamming for perceptual, 0/1 for exact. */
  distance(a: string, b: string): number;
}

function defineSignal(name: string, bits: number, kind: SignalType['kind'], defaultThreshold: number): SignalType {
  return Object.freeze({
    name,
    bits,
    kind,
    defaultThreshold,
    normalize(hex: string): string {
      const clean = lowercaseHex(hex, bits / 4) ?? lowercaseHex(hex.trim(), bits / 4);
      if (clean === undefined) {
        const length = hex.trim().length;
        throw new StaydownError(
          ErrorCodes.INVALID_HASH,
          `${name} hash must be ${bits / 4} hex digits, got ${length} characters`,
          { details: { signal: name, expectedLength: bits / 4, length } },
        );
      }
      return clean;
    },
    distance(a: string, b: string): number {
      return kind === 'exact' ? (a === b ? 0 : 1) : hexHammingDistance(a, b);
    },
  });
}

/** PDQ: Meta's 256-bit perceptual hash; match at Hamming distance ≤ 31 (Meta's recommendation). */
export const PDQ = defineSignal('pdq', 256, 'perceptual', 31);
/**
 * blockhash 16×16 (256 bits). The threshold follows the blockhash authors' guidance of about
 * 10 of 256 bits for "same image"; it is deliberately far tighter than PDQ's.
 */
export const BLOCKHASH = defineSignal('blockhash', 256, 'perceptual', 10);
export const MD5 = defineSignal('md5', 128, 'exact', 0);
export const SHA1 = defineSignal('sha1', 160, 'exact', 0);
export const SHA256 = defineSignal('sha256', 256, 'exact', 0);

const registry = new Map<string, SignalType>([PDQ, BLOCKHASH, MD5, SHA1, SHA256].map((s) => [s.name, s]));

/** The built-in signal names, in the order they are printed. */
export const BUILTIN_SIGNALS = ['pdq', 'blockhash', 'md5', 'sha1', 'sha256'] as const;
export type BuiltinSignalName = (typeof BUILTIN_SIGNALS)[number];

/** Adds a signal type (e.g. a licensed hash). Names are unique. */
export function registerSignal(signal: SignalType): void {
  if (registry.has(signal.name)) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `signal ${signal.name} is already registered`);
  }
  registry.set(signal.name, signal);
}

export function getSignal(name: string): SignalType {
  const signal = registry.get(name.toLowerCase());
  if (!signal) {
    throw new StaydownError(
      ErrorCodes.UNKNOWN_SIGNAL,
      `unknown signal ${JSON.stringify(name)}; known: ${[...registry.keys()].join(', ')}`,
      {
        details: { signal: name },
      },
    );
  }
  return signal;
}

export function listSignals(): SignalType[] {
  return [...registry.values()];
}
