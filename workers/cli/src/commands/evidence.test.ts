import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIo } from '../memory-io.test-support.js';
import { finishedOrderDb } from './fixtures.test-support.js';

describe('staydown evidence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'staydown-cli-evidence-'));
    await finishedOrderDb(path.join(dir, 'db'), 'EV-CLI');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exports to stdout a bundle that verifies', async () => {
    let io = memoryIo(dir);
    expect(await main(['evidence', 'export', '--db', 'db', '--order', 'EV-CLI'], io)).toBe(0);
    const lines = io.out().trim().split('\n');
    expect(lines).toHaveLength(13);
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'header', orderId: 'EV-CLI', records: 12, signed: false });
    writeFileSync(path.join(dir, 'plain.jsonl'), io.out());
    io = memoryIo(dir);
    expect(await main(['evidence', 'verify', 'plain.jsonl'], io)).toBe(0);
    expect(io.out()).toMatch(/^VALID: order EV-CLI, 12 records, head [0-9a-f]{64}, not signed/);
  });

  it('signs with a generated key; verify checks the key and names a tampered record', async () => {
    let io = memoryIo(dir);
    expect(await main(['evidence', 'keygen', '--out', 'signer'], io)).toBe(0);
    expect(await main(['evidence', 'keygen', '--out', 'signer'], memoryIo(dir))).toBe(1);
    io = memoryIo(dir);
    expect(
      await main(['evidence', 'export', '--db', 'db', '--order', 'EV-CLI', '--key', 'signer.key', '-o', 'b.jsonl'], io),
    ).toBe(0);
    io = memoryIo(dir);
    expect(await main(['evidence', 'verify', 'b.jsonl', '--public-key', 'signer.pub'], io)).toBe(0);
    expect(io.out()).toMatch(/signed by key [0-9a-f]{64} \(the given public key\)/);

    const lines = readFileSync(path.join(dir, 'b.jsonl'), 'utf8').trim().split('\n');
    const line = JSON.parse(lines[5]);
    line.record.observation.verdict = line.record.observation.verdict === 'PRESENT' ? 'NOT_FOUND' : 'PRESENT';
    lines[5] = JSON.stringify(line);
    writeFileSync(path.join(dir, 'tampered.jsonl'), `${lines.join('\n')}\n`);
    io = memoryIo(dir);
    expect(await main(['evidence', 'verify', 'tampered.jsonl', '--public-key', 'signer.pub'], io)).toBe(1);
    expect(io.out()).toMatch(/^INVALID: record 4 was altered: its content does not match its hash \(line 6\)/);
    io = memoryIo(dir);
    expect(await main(['evidence', 'verify', 'tampered.jsonl', '--json'], io)).toBe(1);
    expect(JSON.parse(io.out())).toMatchObject({ valid: false, badRecord: 4, line: 6 });

    expect(await main(['evidence', 'keygen', '--out', 'other'], memoryIo(dir))).toBe(0);
    io = memoryIo(dir);
    expect(await main(['evidence', 'verify', 'b.jsonl', '--public-key', 'other.pub'], io)).toBe(1);
    expect(io.out()).toMatch(/not by the given key/);
  });

  it('gives clear errors', async () => {
    let io = memoryIo(dir);
    expect(await main(['evidence', 'export', '--db', 'db', '--order', 'NOPE'], io)).toBe(1);
    expect(io.err()).toContain('[UNKNOWN_ORDER]');
    io = memoryIo(dir);
    expect(await main(['evidence', 'frobnicate'], io)).toBe(2);
    io = memoryIo(dir);
    expect(await main(['evidence', 'verify', 'missing.jsonl'], io)).toBe(1);
    expect(io.err()).toContain('[READ_FAILED]');
    writeFileSync(path.join(dir, 'not-a-key.pem'), 'hello');
    io = memoryIo(dir);
    expect(await main(['evidence', 'export', '--db', 'db', '--order', 'EV-CLI', '--key', 'not-a-key.pem'], io)).toBe(1);
    expect(io.err()).toContain('[INVALID_OPTION]');
  });
});
