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
  });
});
