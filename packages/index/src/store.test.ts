import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

describe('validateListName', () => {
  it('refuses an empty name even as the first name a process checks (its cache starts empty)', async () => {
    vi.resetModules();
    const { validateListName } = await import('./store.js');
    expect(() => validateListName('')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(validateListName('police')).toBe('police');
    expect(validateListName('police')).toBe('police');
    expect(() => validateListName('')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => validateListName('a\nb')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => validateListName(42)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    // A lone surrogate would be stored as U+FFFD and merge with other such names.
    for (const name of ['\ud800', 'police\udbff', '\udc00x']) {
      expect(() => validateListName(name), JSON.stringify(name)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
    expect(validateListName('politie 🚓 \ufffd')).toBe('politie 🚓 \ufffd');
  });
});

describe('IndexStore.open read-only', () => {
  it('refuses a folder with no index without creating it (a mistyped --db leaves nothing behind)', async () => {
    const { IndexStore } = await import('./store.js');
    const missing = path.join(mkdtempSync(path.join(tmpdir(), 'staydown-store-')), 'typo');
    expect(() => IndexStore.open(missing, true)).toThrow(
      expect.objectContaining({ code: 'INDEX_OPEN_FAILED', message: expect.stringMatching(/no index there/) }),
    );
    expect(existsSync(missing)).toBe(false);
    rmSync(path.dirname(missing), { recursive: true, force: true });
  });
});
