export { appendAll, maxOf, minOf } from './arrays.js';
export type { ErrorCode, StaydownErrorOptions } from './errors.js';
export { ErrorCodes, isStaydownError, StaydownError, toStaydownError } from './errors.js';
export { bytesToHex, hammingDistance, hexHammingDistance, hexInto, hexToBytes, isHex, popcount32 } from './hex.js';
export type { BuiltinSignalName, SignalType } from './signals.js';
export {
  BLOCKHASH,
  BUILTIN_SIGNALS,
  getSignal,
  listSignals,
  MD5,
  PDQ,
  registerSignal,
  SHA1,
  SHA256,
} from './signals.js';
export { THREAD_QUIET_MS, untilThreadQuiet } from './threads.js';
export { ABSENT_VERDICTS, type Verdict, verdictClass } from './verdicts.js';
