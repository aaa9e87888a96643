import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, StaydownError, toStaydownError } from '@staydown/core';
import type { Dispatcher } from 'undici';
import { contentKind, digestBody, hashImageBody, isTrustedMatch } from './content.js';
import { HostQueues } from './host-queues.js';
import { extractMediaCandidates } from './html-media.js';
import { createDispatcher, type FetchResult, type FetchSettings, fetchOnce } from './http-fetch.js';
import { compareHashes, type NormalizedExpectation, normalizeExpectations } from './match.js';
import { type ResolvedCheckerOptions, resolveCheckerOptions } from './options.js';
import { backoffDelay, isTransient, parseRetryAfter } from './retry-policy.js';
import { SsrfGuard } from './ssrf-guard.js';
import type {
  Checker,
  CheckerOptions,
  CheckObservation,
  CheckOptions,
  CheckReason,
  ExpectedHash,
  MediaObservation,
  RedirectHop,
} from './types.js';
import { verdictForFailure, verdictForStatus } from './verdicts.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Media fetch outcomes that say nothing about whether the content is still up. */
const MEDIA_DEFINITIVE_FAILURES = new Set<string>(['address_refused', 'scheme_refused', 'dns', 'connection_refused']);

/** The last hop of a followed chain: a response (any status) or a failure. */
interface FollowResult {
  url: URL;
  redirects: RedirectHop[];
  result: FetchResult;
  resolvedIp: string | null;
  requestedAt: string | null;
  retryAfterMs: number | null;
}

class CrawlChecker implements Checker {
  private readonly options: ResolvedCheckerOptions;
  private readonly guard: SsrfGuard;
  private readonly dispatcher: Dispatcher;
  private readonly queues: HostQueues;
  private readonly fetchSettings: FetchSettings;
  private readonly closing = new AbortController();

  constructor(options: CheckerOptions) {
    this.options = resolveCheckerOptions(options);
    // Every in-flight check and request listens on the close signal: many listeners are expected.
    setMaxListeners(0, this.closing.signal);
    const o = this.options;
    this.guard = new SsrfGuard({ allowLoopback: o.allowLoopback, allowPrivate: o.allowPrivate }, o.lookup);
    this.fetchSettings = { userAgent: o.userAgent, timeouts: o.timeouts, maxBodyBytes: o.maxBodyBytes };
    this.dispatcher = createDispatcher(this.guard, this.fetchSettings, o.proxy, o.perHostConcurrency);
    this.queues = new HostQueues({
      concurrency: o.concurrency,
      perHostConcurrency: o.perHostConcurrency,
      perHostIntervalMs: o.perHostIntervalMs,
    });
  }

  async check(url: string, expect: ExpectedHash[], options: CheckOptions = {}): Promise<CheckObservation> {
    if (this.closing.signal.aborted) throw new StaydownError(ErrorCodes.ABORTED, 'checker is closed');
    if (expect.length === 0) {
      throw new StaydownError(ErrorCodes.INVALID_ORDER, 'a check needs at least one expected hash', {
        details: { url },
      });
    }
    const expected = normalizeExpectations(expect);
    const start = parseTargetUrl(url);
    const link = linkSignals(this.closing.signal, options.signal);
    const { signal } = link;
    try {
      let attempts = 0;
      for (;;) {
        attempts++;
        const observation = await this.attempt(url, start, expected, signal);
        observation.attempts = attempts;
        if (!isTransient(observation.reason) || attempts > this.options.retries) return observation;
        const retryAfter = observation.retryAfterMs;
        if (retryAfter !== null && retryAfter > this.options.maxBackoffMs) {
          // The host asked for longer than a check may wait: report, let the schedule come back later.
          return observation;
        }
        // A 429/503 already paused the host's queue (fetchHop): the retry waits there. Others back off here.
        if (observation.status !== 429 && observation.status !== 503) {
          const delay = backoffDelay(attempts, this.options.backoffBaseMs, this.options.maxBackoffMs);
          await sleep(delay, undefined, { signal });
        }
      }
    } catch (err) {
      if (signal.aborted) {
        throw new StaydownError(ErrorCodes.ABORTED, `check of ${start.href} was aborted`, { cause: err });
      }
      throw toStaydownError(err);
    } finally {
      link.dispose();
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new StaydownError(ErrorCodes.ABORTED, 'checker closed'));
    this.queues.clear();
    await this.dispatcher.destroy();
  }

