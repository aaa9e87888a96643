/**
 * The contract between the crawl half of @staydown/verify (fetching, SSRF guard, queues,
 * content analysis, verdicts) and the orders/evidence/worker half that calls a `Checker`.
 * Field names are stable: evidence records and reports serialise observations as-is.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';

/** One verdict per check (the vocabulary lives in @staydown/core). INCONCLUSIVE is never counted as removed. */
export type { Verdict } from '@staydown/core';

import type { Verdict } from '@staydown/core';

/** Machine-readable reasons attached to a verdict (always set for INCONCLUSIVE and UNREACHABLE). */
export type CheckReason =
  | 'timeout'
  | 'connect_timeout'
  | 'headers_timeout'
  | 'body_timeout'
  | `http_${number}`
  | 'tls'
  | 'body_too_large'
  | 'truncated'
  | 'address_refused'
  | 'scheme_refused'
  | 'invalid_url'
  | 'redirect_limit'
  | 'redirect_loop'
  | 'redirect_invalid'
  | 'dns'
  | 'dns_temporary'
  | 'connection_refused'
  | 'connection_reset'
  | 'decode_failed'
  | 'low_quality'
  | 'media_inconclusive'
  | 'media_limit'
  | 'aborted'
  | 'network'
  | 'no_media'
  | 'no_match'
  | 'match';

/** A hash the order says the content has: pdq/blockhash (perceptual) or md5/sha1/sha256 (exact). */
export interface ExpectedHash {
  signal: string;
  hash: string;
}

/** One redirect response that was followed (every hop passed the SSRF guard before it was requested). */
export interface RedirectHop {
  url: string;
  status: number;
  location: string;
}

/** A candidate media file found on an HTML page, fetched and hashed. */
export interface MediaObservation {
  url: string;
  status?: number;
  bytesRead: number;
  sha256?: string;
  hashes?: Record<string, string>;
  /** As CheckObservation.bestDistance, for this media file. */
  distance: number | null;
  /** Reason string (same vocabulary as `CheckObservation.reason`) when this media could not be assessed. */
  error?: string;
}

export interface CheckObservation {
  /** The URL exactly as passed to check(). */
  url: string;
  /** The last URL requested (normalised by the WHATWG URL parser, fragment dropped). */
  finalUrl: string;
  redirects: RedirectHop[];
  /** The vetted address the final connection was pinned to (null for refused/unresolved). */
  resolvedIp: string | null;
  /** Vantage point (proxy) name used, null for a direct connection. */
  vantage: string | null;
  /** ISO-8601 UTC. */
  requestedAt: string;
  respondedAt: string | null;
  status: number | null;
  /**
   * Selected response headers (lowercase names): content-type, content-length, server, date,
   * last-modified, etag, retry-after, location, cache-control, age, x-cache.
   */
  headers: Record<string, string>;
  contentType: string | null;
  /** Bytes of the final response body after content-decoding (as counted against maxBodyBytes). */
  bytesRead: number;
  /** SHA-256 of the final response body (hex), null when no complete body was read. */
  sha256: string | null;
  /**
   * Hashes of the fetched body (lowercase hex): md5/sha1/sha256 for any complete 2xx body, plus
   * pdq and blockhash for an image. Empty when no body was read. PDQ quality is in `quality`.
   */
  hashes: Record<string, string>;
  /** PDQ quality (0–100) of the fetched image, null when not an image. */
  quality: number | null;
  /** For HTML pages: candidate media fetched and hashed. */
  media: MediaObservation[];
  /**
   * Best distance to any expected hash: the smallest perceptual (PDQ/blockhash) Hamming distance
   * over the body and its media, or 0 for an exact digest match; null when no perceptual hash was
   * comparable and no digest matched.
   */
  bestDistance: number | null;
  verdict: Verdict;
  /** Why: e.g. 'timeout', 'http_503', 'http_429', 'tls', 'body_too_large', 'truncated', 'address_refused', … */
  reason: CheckReason | null;
  /**
   * Human-readable specifics of a failure, e.g. `10.0.0.1 (private)` for address_refused or the
   * decoder's message for decode_failed. Error text and addresses only, never content.
   */
  detail?: string;
  /** Retry-After from the last 429/503 (ms), null when none was sent. */
  retryAfterMs: number | null;
  /** Attempts made for this check (1 = no retry). */
  attempts: number;
}

export interface CheckerTimeouts {
  /** TCP/TLS connect. Default 10 s. */
  connectMs: number;
  /** From request sent to response headers. Default 15 s. */
  headersMs: number;
  /** Maximum idle time between body chunks, and the whole-body deadline. Default 30 s. */
  bodyMs: number;
}

/** A DNS lookup function with the shape of `dns.lookup` called with `{ all: true }`. */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Which parts of the image hashing to run on fetched images (passed to hashImage). */
export interface CheckerHashOptions {
  /** Default 'reference'. */
  pdq?: 'reference' | 'fullres' | 'fast';
  /** Also compare PDQ dihedral variants (rotated/flipped copies). Default false. */
  dihedral?: boolean;
  /** Decode limits for fetched images. Default: maxPixels 50 M. */
  maxPixels?: number;
}

export interface CheckerOptions {
  /** Allow 127/8 and ::1 (tests and the local demo only). Default false. */
  allowLoopback?: boolean;
  /** Allow RFC 1918 private, CGNAT and unique-local ranges. Default false. */
  allowPrivate?: boolean;
  /** Default `Staydown/0.1 (+removal-order verification)`. */
  userAgent?: string;
  timeouts?: Partial<CheckerTimeouts>;
  /** Maximum decoded body size per response. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Maximum candidate media fetched per HTML page. Default 16. */
  maxMedia?: number;
  /** Requests in flight across all hosts. Default 16. */
  concurrency?: number;
  /** Requests in flight per host. Default 2. */
  perHostConcurrency?: number;
  /** Minimum spacing of request starts per host (ms). Default 0. */
  perHostIntervalMs?: number;
  /** Retries of transient failures (INCONCLUSIVE) within one check. Default 2. */
  retries?: number;
  /** First backoff delay (ms); doubles each retry, with jitter. Default 1000. */
  backoffBaseMs?: number;
  /** Upper bound of a backoff or Retry-After pause (ms). Default 60 000. */
  maxBackoffMs?: number;
  /** Route through a proxy (vantage point); its name is recorded with every check. */
  proxy?: { url: string; name: string };
  /** DNS stub for tests; default `dns.lookup`. */
  lookup?: LookupFunction;
  hashOptions?: CheckerHashOptions;
}

export interface CheckOptions {
  signal?: AbortSignal;
}

export interface Checker {
  /**
   * Fetches `url` (following redirects), hashes what it finds and compares it with `expect`.
   * Never throws for anything the remote side does: those become verdicts. Throws a
   * StaydownError only for caller errors: INVALID_HASH/UNKNOWN_SIGNAL in `expect`, INVALID_ORDER
   * for an empty `expect` or a URL that is not an absolute http(s) URL, ABORTED when `signal` aborts or after close().
   */
  check(url: string, expect: ExpectedHash[], options?: CheckOptions): Promise<CheckObservation>;
  /** Waits for nothing further: cancels queued work and closes connections. */
  close(): Promise<void>;
}
