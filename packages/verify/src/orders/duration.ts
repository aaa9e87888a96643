import { ErrorCodes, StaydownError } from '@staydown/core';

/**
 * ISO-8601 durations restricted to units of fixed length: weeks (PnW, alone), days, hours,
 * minutes and seconds. Years and months are rejected because their length depends on the
 * calendar, and a legal deadline must not. Days are 24 h (all times here are UTC). Only the
 * last component may carry a fraction (`PT0.5S`, `PT1.5H`), as ISO 8601 says; `,` and `.`
 * both work as the decimal sign.
 */
const NUMBER = String.raw`(\d+(?:[.,]\d+)?)`;
const WEEKS_RE = new RegExp(`^P${NUMBER}W$`);
const DHMS_RE = new RegExp(`^P(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`);

const MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;

function invalid(text: string, why: string): StaydownError {
  return new StaydownError(ErrorCodes.INVALID_ORDER, `invalid ISO-8601 duration ${JSON.stringify(text)}: ${why}`, {
    details: { duration: text },
  });
}

/** Parses a duration into whole milliseconds (fractions below 1 ms are rounded). Throws INVALID_ORDER. */
export function parseDuration(text: string): number {
  const s = text.trim().toUpperCase();
  if (!s.startsWith('P')) throw invalid(text, 'must start with P (e.g. PT10M, P1D, PT0.5S)');
  const weeks = WEEKS_RE.exec(s);
  if (weeks) return Math.round(toNumber(weeks[1]) * MS.W);
  const m = DHMS_RE.exec(s);
  if (!m) {
    if (/^P(?:\d+(?:[.,]\d+)?Y|\d+(?:[.,]\d+)?M)/.test(s)) {
      throw invalid(text, 'years and months are ambiguous (their length varies); use days, e.g. P30D');
    }
    if (s.includes('W')) throw invalid(text, 'weeks must stand alone (PnW); use days to combine, e.g. P8D');
    if (s.startsWith('-')) throw invalid(text, 'negative durations are not allowed');
    throw invalid(text, 'expected the form PnW or PnDTnHnMnS');
  }
  const parts: Array<[string | undefined, number]> = [
    [m[1], MS.D],
    [m[2], MS.H],
    [m[3], MS.M],
    [m[4], MS.S],
  ];
  const present = parts.filter(([value]) => value !== undefined);
  if (present.length === 0) throw invalid(text, 'no components (P and T must be followed by a number and unit)');
  if (s.endsWith('T')) throw invalid(text, 'T must be followed by hours, minutes or seconds');
  present.slice(0, -1).forEach(([value]) => {
    if (/[.,]/.test(value as string)) throw invalid(text, 'only the last component may have a fraction');
  });
  let ms = 0;
  for (const [value, unit] of present) ms += toNumber(value as string) * unit;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) throw invalid(text, 'too long');
  return Math.round(ms);
}

function toNumber(value: string): number {
  return Number(value.replace(',', '.'));
}

/** Formats milliseconds as a compact duration (`PT1H30M`, `P1DT2H`, `PT0.5S`) for messages and reports. */
export function formatDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  let rest = ms;
  const days = Math.floor(rest / MS.D);
  rest -= days * MS.D;
  const hours = Math.floor(rest / MS.H);
  rest -= hours * MS.H;
  const minutes = Math.floor(rest / MS.M);
  rest -= minutes * MS.M;
  const seconds = rest / 1000;
  let out = 'P';
  if (days) out += `${days}D`;
  if (hours || minutes || seconds) {
    out += 'T';
    if (hours) out += `${hours}H`;
    if (minutes) out += `${minutes}M`;
    if (seconds) out += `${seconds}S`;
  }
  return out;
}
