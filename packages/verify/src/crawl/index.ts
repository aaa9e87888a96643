/**
 * The crawl half of @staydown/verify: `createChecker()` fetches a URL the way a removal order
 * needs it checked and returns one `CheckObservation` with a verdict.
 *
 * - SSRF guard: every hop (first request, each redirect, each page media) is resolved and vetted
 *   before any connection; only public unicast addresses pass unless `allowLoopback` /
 *   `allowPrivate`; connections are pinned to the vetted address. Refusal is INCONCLUSIVE
 *   'address_refused'. Through a `proxy` the proxy resolves the target itself: the target is
 *   still vetted first, but pinning cannot reach past the proxy.
 * - Politeness: a global and a per-host p-queue (concurrency, spacing); 429/503 pause the host
 *   for Retry-After; transient failures retry with exponential backoff and jitter.
 * - Bodies are capped after content-decoding, held in memory only, never written or logged.
 * - INCONCLUSIVE never means removed: timeouts, 5xx/429, TLS, truncated or oversized bodies,
 *   undecodable images, unreadable page media and PDQ-only matches on featureless images.
 */
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
