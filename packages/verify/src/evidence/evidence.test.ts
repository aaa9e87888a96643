import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOrder } from '../orders/schema.js';
import { VerifyStore } from '../store/store.js';
import { LmdbDueCheckQueue } from '../worker/queue.js';
import { ScriptedChecker } from '../worker/scripted-checker.js';
import { exportBundle, verifyBundle } from './bundle.js';
import { canonicalJson } from './canonical.js';
import { verifyChain } from './chain.js';
import { generateSigningKeys, loadPrivateKey, loadPublicKey } from './keys.js';

describe('canonicalJson', () => {
  it('sorts keys, drops whitespace and undefined properties', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 0, y: -1.5 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":-1.5,"z":0}}',
    );
  });
  it('is independent of insertion order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });
  it('rejects values JSON cannot hold faithfully', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(() => canonicalJson({ a: new Date() })).toThrow();
    expect(() => canonicalJson({ a: 1n })).toThrow();
  });
});

describe('evidence bundle', () => {
  let dir: string;
  let store: VerifyStore;
  const keys = generateSigningKeys();
  let signed: string[];
  let unsigned: string[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-evidence-'));
    store = VerifyStore.open(dir);
    const t0 = Date.parse('2026-11-28T10:00:00Z');
    store.putOrder(
      parseOrder({
        id: 'EV-1',
        kind: 'csam',
        issuedAt: new Date(t0).toISOString(),
        deadline: 'PT1H',
        addressee: { name: 'Host' },
        items: [{ url: 'https://a.example/1', expect: [{ signal: 'md5', hash: 'a'.repeat(32) }] }],
        checks: { every: 'PT15M', followUps: ['P1D'] },
      }),
      t0,
    );
    // Run every check "in the future" by claiming with a far-off clock.
    const queue = new LmdbDueCheckQueue(store);
    let calls = 0;
    const checker = new ScriptedChecker(() => (++calls <= 3 ? 'PRESENT' : 'NOT_FOUND'));
    const far = t0 + 10 * 86_400_000;
    for (const check of await queue.claim(far, 100)) {
      await queue.complete(check, await checker.check(check.url, check.expect), far);
    }
    expect(store.listEvidence('EV-1')).toHaveLength(6);
    signed = [...exportBundle(store, 'EV-1', { privateKey: loadPrivateKey(keys.privatePem) })];
    unsigned = [...exportBundle(store, 'EV-1')];
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const text = (lines: string[]) => `${lines.join('\n')}\n`;
  const pub = () => loadPublicKey(keys.publicPem);

  it('the database chain is intact', () => {
    const stored = store.requireOrder('EV-1');
    expect(verifyChain('EV-1', stored.orderHash, store.listEvidence('EV-1')).intact).toBe(true);
  });

  it('verifies an untouched bundle, signed and unsigned', () => {
    expect(signed).toHaveLength(8);
    const r = verifyBundle(text(signed), { publicKey: pub() });
    expect(r).toMatchObject({ valid: true, orderId: 'EV-1', records: 6, problem: null });
    expect(r.signature?.trusted).toBe(true);
    expect(verifyBundle(text(signed)).signature?.trusted).toBe(false);
    expect(verifyBundle(text(unsigned))).toMatchObject({ valid: true, signature: null });
  });

  function alter(
    lines: string[],
    index: number,
    change: (line: { record: { observation: Record<string, unknown> }; hash: string }) => void,
    rehash = false,
  ): string[] {
    const copy = [...lines];
    const line = JSON.parse(copy[index + 1]);
    change(line);
    if (rehash) line.hash = sha256(canonicalJson(line.record));
    copy[index + 1] = JSON.stringify(line);
    return copy;
  }

  it('names a record whose field was altered', () => {
    const bad = alter(signed, 2, (l) => {
      l.record.observation.verdict = 'LEGAL_BLOCK';
    });
    expect(verifyBundle(text(bad))).toMatchObject({ valid: false, badRecord: 2, line: 4 });
    expect(verifyBundle(text(bad)).problem).toMatch(/record 2 was altered/);
  });

  it('names an altered record even when its line hash was recomputed', () => {
    const bad = alter(
      signed,
      1,
      (l) => {
        l.record.observation.status = 451;
      },
      true,
    );
    const r = verifyBundle(text(bad));
    expect(r).toMatchObject({ valid: false, badRecord: 1 });
    expect(r.problem).toMatch(/record 1 was altered/);
  });

  it('names the last record when it was altered and rehashed', () => {
    const bad = alter(
      signed,
      5,
      (l) => {
        l.record.observation.verdict = 'LEGAL_BLOCK';
      },
      true,
    );
    expect(verifyBundle(text(bad))).toMatchObject({ valid: false, badRecord: 5 });
  });

  it('names the gap where a record was removed', () => {
    const bad = [...signed];
    bad.splice(1 + 3, 1);
    const r = verifyBundle(text(bad));
    expect(r).toMatchObject({ valid: false, badRecord: 3 });
    expect(r.problem).toMatch(/record 3 \(seq 4\) is out of place/);
  });

  it('names two swapped records', () => {
    const bad = [...signed];
    [bad[2], bad[3]] = [bad[3], bad[2]];
    const r = verifyBundle(text(bad));
    expect(r).toMatchObject({ valid: false, badRecord: 1 });
    expect(r.problem).toMatch(/record 1 \(seq 2\) is out of place/);
  });

  it('detects truncation (records and signature cut off)', () => {
    const r = verifyBundle(text(signed.slice(0, 4)));
    expect(r).toMatchObject({ valid: false, badRecord: 3 });
    expect(r.problem).toMatch(/record 3 is missing: 6 records expected, 3 present \(truncated\)/);
    expect(verifyBundle(text(signed.slice(0, -1))).problem).toMatch(/signature line is missing/);
    expect(verifyBundle(signed.join('\n').slice(0, -40)).valid).toBe(false);
  });

  it('detects a bad signature and a signature by another key', () => {
    const sig = JSON.parse(signed.at(-1)!);
    const flipped = Buffer.from(sig.signature, 'base64');
    flipped[0] ^= 1;
    const bad = [...signed.slice(0, -1), JSON.stringify({ ...sig, signature: flipped.toString('base64') })];
    expect(verifyBundle(text(bad)).problem).toMatch(/signature does not match/);
    const other = generateSigningKeys();
    const r = verifyBundle(text(signed), { publicKey: loadPublicKey(other.publicPem) });
    expect(r.valid).toBe(false);
    expect(r.problem).toMatch(/signed by key .* not by the given key/);
    expect(verifyBundle(text(unsigned), { publicKey: pub() }).problem).toMatch(/not signed/);
  });

  it('detects an altered order in the header', () => {
    const header = JSON.parse(signed[0]);
    header.order.deadline = '2026-11-28T12:00:00.000Z';
    const r = verifyBundle(text([JSON.stringify(header), ...signed.slice(1)]));
    expect(r).toMatchObject({ valid: false, line: 1 });
    expect(r.problem).toMatch(/order in the header was altered/);
  });

  it('rejects keys of the wrong type or format', () => {
    expect(() => loadPrivateKey('nonsense')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
