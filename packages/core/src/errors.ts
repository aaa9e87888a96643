/**
 * One error hierarchy for the whole engine. Every failure a caller can act on carries a
 * stable `code`: other systems (the hotline's case tools, the regulator's pipeline) switch on
 * the code, never on the message, so codes are never renamed once released.
 */
export const ErrorCodes = {
  // Input and decoding
  EMPTY_INPUT: 'EMPTY_INPUT',
  UNSUPPORTED_FORMAT: 'UNSUPPORTED_FORMAT',
  TOO_MANY_PIXELS: 'TOO_MANY_PIXELS',
  TOO_LARGE: 'TOO_LARGE',
  DECODE_FAILED: 'DECODE_FAILED',
  READ_FAILED: 'READ_FAILED',
  WRITE_FAILED: 'WRITE_FAILED',
  // Hashes and signals
  INVALID_HASH: 'INVALID_HASH',
  UNKNOWN_SIGNAL: 'UNKNOWN_SIGNAL',
  INVALID_OPTION: 'INVALID_OPTION',
  // Index
  INDEX_OPEN_FAILED: 'INDEX_OPEN_FAILED',
  INDEX_CLOSED: 'INDEX_CLOSED',
  UNKNOWN_LIST: 'UNKNOWN_LIST',
  IMPORT_INVALID_LINE: 'IMPORT_INVALID_LINE',
  /** A CSV header whose columns cannot be mapped to fields without losing one's values. */
  IMPORT_INVALID_HEADER: 'IMPORT_INVALID_HEADER',
  IMPORT_FAILED: 'IMPORT_FAILED',
  UNKNOWN_FORMAT: 'UNKNOWN_FORMAT',
  // Scanner
  WORKER_CRASHED: 'WORKER_CRASHED',
  WORKER_TIMEOUT: 'WORKER_TIMEOUT',
  SCANNER_CLOSED: 'SCANNER_CLOSED',
  /** The scanner's threads failed outside any task (e.g. could not start): it cannot go on. */
  SCANNER_FAILED: 'SCANNER_FAILED',
  ABORTED: 'ABORTED',
  // Verification
  INVALID_ORDER: 'INVALID_ORDER',
  UNKNOWN_ORDER: 'UNKNOWN_ORDER',
  ADDRESS_REFUSED: 'ADDRESS_REFUSED',
  FETCH_FAILED: 'FETCH_FAILED',
  EVIDENCE_INVALID: 'EVIDENCE_INVALID',
  ORDER_CONFLICT: 'ORDER_CONFLICT',
  STORE_FAILED: 'STORE_FAILED',
  // Command line
  USAGE: 'USAGE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface StaydownErrorOptions {
  cause?: unknown;
  /** Machine-readable context (field name, line number, limit…). Never holds content bytes. */
  details?: Record<string, unknown>;
}

export class StaydownError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: StaydownErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StaydownError';
    this.code = code;
    this.details = options.details;
  }

  /** The shape written to JSON output: `{ code, message }` plus details when present. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isStaydownError(value: unknown, code?: ErrorCode): value is StaydownError {
  return value instanceof StaydownError && (code === undefined || value.code === code);
}

/**
 * Wraps anything thrown into a StaydownError so callers always get a code. Errors crossing a
 * worker_threads boundary lose their prototype, so a plain object with a known `code` is kept.
 */
export function toStaydownError(value: unknown, fallback: ErrorCode = ErrorCodes.INTERNAL): StaydownError {
  if (value instanceof StaydownError) return value;
  if (value !== null && typeof value === 'object') {
    const { code, message, details } = value as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof code === 'string' && code in ErrorCodes) {
      return new StaydownError(code as ErrorCode, String(message ?? code), {
        cause: value,
        details: details as Record<string, unknown> | undefined,
      });
    }
  }
  const message = value instanceof Error ? value.message : String(value);
  return new StaydownError(fallback, message, { cause: value });
}
