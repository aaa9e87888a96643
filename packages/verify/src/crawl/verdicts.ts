import type { CheckReason, Verdict } from './types.js';

/** The verdict of a final (non-redirect, non-2xx) HTTP status. 2xx responses are judged by content. */
export function verdictForStatus(status: number): { verdict: Verdict; reason: CheckReason } {
  const reason = `http_${status}` as CheckReason;
  if (status === 404 || status === 410) return { verdict: 'NOT_FOUND', reason };
  if (status === 451) return { verdict: 'LEGAL_BLOCK', reason };
  if (status === 401 || status === 403) return { verdict: 'ACCESS_DENIED', reason };
  // 429, 5xx, other 4xx and unfollowable 3xx prove nothing about the content.
  return { verdict: 'INCONCLUSIVE', reason };
}

/**
 * The verdict of a fetch that got no usable response. Only a name that does not exist or a
 * refused connection is UNREACHABLE; everything else (timeouts, TLS, refused addresses,
 * oversized or cut-off bodies) is INCONCLUSIVE and never counts as removed.
 */
export function verdictForFailure(reason: CheckReason): Verdict {
  return reason === 'dns' || reason === 'connection_refused' ? 'UNREACHABLE' : 'INCONCLUSIVE';
}
