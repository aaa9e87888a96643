import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a path serves: `body` while present, otherwise `absent` (default: 404). */
export interface SimulatedResource {
  body: Buffer;
  contentType: string;
  /** Windows (epoch ms, `from` inclusive, `until` exclusive) in which the resource is up. */
  present: Array<{ from?: number; until?: number }>;
  /** When not present: a status (404, 410, 451…) or another image (a host that swaps the file). */
  absent?: { status: number } | { body: Buffer; contentType: string };
}

export interface SimulatedHost {
  /** http://127.0.0.1:<port> */
  origin: string;
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * A tiny web host on 127.0.0.1 whose files come and go on a timetable: the demo's stand-in
 * for a hosting provider acting (or not) on a removal order. Loopback only; serves only what
 * it was given.
 */
export async function startSimulatedHost(
  resources: Record<string, SimulatedResource>,
  options: { now?: () => number } = {},
): Promise<SimulatedHost> {
  const now = options.now ?? Date.now;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const resource = Object.hasOwn(resources, req.url ?? '') ? resources[req.url ?? ''] : undefined;
    const t = now();
    const up = resource?.present.some((w) => (w.from ?? -Infinity) <= t && t < (w.until ?? Infinity));
    if (resource && up) return send(res, 200, resource.body, resource.contentType);
    if (resource?.absent && 'body' in resource.absent)
      return send(res, 200, resource.absent.body, resource.absent.contentType);
    const status = resource?.absent && 'status' in resource.absent ? resource.absent.status : 404;
    send(
      res,
      status,
      Buffer.from(`<html><body>${http.STATUS_CODES[status] ?? 'Gone'}</body></html>`),
      'text/html; charset=utf-8',
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path.startsWith('/') ? path : `/${path}`}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: Buffer, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(body);
}
