import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['PT10M', 600_000],
    ['PT1H', 3_600_000],
    ['P1D', 86_400_000],
    ['P7D', 604_800_000],
    ['P2W', 1_209_600_000],
    ['PT5S', 5000],
    ['PT0.5S', 500],
    ['PT0,25S', 250],
    ['PT1.5H', 5_400_000],
    ['P1DT2H3M4S', 86_400_000 + 7_200_000 + 180_000 + 4000],
    ['pt30s', 30_000],
    ['PT0S', 0],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['P1Y', /years and months/],
    ['P1M', /years and months/],
    ['P1Y2M', /years and months/],
    ['P1W2D', /weeks must stand alone/],
    ['P', /no components/],
    ['PT', /no components/],
    ['P1DT', /T must be followed/],
    ['PT1.5H30M', /only the last component/],
    ['10M', /must start with P/],
    ['-PT1H', /must start with P/],
    ['PT1X', /expected the form/],
    ['PT1M2H', /expected the form/],
  ])('rejects %s', (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
    try {
      parseDuration(text);
    } catch (error) {
      expect((error as { code: string }).code).toBe('INVALID_ORDER');
    }
  });

  it('formats durations back', () => {
    expect(formatDuration(5_400_000)).toBe('PT1H30M');
    expect(formatDuration(500)).toBe('PT0.5S');
    expect(formatDuration(90_000_000)).toBe('P1DT1H');
    for (const text of ['PT10M', 'P1D', 'PT0.5S', 'P1DT2H3M4S'])
      expect(parseDuration(formatDuration(parseDuration(text)))).toBe(parseDuration(text));
  });
});