  /** One attempt: follow redirects to the final response, then judge what it holds. */
  private async attempt(
    requested: string,
    start: URL,
    expected: NormalizedExpectation[],
    signal: AbortSignal,
  ): Promise<CheckObservation> {
    const requestedAt = new Date().toISOString();
    const followed = await this.follow(start, signal);
    const { result } = followed;
    const observation: CheckObservation = {
      url: requested, // exactly as the order gave it, so evidence joins back to the order
      finalUrl: followed.url.href,
      redirects: followed.redirects,
      resolvedIp: followed.resolvedIp,
      vantage: this.options.proxy?.name ?? null,
      requestedAt: followed.requestedAt ?? requestedAt,
      respondedAt: result.respondedAt,
      status: result.status,
      headers: result.headers,
      contentType: result.headers['content-type'] ?? null,
      bytesRead: result.bytesRead,
      sha256: result.ok ? result.sha256 : null,
      hashes: {},
      quality: null,
      media: [],
      bestDistance: null,
      verdict: 'INCONCLUSIVE',
      reason: null,
      retryAfterMs: followed.retryAfterMs,
      attempts: 1,
    };
    if (!result.ok) {
      observation.verdict = verdictForFailure(result.reason);
      observation.reason = result.reason;
      observation.detail = result.detail;
      return observation;
    }
    if (result.status < 200 || result.status > 299 || result.body === null) {
      const { verdict, reason } = verdictForStatus(result.status);
      observation.verdict = verdict;
      observation.reason = reason;
      return observation;
    }
    await this.judgeContent(observation, result.body, expected, signal);
    return observation;
  }

  /** Judges a complete 2xx body: an image by its hashes, a page by its media, anything else by digest. */
  private async judgeContent(
    observation: CheckObservation,
    body: Buffer,
    expected: NormalizedExpectation[],
    signal: AbortSignal,
  ): Promise<void> {
    const kind = contentKind(observation.contentType, body);
    if (kind === 'image' && body.length > 0) {
      const hashed = await hashImageBody(body, this.options.hashOptions);
      if (!hashed.ok) {
        observation.hashes = digestBody(body);
        observation.verdict = 'INCONCLUSIVE';
        observation.reason = hashed.reason;
        observation.detail = hashed.detail;
        return;
      }
      observation.hashes = hashed.hashes;
      observation.quality = hashed.quality;
      const cmp = compareHashes(hashed.hashes, expected, hashed.variants);
      observation.bestDistance = cmp.distance;
      if (cmp.matched && !isTrustedMatch(cmp.matchedBy, hashed.lowQuality)) {
        // Neither proof of presence nor of removal.
        observation.verdict = 'INCONCLUSIVE';
        observation.reason = 'low_quality';
        return;
      }
      observation.verdict = cmp.matched ? 'PRESENT' : 'REPLACED';
      observation.reason = cmp.matched ? 'match' : 'no_match';
      return;
    }
    observation.hashes = digestBody(body);
    const own = compareHashes(observation.hashes, expected);
    observation.bestDistance = own.distance;
    if (own.matched) {
      observation.verdict = 'PRESENT';
      observation.reason = 'match';
      return;
    }
    if (kind !== 'html') {
      observation.verdict = 'REPLACED';
      observation.reason = 'no_match';
      return;
    }
    const candidates = extractMediaCandidates(decodeText(body, observation.contentType), observation.finalUrl);
    const chosen = candidates.slice(0, this.options.maxMedia);
    const observed = await Promise.all(chosen.map((u) => this.observeMedia(new URL(u), expected, signal)));
    observation.media = observed.map((o) => o.media);
    for (const m of observation.media) {
      if (m.distance !== null && (observation.bestDistance === null || m.distance < observation.bestDistance)) {
        observation.bestDistance = m.distance;
      }
    }
    if (observed.some((o) => o.matched)) {
      observation.verdict = 'PRESENT';
      observation.reason = 'match';
    } else if (observation.media.some((m) => m.error !== undefined && !MEDIA_DEFINITIVE_FAILURES.has(m.error))) {
      // A candidate we could not read (or only matched untrustworthily) may be the very image.
      observation.verdict = 'INCONCLUSIVE';
      observation.reason = 'media_inconclusive';
    } else if (candidates.length > chosen.length) {
      observation.verdict = 'INCONCLUSIVE';
      observation.reason = 'media_limit';
    } else {
      observation.verdict = 'REPLACED';
      observation.reason = candidates.length === 0 ? 'no_media' : 'no_match';
    }
  }

