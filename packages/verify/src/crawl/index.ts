export type {
  Checker,
  CheckerHashOptions,
  CheckerOptions,
  CheckerTimeouts,
  CheckObservation,
  CheckOptions,
  CheckReason,
  ExpectedHash,
  LookupFunction,
  MediaObservation,
  RedirectHop,
  Verdict,
} from './types.js';
