import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteSorter, orderRecords } from './record-order.js';

/** The order a stable comparison sort gives: bytes, then position. */
function expected(records: Uint8Array, n: number, stride: number, width: number): number[] {
  const cmp = (a: number, b: number) => {
    for (let k = 0; k < width; k++) {
      const d = records[a * stride + k] - records[b * stride + k];
      if (d !== 0) return d;
    }
    return a - b;
  };
  return Array.from({ length: n }, (_, i) => i).sort(cmp);
}

// Few byte values: many equal records and long equal prefixes, as an import's repeated hashes give.
const recordsArb = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 400 }))
  .chain(([stride, n]) =>
    fc
      .uint8Array({ minLength: n * stride, maxLength: n * stride })
      .map((bytes) => ({ stride, n, records: bytes.map((b) => (b < 200 ? 0 : b & 3)) })),
  );

describe('orderRecords', () => {
  it('orders bytewise and keeps equal records in position order', () => {
    fc.assert(
      fc.property(recordsArb, ({ stride, n, records }) => {
        expect(Array.from(orderRecords(records, n, stride, stride))).toEqual(expected(records, n, stride, stride));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps equal records in position order when a group is too large for packed keys', () => {
    fc.assert(
      fc.property(recordsArb, ({ stride, n, records }) => {
        const order = Int32Array.from({ length: n }, (_, i) => i);
        new ByteSorter(records, stride, stride, order, 16).sort(0, n, 0);
        expect(Array.from(order)).toEqual(expected(records, n, stride, stride));
      }),
      { numRuns: 200 },
    );
  });
});