  /** Fetches and hashes one candidate media URL through the same guard, queues and limits. */
  private async observeMedia(
    url: URL,
    expected: NormalizedExpectation[],
    signal: AbortSignal,
  ): Promise<{ media: MediaObservation; matched: boolean }> {
    const { result } = await this.follow(url, signal);
    const unmatched = (media: MediaObservation) => ({ media, matched: false });
    if (!result.ok) {
      const media: MediaObservation = {
        url: url.href,
        bytesRead: result.bytesRead,
        distance: null,
        error: result.reason,
      };
      if (result.status !== null) media.status = result.status;
      return unmatched(media);
    }
    const base: MediaObservation = {
      url: url.href,
      status: result.status,
      bytesRead: result.bytesRead,
      distance: null,
    };
    if (result.status < 200 || result.status > 299 || result.body === null) {
      const { verdict, reason } = verdictForStatus(result.status);
      // A media file that is gone or denied is simply not shown; a 5xx/429 leaves it unknown.
      return unmatched(verdict === 'INCONCLUSIVE' ? { ...base, error: reason } : base);
    }
    base.sha256 = result.sha256 ?? undefined;
    // A complete but empty body holds nothing: judged by digest like any non-image.
    if (result.body.length === 0 || contentKind(result.headers['content-type'] ?? null, result.body) !== 'image') {
      base.hashes = digestBody(result.body);
      const cmp = compareHashes(base.hashes, expected);
      base.distance = cmp.distance;
      return { media: base, matched: cmp.matched };
    }
    const hashed = await hashImageBody(result.body, this.options.hashOptions);
    if (!hashed.ok) return unmatched({ ...base, error: hashed.reason });
    base.hashes = hashed.hashes;
    const cmp = compareHashes(hashed.hashes, expected, hashed.variants);
    base.distance = cmp.distance;
    if (cmp.matched && !isTrustedMatch(cmp.matchedBy, hashed.lowQuality))
      return unmatched({ ...base, error: 'low_quality' });
    return { media: base, matched: cmp.matched };
  }

