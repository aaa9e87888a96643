export type { AddressClass, AddressPolicy } from './address-policy.js';
export { classifyAddress, isAddressAllowed } from './address-policy.js';
export { createChecker } from './checker.js';
export { extractMediaCandidates, parseSrcset } from './html-media.js';
export { CHECKER_DEFAULTS, DEFAULT_USER_AGENT } from './options.js';
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
