/**
 * Appends every item to `into`, one push at a time. `into.push(...items)` passes each item as
 * an argument on the call stack, and throws RangeError past about 120 000 (a query near a
 * blank image returns 180 000 matches; a hostile page can hold as many elements).
 */
export function appendAll<T>(into: T[], items: Iterable<T>): T[] {
  for (const item of items) into.push(item);
  return into;
}

/** The largest of `values` (−Infinity when none), without spreading them onto the call stack. */
export function maxOf(values: Iterable<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > max || Number.isNaN(v)) max = v;
  return max;
}

/** The smallest of `values` (+Infinity when none), without spreading them onto the call stack. */
export function minOf(values: Iterable<number>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < min || Number.isNaN(v)) min = v;
  return min;
}
