import type { LookupAddress } from 'node:dns';

/** The shape of `dns.lookup(hostname, { all: true }, callback)`, which the checker accepts as `lookup`. */
export type StubLookup = ((
  hostname: string,
  options: { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void) & {
  /** How many times each name was looked up (tests assert the guard resolved before connecting). */
  readonly calls: Map<string, number>;
  /** Adds or replaces a record. */
  set(hostname: string, addresses: string | string[]): void;
};

/**
 * A DNS stub: names in `table` resolve to the given addresses, everything else is NXDOMAIN
 * (ENOTFOUND). Tests use it so that no query and no connection ever leaves the machine.
 */
export function createStubLookup(table: Record<string, string | string[]> = {}): StubLookup {
  const records = new Map<string, string[]>();
  const calls = new Map<string, number>();
  const set = (hostname: string, addresses: string | string[]) => {
    records.set(hostname.toLowerCase(), Array.isArray(addresses) ? addresses : [addresses]);
  };
  for (const [name, addresses] of Object.entries(table)) set(name, addresses);
  const lookup = ((hostname, _options, callback) => {
    const name = hostname.toLowerCase();
    calls.set(name, (calls.get(name) ?? 0) + 1);
    const found = records.get(name);
    process.nextTick(() => {
      if (!found) {
        const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        err.code = 'ENOTFOUND';
        callback(err, []);
        return;
      }
      callback(
        null,
        found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    });
  }) as StubLookup;
  Object.assign(lookup, { calls, set });
  return lookup;
}
