import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { SsrfGuard } from './ssrf-guard.js';
import type { LookupFunction } from './types.js';

function stub(table: Record<string, string[] | string>): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const fn = ((hostname, _options, callback) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined || typeof entry === 'string') {
      const err: NodeJS.ErrnoException = new Error(entry ?? 'ENOTFOUND');
      err.code = entry ?? 'ENOTFOUND';
      process.nextTick(callback, err, []);
      return;
    }
    const addresses: LookupAddress[] = entry.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    process.nextTick(callback, null, addresses);
  }) as LookupFunction & { calls: string[] };
  fn.calls = calls;
  return fn;
}

const table = {
  'public.test': ['93.184.215.14'],
  'private.test': ['10.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:10.0.0.1'],
  'nat64.test': ['64:ff9b::a9fe:a9fe'],
  'mixed.test': ['93.184.215.14', '192.168.0.10'],
  'loop.test': ['127.0.0.1'],
  'ula.test': ['fd00::5'],
  'flaky.test': 'EAI_AGAIN',
};

describe('SsrfGuard.vet', () => {
  const guard = new SsrfGuard({ allowLoopback: false, allowPrivate: false }, stub(table));

  it('accepts a public answer and pins it', async () => {
    expect(await guard.vet(new URL('https://public.test/a.jpg'))).toEqual({
      ok: true,
      target: { address: '93.184.215.14', family: 4 },
    });
  });

  it.each(['private.test', 'metadata.test', 'mapped.test', 'nat64.test', 'mixed.test', 'loop.test', 'ula.test'])(
    'refuses %s',
    async (host) => {
      const result = await guard.vet(new URL(`http://${host}/x`));
      expect(result).toMatchObject({ ok: false, reason: 'address_refused' });
    },
  );

  it.each([
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:7f00:1]/',
    'http://[fe80::1]/',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://198.51.100.1/',
  ])('refuses the IP literal %s without a DNS query', async (url) => {
    const lookup = stub({});
    const literalGuard = new SsrfGuard({ allowLoopback: false, allowPrivate: false }, lookup);
    expect(await literalGuard.vet(new URL(url))).toMatchObject({ ok: false, reason: 'address_refused' });
    expect(lookup.calls).toEqual([]);
  });

  it('tells a missing name from a resolver failure', async () => {
    expect(await guard.vet(new URL('http://nxdomain.test/'))).toMatchObject({ ok: false, reason: 'dns' });
    expect(await guard.vet(new URL('http://flaky.test/'))).toMatchObject({ ok: false, reason: 'dns_temporary' });
  });

  it('opens loopback and private only when asked', async () => {
    const open = new SsrfGuard({ allowLoopback: true, allowPrivate: true }, stub(table));
    expect(await open.vet(new URL('http://loop.test/'))).toMatchObject({ ok: true });
    expect(await open.vet(new URL('http://private.test/'))).toMatchObject({ ok: true });
    expect(await open.vet(new URL('http://ula.test/'))).toMatchObject({ ok: true });
    expect(await open.vet(new URL('http://metadata.test/'))).toMatchObject({ ok: false, reason: 'address_refused' });
  });
});

describe('SsrfGuard.connectLookup (the address undici connects to)', () => {
  const call = (guard: SsrfGuard, host: string, options: { all?: boolean }) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
      guard.connectLookup(host, options, (err, address, family) => resolve({ err, address, family }));
    });

  it('never resolves by itself: an unvetted host gets an error', async () => {
    const lookup = stub(table);
    const guard = new SsrfGuard({ allowLoopback: false, allowPrivate: false }, lookup);
    const { err } = await call(guard, 'public.test', {});
    expect(err?.code).toBe('ESTAYDOWN_REFUSED');
    expect(lookup.calls).toEqual([]);
  });

  it('hands out only the vetted address even if DNS now answers differently (rebinding)', async () => {
    const answers: Record<string, string[]> = { 'rebind.test': ['93.184.215.14'] };
    const lookup = stub(answers);
    const guard = new SsrfGuard({ allowLoopback: false, allowPrivate: false }, lookup);
    expect(await guard.vet(new URL('http://rebind.test/'))).toMatchObject({ ok: true });
    answers['rebind.test'] = ['10.0.0.1'];
    expect(await call(guard, 'rebind.test', { all: true })).toEqual({
      err: null,
      address: [{ address: '93.184.215.14', family: 4 }],
      family: undefined,
    });
    expect(await call(guard, 'REBIND.test', {})).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    expect(lookup.calls).toEqual(['rebind.test']);
    // The next vet sees the new answer and refuses it.
    expect(await guard.vet(new URL('http://rebind.test/'))).toMatchObject({ ok: false, reason: 'address_refused' });
  });
});
