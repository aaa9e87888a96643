import { ErrorCodes, StaydownError } from '@staydown/core';

/** Options shared by every report: times are shown in UTC and in the regulator's local zone. */
export interface ReportOptions {
  /** IANA zone of the regulator; default Europe/Amsterdam (the ATKM). */
  timeZone?: string;
  /** When the report was generated (for the footer); default now. */
  generatedAt?: Date;
}

export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

export function resolveOptions(options: ReportOptions = {}): Required<ReportOptions> {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `unknown time zone ${JSON.stringify(timeZone)} (use an IANA name such as Europe/Amsterdam)`,
    );
  }
  return { timeZone, generatedAt: options.generatedAt ?? new Date() };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
      timeZoneName: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** `2026-11-28 10:00:00 UTC`: UTC, second precision, unambiguous in a legal file. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The same instant in the regulator's zone, e.g. `28/11/2026, 11:00:00 CET`. */
export function formatLocal(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return formatter(timeZone).format(d);
}

/** A duration in seconds as `1 h 05 min`, `42 s`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