  /**
   * Follows redirects by hand so every hop passes the SSRF guard and is recorded. Stops at a
   * loop, past maxRedirects, or at a Location that is not http(s).
   */
  private async follow(start: URL, signal: AbortSignal): Promise<FollowResult> {
    const redirects: RedirectHop[] = [];
    const visited = new Set<string>([start.href]);
    let current = start;
    let retryAfterMs: number | null = null;
    let firstRequestedAt: string | null = null;
    for (;;) {
      const hop = await this.fetchHop(current, signal);
      firstRequestedAt ??= hop.requestedAt;
      if (hop.retryAfterMs !== null) retryAfterMs = hop.retryAfterMs;
      const { result } = hop;
      const done = (override?: FetchResult): FollowResult => ({
        url: current,
        redirects,
        result: override ?? result,
        resolvedIp: hop.resolvedIp,
        requestedAt: firstRequestedAt,
        retryAfterMs,
      });
      if (!result.ok || !REDIRECT_STATUSES.has(result.status)) return done();
      const location = result.headers.location;
      const fail = (reason: CheckReason, detail: string): FollowResult =>
        done({
          ok: false,
          reason,
          detail,
          status: result.status,
          headers: result.headers,
          respondedAt: result.respondedAt,
          bytesRead: 0,
        });
      if (!location) return fail('redirect_invalid', `${result.status} without Location`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        return fail('redirect_invalid', `unparseable Location ${JSON.stringify(location)}`);
      }
      redirects.push({ url: current.href, status: result.status, location: next.href });
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return fail('scheme_refused', `redirect to ${next.protocol} refused`);
      }
      next.hash = '';
      if (visited.has(next.href)) return fail('redirect_loop', `redirect back to ${next.href}`);
      if (redirects.length > this.options.maxRedirects) {
        return fail('redirect_limit', `more than ${this.options.maxRedirects} redirects`);
      }
      visited.add(next.href);
      current = next;
    }
  }

  /** One request inside the host's queue: vet the address, fetch, and slow the host down on 429/503. */
  private fetchHop(
    url: URL,
    signal: AbortSignal,
  ): Promise<{ result: FetchResult; resolvedIp: string | null; requestedAt: string; retryAfterMs: number | null }> {
    const host = url.hostname.toLowerCase();
    return this.queues.run(
      host,
      async () => {
        const requestedAt = new Date().toISOString();
        const vetted = await this.guard.vet(url);
        if (!vetted.ok) {
          const result: FetchResult = {
            ok: false,
            reason: vetted.reason,
            detail: vetted.detail,
            status: null,
            headers: {},
            respondedAt: null,
            bytesRead: 0,
          };
          return { result, resolvedIp: null, requestedAt, retryAfterMs: null };
        }
        const result = await fetchOnce(
          url,
          this.dispatcher,
          this.fetchSettings,
          (status) => status >= 200 && status <= 299,
          signal,
        );
        let retryAfterMs: number | null = null;
        if (result.status === 429 || result.status === 503) {
          retryAfterMs = parseRetryAfter(result.headers['retry-after']);
          const pause = retryAfterMs ?? backoffDelay(1, this.options.backoffBaseMs, this.options.maxBackoffMs);
          this.queues.pauseHost(host, Math.min(pause, this.options.maxBackoffMs));
        }
        return { result, resolvedIp: vetted.target.address, requestedAt, retryAfterMs };
      },
      signal,
    );
  }
}

/**
 * One signal that aborts when either the checker closes or the caller aborts. Built by hand
 * rather than with AbortSignal.any, whose dependants accumulate on the long-lived close signal
 * (Node 20); `dispose` unhooks it when the check ends.
 */
function linkSignals(closing: AbortSignal, caller: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
  if (!caller) return { signal: closing, dispose() {} };
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // a page's media requests all listen on it
  const onClosing = () => controller.abort(closing.reason);
  const onCaller = () => controller.abort(caller.reason);
  if (closing.aborted) onClosing();
  else if (caller.aborted) onCaller();
  closing.addEventListener('abort', onClosing, { once: true });
  caller.addEventListener('abort', onCaller, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      closing.removeEventListener('abort', onClosing);
      caller.removeEventListener('abort', onCaller);
    },
  };
}

function parseTargetUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StaydownError(ErrorCodes.INVALID_ORDER, `not an absolute URL: ${JSON.stringify(url)}`, {
      details: { url },
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new StaydownError(
      ErrorCodes.INVALID_ORDER,
      `only http and https URLs can be checked, got ${parsed.protocol}`,
      {
        details: { url },
      },
    );
  }
  parsed.hash = '';
  return parsed;
}

function decodeText(body: Buffer, contentType: string | null): string {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** Creates a checker: one dispatcher, one SSRF guard and one set of host queues, shared by every check. */
export function createChecker(options: CheckerOptions = {}): Checker {
  return new CrawlChecker(options);
}
