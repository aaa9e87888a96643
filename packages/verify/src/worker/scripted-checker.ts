import { ErrorCodes, StaydownError } from '@staydown/core';
import type { Checker, CheckObservation, ExpectedHash, Verdict } from '../crawl/types.js';

export type ScriptedAnswer = Verdict | (Partial<CheckObservation> & { verdict: Verdict });

/**
 * A Checker that answers from a script instead of the network: `script(url, at)` says what the
 * URL shows at time `at`. For tests and dry runs of schedules; it fetches nothing.
 */
export class ScriptedChecker implements Checker {
  calls = 0;
  private closed = false;

  constructor(
    private readonly script: (
      url: string,
      at: number,
      expect: ExpectedHash[],
    ) => ScriptedAnswer | Promise<ScriptedAnswer>,
    private readonly now: () => number = Date.now,
  ) {}

  async check(url: string, expect: ExpectedHash[], options: { signal?: AbortSignal } = {}): Promise<CheckObservation> {
    if (this.closed || options.signal?.aborted) throw new StaydownError(ErrorCodes.ABORTED, 'check aborted');
    this.calls += 1;
    const requestedAt = this.now();
    const answer = await this.script(url, requestedAt, expect);
    if (options.signal?.aborted) throw new StaydownError(ErrorCodes.ABORTED, 'check aborted');
    const partial = typeof answer === 'string' ? { verdict: answer } : answer;
    const present = partial.verdict === 'PRESENT';
    const status = partial.verdict === 'NOT_FOUND' ? 404 : partial.verdict === 'INCONCLUSIVE' ? 503 : 200;
    return {
      url,
      finalUrl: url,
      redirects: [],
      resolvedIp: '127.0.0.1',
      vantage: null,
      requestedAt: new Date(requestedAt).toISOString(),
      respondedAt: new Date(this.now()).toISOString(),
      status,
      headers: {},
      contentType: present ? 'image/png' : 'text/html',
      bytesRead: 0,
      sha256: null,
      hashes: {},
      quality: null,
      media: [],
      bestDistance: present ? 0 : null,
      reason: partial.verdict === 'INCONCLUSIVE' ? 'http_503' : present ? 'match' : null,
      retryAfterMs: null,
      attempts: 1,
      ...partial,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
