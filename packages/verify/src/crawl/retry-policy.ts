import type { CheckReason } from './types.js';

/**
 * Which INCONCLUSIVE reasons are worth another try within the same check: the remote side may
 * answer differently in a moment. Deterministic refusals (address, scheme, size, redirects,
 * TLS, undecodable image) are not retried: they would only repeat.
 */
const TRANSIENT = new Set<string>([
  'timeout',
  'connect_timeout',
  'headers_timeout',
  'body_timeout',
  'connection_reset',
  'truncated',
  'dns_temporary',
  'network',
  'media_inconclusive',
  'http_408',
  'http_429',
]);

export function isTransient(reason: CheckReason | null): boolean {
  if (reason === null) return false;
  return TRANSIENT.has(reason) || /^http_5\d\d$/.test(reason);
}

/** Exponential backoff with jitter: the n-th retry (1-based) waits between half and all of base·2ⁿ⁻¹. */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After as milliseconds from now (delta-seconds or an HTTP date); null when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
