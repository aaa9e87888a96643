import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { StubLookup } from './stub-lookup.js';

export interface TunnelProxy {
  /** http://127.0.0.1:<port>, for the checker's `proxy.url`. */
  url: string;
  /** CONNECT requests seen (host:port), including refused ones. */
  tunnels: string[];
  close(): Promise<void>;
}

/**
 * A minimal HTTP CONNECT proxy standing in for a vantage point. It resolves names with the
 * stub DNS and only ever opens tunnels to 127.0.0.1, so tests through it stay on loopback.
 */
export async function startTunnelProxy(lookup: StubLookup): Promise<TunnelProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('CONNECT only');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    client.on('error', () => {});
    const [host, portText] = target.split(':');
    const refuse = (status: number) => client.end(`HTTP/1.1 ${status} Refused\r\n\r\n`);
    const open = (address: string) => {
      if (address !== '127.0.0.1') return refuse(403);
      const upstream = net.connect(Number(portText), address, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    };
    if (net.isIP(host)) return open(host);
    lookup(host, { all: true }, (err, addresses) => (err ? refuse(502) : open(addresses[0].address)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
