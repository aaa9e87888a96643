import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { type FaultImages, generateFaultImages } from './images.js';
import { createStubLookup, type StubLookup } from './stub-lookup.js';

/**
 * A local web server that misbehaves on purpose, for the verifier's tests, benchmark and demo.
 * It listens on 127.0.0.1 only, serves synthetic images, and answers any Host header, so the
 * virtual hosts (host1.test … hostN.test) reach it through the stub DNS in `lookup`.
 *
 * Routes:
 *   /image.jpg  /resized.webp  /placeholder.jpg  /decoy-0.jpg  /decoy-1.jpg
 *   /image.png (the image, mislabelled as text/plain)  /flat.png (featureless: PDQ quality 0)
 *   /empty.jpg (200 image/jpeg with an empty, complete body)
 *   /status/<code>                any status, e.g. 404 410 451 401 403 500
 *   /page.html                    embeds the image via <img srcset> (with decoys)
 *   /page-placeholder.html        same page, image swapped for the placeholder
 *   /page-media-503.html          page whose only image answers 503
 *   /page-private-media.html      page embedding http://private.test/image.jpg and the placeholder
 *   /soft-404.html                200 text/html "not found" page
 *   /always/503  /always/429      always busy, with Retry-After (seconds, ?after=, default 1)
 *   /flaky/<503|429>?key=K&fails=N  busy for the first N requests per key, then the image
 *   /stall-headers                never answers
 *   /stall-body                   sends headers and part of the image, then stalls
 *   /endless                      an endless image/jpeg body
 *   /gzip-bomb                    small gzip body that inflates to 64 MiB
 *   /gzip-image                   the image, gzip content-encoded
 *   /truncated.jpg                Content-Length larger than what is sent, then the socket closes
 *   /corrupt.jpg                  image/jpeg whose bytes do not decode
 *   /redirect/loop-a ↔ /redirect/loop-b
 *   /redirect/chain/<n>           n redirects, then /image.jpg
 *   /redirect/to?url=<absolute>   302 to any URL (e.g. a refused address)
 *   /redirect/private  /redirect/metadata   302 to 10.0.0.1 / 169.254.169.254 (must be refused)
 *   /timed/<name>                 the image while `name` is present (see setPresence), else 404
 */
export interface FaultServerOptions {
  /** Number of virtual hosts host1.test … hostN.test in `lookup`. Default 8. */
  virtualHosts?: number;
  /** Clock for /timed routes (epoch ms). Default Date.now. */
  now?: () => number;
  /** Default Retry-After for /always and /flaky routes, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Pre-generated images (saves generating them again per server). */
  images?: FaultImages;
}

/**
 * When a /timed/<name> resource is present. `presentUntil` alone: until then; `presentFrom`
 * alone: from then on; both with from ≤ until: the window [from, until); both with from > until:
 * present, gone at `presentUntil`, back at `presentFrom` (content that reappears).
 */
export interface Presence {
  presentFrom?: number;
  presentUntil?: number;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  host: string;
  path: string;
  userAgent: string;
}

export interface FaultServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  /** An absolute URL for `path`, optionally on a virtual host name (resolved by `lookup`). */
  url(path: string, host?: string): string;
  images: FaultImages;
  /** host1.test … hostN.test */
  virtualHosts: string[];
  /** Stub DNS: `fault.test` and the virtual hosts resolve to 127.0.0.1; unknown names are NXDOMAIN. */
  lookup: StubLookup;
  /** TCP connections accepted and requests seen since the last reset. */
  stats: { connections: number; requests: RequestLogEntry[] };
  resetStats(): void;
  /** Makes /timed/<name> appear or disappear at set times (a mutable state tests flip). */
  setPresence(name: string, presence: Presence): void;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

const HTML = 'text/html; charset=utf-8';

