import { createHash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import type { SsrfGuard } from './ssrf-guard.js';
import type { CheckerTimeouts, CheckReason } from './types.js';

/** Response headers kept with an observation (evidence); everything else is dropped. */
export const RECORDED_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'server',
  'date',
  'last-modified',
  'etag',
  'retry-after',
  'location',
  'cache-control',
  'age',
  'x-cache',
] as const;

export interface FetchSettings {
  userAgent: string;
  timeouts: CheckerTimeouts;
  maxBodyBytes: number;
}

/** A response that arrived. `body` is the decoded body, held in memory only (null when not read). */
export interface FetchedResponse {
  ok: true;
  status: number;
  headers: Record<string, string>;
  respondedAt: string;
  body: Buffer | null;
  bytesRead: number;
  sha256: string | null;
}

export interface FetchFailure {
  ok: false;
  reason: CheckReason;
  detail: string;
  /** Set when headers arrived before the failure (e.g. a truncated or oversized body). */
  status: number | null;
  headers: Record<string, string>;
  respondedAt: string | null;
  bytesRead: number;
}

export type FetchResult = FetchedResponse | FetchFailure;

/** Thrown inside the body pipeline when the decoded body passes maxBodyBytes. */
class BodyTooLarge extends Error {}
class BodyDeadline extends Error {}

/**
 * Builds the undici dispatcher: connections pinned through the SSRF guard's lookup, connect,
 * header and idle-body timeouts. Through a proxy (vantage point) the proxy resolves the target
 * itself; the guard still vets the target first, but pinning cannot reach past the proxy.
 */
export function createDispatcher(
  guard: SsrfGuard,
  settings: FetchSettings,
  proxy: { url: string } | undefined,
  connections: number,
): Dispatcher {
  // undici's plain Agent never follows redirects: the checker follows them hop by hop.
  const common = { headersTimeout: settings.timeouts.headersMs, bodyTimeout: settings.timeouts.bodyMs, connections };
  if (proxy) {
    return new ProxyAgent({
      uri: proxy.url,
      ...common,
      requestTls: { timeout: settings.timeouts.connectMs },
      proxyTls: { timeout: settings.timeouts.connectMs },
      connect: { timeout: settings.timeouts.connectMs },
    });
  }
  return new Agent({
    ...common,
    connect: { timeout: settings.timeouts.connectMs, lookup: guard.connectLookup as never },
  });
}

function pickHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = raw[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Decoders for a Content-Encoding list, outermost first; null for an encoding we did not ask for. */
function decodersFor(contentEncoding: string | undefined): Transform[] | null {
  if (!contentEncoding) return [];
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const decoders: Transform[] = [];
  // Codings are listed in the order they were applied: undo them last to first.
  for (const coding of codings.reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(zlib.createGunzip());
    else if (coding === 'deflate') decoders.push(zlib.createInflate());
    else if (coding === 'br') decoders.push(zlib.createBrotliDecompress());
    else return null;
  }
  return decoders;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

function errorCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'unknown';
}

/** Maps a failure before any response headers arrived to a reason. */
function requestFailureReason(err: unknown): CheckReason {
  const code = errorCode(err);
  if (code === 'ESTAYDOWN_REFUSED') return 'address_refused';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'connect_timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers_timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ENOTFOUND') return 'dns';
  if (code === 'EAI_AGAIN') return 'dns_temporary';
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) return 'tls';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection_reset';
  return 'network';
}

/** Maps a failure while reading the body to a reason. */
function bodyFailureReason(err: unknown): CheckReason {
  if (err instanceof BodyTooLarge) return 'body_too_large';
  if (err instanceof BodyDeadline) return 'body_timeout';
  const code = errorCode(err);
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'body_timeout';
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL')) return 'tls';
  // Socket closed early, length mismatch, broken compressed stream: the body is incomplete.
  return 'truncated';
}

function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code === 'unknown' ? message : `${code}: ${message}`;
}

/**
 * One GET of one URL (no redirect following). The URL must already have passed the SSRF guard.
 * The body is read only when `readBody` (2xx responses the checker analyses); its decoded size
 * is counted as it arrives and the read is aborted past `maxBodyBytes`. Bytes stay in memory.
 */
export async function fetchOnce(
  url: URL,
  dispatcher: Dispatcher,
  settings: FetchSettings,
  readBody: (status: number) => boolean,
  signal: AbortSignal | undefined,
): Promise<FetchResult> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher,
      signal,
      headers: {
        'user-agent': settings.userAgent,
        accept: 'image/*,text/html;q=0.9,*/*;q=0.5',
        'accept-encoding': 'gzip, deflate, br',
      },
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    return {
      ok: false,
      reason: requestFailureReason(err),
      detail: describe(err),
      status: null,
      headers: {},
      respondedAt: null,
      bytesRead: 0,
    };
  }
  const respondedAt = new Date().toISOString();
  const status = response.statusCode;
  const headers = pickHeaders(response.headers as Record<string, string | string[] | undefined>);
  const raw = response.body as unknown as Readable;
  // A body we stop reading errors with "aborted": keep that from surfacing as an uncaught error.
  raw.on('error', () => {});
  if (!readBody(status)) {
    // Drain a little so the keep-alive connection can be reused (redirects, error pages), then drop it.
    void (response.body as Dispatcher.ResponseData['body']).dump({ limit: 64 * 1024 }).catch(() => {});
    return { ok: true, status, headers, respondedAt, body: null, bytesRead: 0, sha256: null };
  }
  const decoders = decodersFor(headers['content-encoding']);
  if (decoders === null) {
    raw.destroy();
    return {
      ok: false,
      reason: 'decode_failed',
      detail: `unsupported content-encoding ${headers['content-encoding']}`,
      status,
      headers,
      respondedAt,
      bytesRead: 0,
    };
  }
  const chunks: Buffer[] = [];
  const digest = createHash('sha256');
  let bytesRead = 0;
  // Remembered here: a stream may report a follow-on error (premature close) instead.
  let failure: BodyTooLarge | BodyDeadline | null = null;
  // The whole-body deadline destroys the response; the caller's signal is already wired to it by
  // undici. (No AbortSignal.any here: on Node 20 its dependants pile up on a long-lived signal.)
  const timer = setTimeout(() => {
    failure = new BodyDeadline('body deadline');
    raw.destroy(failure);
  }, settings.timeouts.bodyMs);
  // Counted after content-decoding, so a small compressed body cannot inflate past the limit.
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      bytesRead += chunk.length;
      if (bytesRead > settings.maxBodyBytes) {
        failure = new BodyTooLarge(`body over ${settings.maxBodyBytes} bytes`);
        throw failure;
      }
      chunks.push(chunk);
      digest.update(chunk);
    }
  };
  // The variadic pipeline overloads do not type a spread of decoders; the call is the documented form.
  const run = pipeline as unknown as (...stages: unknown[]) => Promise<void>;
  try {
    // Plain bodies are iterated directly: a pipeline costs an AbortController per response.
    await (decoders.length === 0 ? collect(raw) : run(raw, ...decoders, collect));
  } catch (err) {
    raw.destroy();
    if (signal?.aborted) throw err;
    const cause = failure ?? err;
    return {
      ok: false,
      reason: bodyFailureReason(cause),
      detail: describe(cause),
      status,
      headers,
      respondedAt,
      bytesRead,
    };
  } finally {
    clearTimeout(timer);
  }
  return {
    ok: true,
    status,
    headers,
    respondedAt,
    body: Buffer.concat(chunks),
    bytesRead,
    sha256: digest.digest('hex'),
  };
}
