import { hashImage } from '@staydown/hashing';
import type { CheckerOptions, ExpectedHash } from '@staydown/verify';
import type { FaultServer } from '../fault-server/index.js';

/** What an order would list for the fault server's known image: its PDQ and SHA-256. */
export async function expectedFor(image: Uint8Array): Promise<ExpectedHash[]> {
  const h = await hashImage(image, { signals: ['pdq', 'sha256'] });
  return [
    { signal: 'pdq', hash: h.pdq as string },
    { signal: 'sha256', hash: h.sha256 as string },
  ];
}

/** Checker options for tests: loopback allowed, stub DNS, short timeouts and backoffs. */
export function testCheckerOptions(server: FaultServer, overrides: CheckerOptions = {}): CheckerOptions {
  return {
    allowLoopback: true,
    lookup: server.lookup,
    timeouts: { connectMs: 2000, headersMs: 800, bodyMs: 800 },
    retries: 0,
    backoffBaseMs: 20,
    maxBackoffMs: 5000,
    ...overrides,
  };
}
