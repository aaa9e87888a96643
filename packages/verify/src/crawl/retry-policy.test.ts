import { describe, expect, it } from 'vitest';
import { compareHashes, normalizeExpectations } from './match.js';
import { backoffDelay, isTransient, parseRetryAfter } from './retry-policy.js';
import { verdictForFailure, verdictForStatus } from './verdicts.js';

describe('retry policy', () => {
  it('retries transient reasons only', () => {
    for (const r of ['http_503', 'http_500', 'http_429', 'body_timeout', 'truncated', 'connection_reset'] as const) {
      expect(isTransient(r)).toBe(true);
    }
    for (const r of [
      'address_refused',
      'body_too_large',
      'redirect_loop',
      'tls',
      'decode_failed',
      'http_404',
    ] as const) {
      expect(isTransient(r)).toBe(false);
    }
    expect(isTransient(null)).toBe(false);
  });
  it('backs off exponentially with bounded jitter', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(400);
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000);
  });
  it('parses Retry-After seconds and dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('verdicts', () => {
  it('maps statuses and failures', () => {
    expect(verdictForStatus(404).verdict).toBe('NOT_FOUND');
    expect(verdictForStatus(410).verdict).toBe('NOT_FOUND');
    expect(verdictForStatus(451).verdict).toBe('LEGAL_BLOCK');
    expect(verdictForStatus(401).verdict).toBe('ACCESS_DENIED');
    expect(verdictForStatus(403).verdict).toBe('ACCESS_DENIED');
    expect(verdictForStatus(503)).toEqual({ verdict: 'INCONCLUSIVE', reason: 'http_503' });
    expect(verdictForStatus(429)).toEqual({ verdict: 'INCONCLUSIVE', reason: 'http_429' });
    expect(verdictForFailure('dns')).toBe('UNREACHABLE');
    expect(verdictForFailure('connection_refused')).toBe('UNREACHABLE');
    expect(verdictForFailure('address_refused')).toBe('INCONCLUSIVE');
    expect(verdictForFailure('body_timeout')).toBe('INCONCLUSIVE');
  });
});

describe('compareHashes', () => {
  const pdq = 'f'.repeat(64);
  const sha = 'a'.repeat(64);
  const expected = normalizeExpectations([
    { signal: 'PDQ', hash: pdq.toUpperCase() },
    { signal: 'sha256', hash: sha },
  ]);
  it('matches perceptual hashes within the default threshold and digests exactly', () => {
    const near = `${'0'.repeat(7)}${'f'.repeat(57)}`; // 28 bits differ
    expect(compareHashes({ pdq: near }, expected)).toEqual({ distance: 28, matched: true, matchedBy: ['pdq'] });
    const far = `${'0'.repeat(8)}${'f'.repeat(56)}`; // 32 bits differ
    expect(compareHashes({ pdq: far }, expected)).toEqual({ distance: 32, matched: false, matchedBy: [] });
    expect(compareHashes({ sha256: sha }, expected)).toEqual({ distance: 0, matched: true, matchedBy: ['sha256'] });
    expect(compareHashes({ sha256: 'b'.repeat(64) }, expected)).toEqual({
      distance: null,
      matched: false,
      matchedBy: [],
    });
    expect(compareHashes({ md5: 'c'.repeat(32) }, expected)).toEqual({ distance: null, matched: false, matchedBy: [] });
  });
  it('compares dihedral variants', () => {
    expect(compareHashes({ pdq: '0'.repeat(64) }, expected, { pdq: [pdq] })).toEqual({
      distance: 0,
      matched: true,
      matchedBy: ['pdq'],
    });
  });
  it('rejects invalid expectations', () => {
    expect(() => normalizeExpectations([{ signal: 'pdq', hash: 'abc' }])).toThrow(
      expect.objectContaining({ code: 'INVALID_HASH' }),
    );
    expect(() => normalizeExpectations([{ signal: 'nope', hash: 'abc' }])).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SIGNAL' }),
    );
  });
});
