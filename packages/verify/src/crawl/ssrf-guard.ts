import dns, { type LookupAddress } from 'node:dns';
import {
  type AddressClass,
  type AddressPolicy,
  classifyAddress,
  ipLiteralOf,
  isAddressAllowed,
} from './address-policy.js';
import type { CheckReason, LookupFunction } from './types.js';

/** The address a request may connect to, after the policy accepted it. */
export interface VettedTarget {
  address: string;
  family: 4 | 6;
}

export type GuardResult =
  | { ok: true; target: VettedTarget }
  | { ok: false; reason: Extract<CheckReason, 'address_refused' | 'dns' | 'dns_temporary'>; detail: string };

const defaultLookup: LookupFunction = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** DNS codes meaning "this name does not exist"; anything else is a temporary resolver failure. */
const NAME_MISSING = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * The SSRF guard: resolves a host, refuses non-public addresses, and pins connections to the
 * address it vetted. undici's connect step calls `connectLookup`, which only ever hands out a
 * previously vetted address, so a DNS answer that changes between the check and the connect
 * (rebinding) cannot reach a refused address.
 */
export class SsrfGuard {
  private readonly pinned = new Map<string, VettedTarget>();
  private readonly lookup: LookupFunction;

  constructor(
    private readonly policy: AddressPolicy,
    lookup?: LookupFunction,
  ) {
    this.lookup = lookup ?? defaultLookup;
  }

  /** Vets the host of `url` (an IP literal directly, a name after resolving every address). */
  async vet(url: URL): Promise<GuardResult> {
    const literal = ipLiteralOf(url.hostname);
    if (literal !== null) return this.vetAddresses(url.hostname, [literal]);
    let addresses: LookupAddress[];
    try {
      addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
        this.lookup(url.hostname, { all: true }, (err, result) => (err ? reject(err) : resolve(result)));
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      return {
        ok: false,
        reason: NAME_MISSING.has(code) ? 'dns' : 'dns_temporary',
        detail: `${url.hostname}: ${code}`,
      };
    }
    if (addresses.length === 0) return { ok: false, reason: 'dns', detail: `${url.hostname}: no addresses` };
    return this.vetAddresses(
      url.hostname,
      addresses.map((a) => a.address),
    );
  }

  /**
   * Every resolved address must pass: a name that resolves to one public and one private address
   * is refused outright rather than trusting whichever the connect step would pick.
   */
  private vetAddresses(hostname: string, addresses: string[]): GuardResult {
    const refused: Array<{ address: string; cls: AddressClass }> = [];
    for (const address of addresses) {
      if (!isAddressAllowed(address, this.policy)) refused.push({ address, cls: classifyAddress(address) });
    }
    if (refused.length > 0) {
      return {
        ok: false,
        reason: 'address_refused',
        detail: refused.map((r) => `${r.address} (${r.cls})`).join(', '),
      };
    }
    const address = addresses[0];
    const target: VettedTarget = { address, family: address.includes(':') ? 6 : 4 };
    this.pinned.set(hostname.toLowerCase(), target);
    return { ok: true, target };
  }

  /**
   * The `lookup` handed to undici's connector (net/tls.connect). It never queries DNS itself:
   * a host that was not vetted first gets an error, and no connection is made.
   */
  readonly connectLookup = (
    hostname: string,
    options: { all?: boolean } | number | undefined,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const target = this.pinned.get(hostname.toLowerCase());
    if (!target) {
      const err: NodeJS.ErrnoException = new Error(`staydown: ${hostname} was not vetted by the SSRF guard`);
      err.code = 'ESTAYDOWN_REFUSED';
      process.nextTick(callback, err, '', 0);
      return;
    }
    if (typeof options === 'object' && options?.all) {
      process.nextTick(callback, null, [{ address: target.address, family: target.family }]);
    } else {
      process.nextTick(callback, null, target.address, target.family);
    }
  };
}
