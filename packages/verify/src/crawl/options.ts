import { ErrorCodes, StaydownError } from '@staydown/core';
import type { CheckerHashOptions, CheckerOptions, CheckerTimeouts, LookupFunction } from './types.js';

/** An honest User-Agent: site operators can see who is fetching and why. */
export const DEFAULT_USER_AGENT = 'Staydown/0.1 (+removal-order verification)';

export interface ResolvedCheckerOptions {
  allowLoopback: boolean;
  allowPrivate: boolean;
  userAgent: string;
  timeouts: CheckerTimeouts;
  maxBodyBytes: number;
  maxRedirects: number;
  maxMedia: number;
  concurrency: number;
  perHostConcurrency: number;
  perHostIntervalMs: number;
  retries: number;
  backoffBaseMs: number;
  maxBackoffMs: number;
  proxy: { url: string; name: string } | undefined;
  lookup: LookupFunction | undefined;
  hashOptions: CheckerHashOptions;
}

/** Every default in one place. */
export const CHECKER_DEFAULTS: Omit<ResolvedCheckerOptions, 'proxy' | 'lookup'> = {
  allowLoopback: false,
  allowPrivate: false,
  userAgent: DEFAULT_USER_AGENT,
  timeouts: { connectMs: 10_000, headersMs: 15_000, bodyMs: 30_000 },
  maxBodyBytes: 32 * 1024 * 1024,
  maxRedirects: 5,
  maxMedia: 16,
  concurrency: 16,
  perHostConcurrency: 2,
  perHostIntervalMs: 0,
  retries: 2,
  backoffBaseMs: 1000,
  maxBackoffMs: 60_000,
  hashOptions: {},
};

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `${name} must be an integer ≥ ${min}, got ${value}`, {
      details: { option: name, value },
    });
  }
  return value;
}

export function resolveCheckerOptions(options: CheckerOptions = {}): ResolvedCheckerOptions {
  const d = CHECKER_DEFAULTS;
  const timeouts = { ...d.timeouts, ...options.timeouts };
  const resolved: ResolvedCheckerOptions = {
    allowLoopback: options.allowLoopback ?? d.allowLoopback,
    allowPrivate: options.allowPrivate ?? d.allowPrivate,
    userAgent: options.userAgent ?? d.userAgent,
    timeouts: {
      connectMs: positiveInt('timeouts.connectMs', timeouts.connectMs, 1),
      headersMs: positiveInt('timeouts.headersMs', timeouts.headersMs, 1),
      bodyMs: positiveInt('timeouts.bodyMs', timeouts.bodyMs, 1),
    },
    maxBodyBytes: positiveInt('maxBodyBytes', options.maxBodyBytes ?? d.maxBodyBytes, 1),
    maxRedirects: positiveInt('maxRedirects', options.maxRedirects ?? d.maxRedirects, 0),
    maxMedia: positiveInt('maxMedia', options.maxMedia ?? d.maxMedia, 0),
    concurrency: positiveInt('concurrency', options.concurrency ?? d.concurrency, 1),
    perHostConcurrency: positiveInt('perHostConcurrency', options.perHostConcurrency ?? d.perHostConcurrency, 1),
    perHostIntervalMs: positiveInt('perHostIntervalMs', options.perHostIntervalMs ?? d.perHostIntervalMs, 0),
    retries: positiveInt('retries', options.retries ?? d.retries, 0),
    backoffBaseMs: positiveInt('backoffBaseMs', options.backoffBaseMs ?? d.backoffBaseMs, 0),
    maxBackoffMs: positiveInt('maxBackoffMs', options.maxBackoffMs ?? d.maxBackoffMs, 0),
    proxy: options.proxy,
    lookup: options.lookup,
    hashOptions: { ...d.hashOptions, ...options.hashOptions },
  };
  if (resolved.proxy) {
    let proxyUrl: URL | null = null;
    try {
      proxyUrl = new URL(resolved.proxy.url);
    } catch {
      // reported below
    }
    if (!proxyUrl || (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') || !resolved.proxy.name) {
      throw new StaydownError(ErrorCodes.INVALID_OPTION, 'proxy needs an http(s) url and a name', {
        details: { option: 'proxy' },
      });
    }
  }
  return resolved;
}
