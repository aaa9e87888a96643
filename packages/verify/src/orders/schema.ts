import { ErrorCodes, getSignal, StaydownError } from '@staydown/core';
import { z } from 'zod';
import type { ExpectedHash } from '../crawl/types.js';
import { parseDuration } from './duration.js';

/** Order kinds and the longest deadline the law allows for each (after issue). */
export const MAX_DEADLINE_MS = { csam: 12 * 3_600_000, terrorist: 3_600_000 } as const;
export type OrderKind = keyof typeof MAX_DEADLINE_MS;

/** Defaults for an order's `checks` block, in one place. */
export const DEFAULT_CHECKS = { every: 'PT10M', followUps: ['P1D', 'P7D'] } as const;
/** Bounds that keep a schedule finite and sane. */
export const ORDER_LIMITS = { maxItems: 10_000, maxExpectPerItem: 32, minEveryMs: 100, maxChecksPerItem: 2_000 };

export interface OrderItem {
  url: string;
  /** Normalised (lowercase) hashes the material at `url` is expected to have. */
  expect: ExpectedHash[];
}

/** A validated order: times are absolute UTC ISO strings (`deadline` resolved when given as a duration). */
export interface RemovalOrder {
  id: string;
  kind: OrderKind;
  issuedAt: string;
  deadline: string;
  addressee: { name: string; role?: string };
  items: OrderItem[];
  checks: { every: string; followUps: string[] };
}

const DATETIME = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time with Z or an offset' });

const durationText = z.string().superRefine((value, ctx) => {
  try {
    parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const expectedHash = z
  .object({ signal: z.string().min(1), hash: z.string().min(1) })
  .strict()
  .transform((value, ctx) => {
    try {
      const signal = getSignal(value.signal);
      return { signal: signal.name, hash: signal.normalize(value.hash) };
    } catch (error) {
      const unknownSignal = (error as StaydownError).code === ErrorCodes.UNKNOWN_SIGNAL;
      ctx.addIssue({ code: 'custom', path: [unknownSignal ? 'signal' : 'hash'], message: (error as Error).message });
      return z.NEVER;
    }
  });

const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `must be an http or https URL, got ${url.protocol}` });
  }
});

const orderSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1–128 letters, digits, ".", "_", ":" or "-"'),
    kind: z.enum(['csam', 'terrorist']),
    issuedAt: DATETIME,
    deadline: z.string().min(1),
    addressee: z.object({ name: z.string().trim().min(1), role: z.string().min(1).optional() }).strict(),
    items: z
      .array(
        z.object({ url: httpUrl, expect: z.array(expectedHash).min(1).max(ORDER_LIMITS.maxExpectPerItem) }).strict(),
      )
      .min(1)
      .max(ORDER_LIMITS.maxItems),
    checks: z
      .object({ every: durationText.optional(), followUps: z.array(durationText).max(64).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((order, ctx) => {
    const issued = Date.parse(order.issuedAt);
    const deadline = resolveDeadline(order.deadline, issued);
    if (typeof deadline === 'string') {
      ctx.addIssue({ code: 'custom', path: ['deadline'], message: deadline });
      return;
    }
    const window = deadline - issued;
    if (window <= 0) ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'must be after issuedAt' });
    const max = MAX_DEADLINE_MS[order.kind];
    if (window > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadline'],
        message: `a ${order.kind} order allows at most ${max / 3_600_000} h after issuedAt, got ${(window / 3_600_000).toFixed(2)} h`,
      });
    }
    const seen = new Map<string, number>();
    order.items.forEach((item, i) => {
      const first = seen.get(item.url);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['items', i, 'url'], message: `duplicates items[${first}].url` });
      } else seen.set(item.url, i);
    });
    const every = order.checks?.every;
    if (every !== undefined && window > 0) {
      const everyMs = safeDuration(every);
      if (everyMs !== null && everyMs < ORDER_LIMITS.minEveryMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['checks', 'every'],
          message: `must be at least ${ORDER_LIMITS.minEveryMs} ms`,
        });
      } else if (everyMs !== null && window / everyMs > ORDER_LIMITS.maxChecksPerItem) {
        ctx.addIssue({
          code: 'custom',
          path: ['checks', 'every'],
          message: `gives more than ${ORDER_LIMITS.maxChecksPerItem} checks per item before the deadline`,
        });
      }
    }
    order.checks?.followUps?.forEach((f, i) => {
      if (safeDuration(f) === 0) {
        ctx.addIssue({ code: 'custom', path: ['checks', 'followUps', i], message: 'must be longer than zero' });
      }
    });
  });

function safeDuration(text: string): number | null {
  try {
    return parseDuration(text);
  } catch {
    return null;
  }
}

/** Epoch ms of an absolute or relative (duration after `issued`) deadline, or why it is invalid. */
function resolveDeadline(text: string, issued: number): number | string {
  if (/^[+-]?P/i.test(text.trim())) {
    try {
      return issued + parseDuration(text);
    } catch (error) {
      return (error as Error).message;
    }
  }
  const parsed = DATETIME.safeParse(text);
  if (!parsed.success) return 'must be an ISO-8601 date-time with Z or an offset, or a duration such as PT1H';
  return Date.parse(text);
}

/** `items[0].expect[1].hash` from zod's path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(order)' : out;
}

/**
 * Validates an order document (already parsed JSON) and returns it normalised. Throws
 * INVALID_ORDER naming every failing field: `items[0].expect[1].hash: …`.
 */
export function parseOrder(input: unknown): RemovalOrder {
  const result = orderSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new StaydownError(ErrorCodes.INVALID_ORDER, `invalid order: ${problems.join('; ')}`, {
      details: {
        issues: result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      },
    });
  }
  const order = result.data;
  const issued = Date.parse(order.issuedAt);
  const deadline = resolveDeadline(order.deadline, issued) as number;
  const addressee: RemovalOrder['addressee'] = { name: order.addressee.name };
  if (order.addressee.role !== undefined) addressee.role = order.addressee.role;
  return {
    id: order.id,
    kind: order.kind,
    issuedAt: new Date(issued).toISOString(),
    deadline: new Date(deadline).toISOString(),
    addressee,
    items: order.items.map((item) => ({ url: item.url, expect: item.expect })),
    checks: {
      every: order.checks?.every ?? DEFAULT_CHECKS.every,
      followUps: order.checks?.followUps ?? [...DEFAULT_CHECKS.followUps],
    },
  };
}

/** Reads an order from JSON text; a syntax error is INVALID_ORDER too. */
export function parseOrderJson(text: string): RemovalOrder {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StaydownError(ErrorCodes.INVALID_ORDER, `order is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseOrder(value);
}