function send(res: http.ServerResponse, status: number, type: string, body: Buffer | string, extra = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': type, 'content-length': bytes.length, ...extra });
  res.end(bytes);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

function isPresent(p: Presence, t: number): boolean {
  const before = p.presentUntil === undefined || t < p.presentUntil;
  const after = p.presentFrom === undefined || t >= p.presentFrom;
  if (p.presentFrom !== undefined && p.presentUntil !== undefined && p.presentFrom > p.presentUntil) {
    return before || after;
  }
  return before && after;
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const images = options.images ?? (await generateFaultImages());
  const now = options.now ?? Date.now;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const virtualHosts = Array.from({ length: options.virtualHosts ?? 8 }, (_, k) => `host${k + 1}.test`);
  const lookup = createStubLookup(Object.fromEntries(['fault.test', ...virtualHosts].map((h) => [h, '127.0.0.1'])));
  const presence = new Map<string, Presence>();
  const flakyCounts = new Map<string, number>();
  const stats = { connections: 0, requests: [] as RequestLogEntry[] };
  const sockets = new Set<Socket>();
  // Built on first use: compressing 64 MiB takes a moment most servers never need.
  let gzipBomb: Buffer | null = null;
  const gzipImage = zlib.gzipSync(images.original);

  const imageRoute =
    (bytes: Buffer, type: string): Handler =>
    (_req, res) =>
      send(res, 200, type, bytes, { 'cache-control': 'no-store', etag: `"${bytes.length}"` });
  const busy = (status: number, after: string, res: http.ServerResponse) =>
    send(res, status, 'text/plain', status === 429 ? 'slow down' : 'busy', { 'retry-after': after });

  const routes = new Map<string, Handler>([
    ['/image.jpg', imageRoute(images.original, 'image/jpeg')],
    ['/resized.webp', imageRoute(images.resized, 'image/webp')],
    ['/placeholder.jpg', imageRoute(images.placeholder, 'image/jpeg')],
    ['/decoy-0.jpg', imageRoute(images.decoys[0], 'image/jpeg')],
    ['/decoy-1.jpg', imageRoute(images.decoys[1], 'image/jpeg')],
    ['/image.png', imageRoute(images.original, 'text/plain')],
    ['/flat.png', imageRoute(images.flat, 'image/png')],
    ['/empty.jpg', imageRoute(Buffer.alloc(0), 'image/jpeg')],
    [
      '/page.html',
      (_req, res) =>
        send(
          res,
          200,
          HTML,
          page(
            'gallery',
            '<img src="/decoy-0.jpg" alt="a"><img src="/decoy-1.jpg" srcset="/decoy-1.jpg 1x, /image.jpg 2x" alt="b">',
          ),
        ),
    ],
    [
      '/page-placeholder.html',
      (_req, res) =>
        send(res, 200, HTML, page('gallery', '<img src="/decoy-0.jpg" srcset="/placeholder.jpg 2x" alt="removed">')),
    ],
    [
      '/page-private-media.html',
      (_req, res) =>
        send(res, 200, HTML, page('gallery', '<img src="http://private.test/image.jpg"><img src="/placeholder.jpg">')),
    ],
    ['/page-media-503.html', (_req, res) => send(res, 200, HTML, page('gallery', '<img src="/always/503">'))],
    [
      '/soft-404.html',
      (_req, res) => send(res, 200, HTML, page('Not found', '<h1>Sorry, this page could not be found</h1>')),
    ],
    ['/always/503', (_req, res, url) => busy(503, url.searchParams.get('after') ?? retryAfter, res)],
    ['/always/429', (_req, res, url) => busy(429, url.searchParams.get('after') ?? retryAfter, res)],
    ['/stall-headers', () => {}],
    [
      '/stall-body',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': images.original.length });
        res.write(images.original.subarray(0, 1024));
      },
    ],
    [
      '/endless',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const chunk = Buffer.alloc(64 * 1024, 0x5a);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) {}
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
    ],
    [
      '/gzip-bomb',
      (_req, res) => {
        gzipBomb ??= zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
        send(res, 200, 'application/octet-stream', gzipBomb, { 'content-encoding': 'gzip' });
      },
    ],
    ['/gzip-image', (_req, res) => send(res, 200, 'image/jpeg', gzipImage, { 'content-encoding': 'gzip' })],
    [
      '/truncated.jpg',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': images.original.length });
        res.write(images.original.subarray(0, images.original.length >> 1), () => res.socket?.destroy());
      },
    ],
    [
      '/corrupt.jpg',
      (_req, res) =>
        send(res, 200, 'image/jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)])),
    ],
    ['/redirect/loop-a', (_req, res) => send(res, 302, 'text/plain', '', { location: '/redirect/loop-b' })],
    ['/redirect/loop-b', (_req, res) => send(res, 302, 'text/plain', '', { location: '/redirect/loop-a' })],
    // Redirects into refused address space (the SSRF guard must stop the second hop).
    ['/redirect/private', (_req, res) => send(res, 302, 'text/plain', '', { location: 'http://10.0.0.1/image.jpg' })],
    [
      '/redirect/metadata',
      (_req, res) => send(res, 302, 'text/plain', '', { location: 'http://169.254.169.254/latest/meta-data/' }),
    ],
    [
      '/redirect/to',
      (_req, res, url) => send(res, 302, 'text/plain', '', { location: url.searchParams.get('url') ?? '/' }),
    ],
  ]);

  const handle: Handler = (req, res, url) => {
    const exact = routes.get(url.pathname);
    if (exact) return exact(req, res, url);
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return send(res, Number(status[1]), 'text/plain', `status ${status[1]}`);
    const chain = /^\/redirect\/chain\/(\d+)$/.exec(url.pathname);
    if (chain) {
      const n = Number(chain[1]);
      return send(res, 301, 'text/plain', '', { location: n <= 1 ? '/image.jpg' : `/redirect/chain/${n - 1}` });
    }
    const flaky = /^\/flaky\/(503|429)$/.exec(url.pathname);
    if (flaky) {
      const key = `${flaky[1]}:${url.searchParams.get('key') ?? ''}`;
      const seen = (flakyCounts.get(key) ?? 0) + 1;
      flakyCounts.set(key, seen);
      if (seen <= Number(url.searchParams.get('fails') ?? 1)) {
        return busy(Number(flaky[1]), url.searchParams.get('after') ?? retryAfter, res);
      }
      return routes.get('/image.jpg')?.(req, res, url);
    }
    const timed = /^\/timed\/([\w-]+)$/.exec(url.pathname);
    if (timed) {
      const p = presence.get(timed[1]) ?? {};
      return isPresent(p, now())
        ? routes.get('/image.jpg')?.(req, res, url)
        : send(res, 404, 'text/plain', 'not found');
    }
    send(res, 404, 'text/plain', 'not found');
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fault.test');
    stats.requests.push({
      at: Date.now(),
      method: req.method ?? 'GET',
      host: (req.headers.host ?? '').replace(/:\d+$/, ''),
      path: url.pathname + url.search,
      userAgent: req.headers['user-agent'] ?? '',
    });
    res.on('error', () => {});
    handle(req, res, url);
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    url: (path, host) => `http://${host ?? '127.0.0.1'}:${port}${path}`,
    images,
    virtualHosts,
    lookup,
    stats,
    resetStats() {
      stats.connections = 0;
      stats.requests.length = 0;
    },
    setPresence(name, p) {
      presence.set(name, { ...p });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
