import { describe, expect, it } from 'vitest';
import { boxFilterColumns, boxFilterLine, jaroszBlur, jaroszWindow } from './box-filter.js';

const run = (line: number[], window: number) => {
  const input = Float32Array.from(line);
  const output = new Float32Array(line.length);
  boxFilterLine(input, output, 0, line.length, 1, window);
  return [...output];
};

describe('Jarosz box filter', () => {
  it('derives the window from the side length', () => {
    expect(jaroszWindow(64)).toBe(1);
    expect(jaroszWindow(128)).toBe(1);
    expect(jaroszWindow(129)).toBe(2);
    expect(jaroszWindow(512)).toBe(4);
    expect(jaroszWindow(1600)).toBe(13);
  });

  it('runs the four phases: warm-up, growing window, sliding window, shrinking window', () => {
    // w=3: half=2; phase 1 adds 1 sample; phase 2 writes 2 (n=2,3); phase 3 writes 3; phase 4 writes 1 (n=2).
    expect(run([1, 2, 3, 4, 5, 6], 3)).toEqual([1.5, 2, 3, 4, 5, 5.5]);
    // w=2: half=2; the last output divides by a window shrunk to one sample.
    expect(run([1, 2, 3, 4, 5, 6], 2)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6]);
    // w=1 is the identity.
    expect(run([7, 1, 9, 3], 1)).toEqual([7, 1, 9, 3]);
    // w=4: half=3; phase 1 adds 2 samples, phase 2 writes 2, phase 3 writes len-4, phase 4 writes 2.
    expect(run([4, 8, 12, 16, 20], 4)).toEqual([8, 10, 14, 16, 18]);
  });

  it('rounds the running sum to float32 after every step', () => {
    const out = run([0.1, 0.2, 0.3], 3);
    const f = Math.fround;
    const s1 = f(f(0 + f(0.1)) + f(0.2));
    expect(out[0]).toBe(f(s1 / 2));
    expect(out[1]).toBe(f(f(s1 + f(0.3)) / 3));
  });

  it('filters columns through the stride and rows then columns per pass', () => {
    // 3 wide × 2 tall, windows 1: the blur is the identity.
    const a = Float32Array.of(1, 2, 3, 4, 5, 6);
    jaroszBlur(a, new Float32Array(6), 3, 2);
    expect([...a]).toEqual([1, 2, 3, 4, 5, 6]);
    // A column read with stride 2 leaves the other column untouched.
    const col = Float32Array.of(1, 100, 2, 100, 3, 100);
    const out = new Float32Array(6);
    boxFilterLine(col, out, 0, 3, 2, 3);
    expect([out[0], out[2], out[4]]).toEqual([1.5, 2, 2.5]);
    expect([out[1], out[3], out[5]]).toEqual([0, 0, 0]);
  });

  it('filters all columns at once bit-identically to one column at a time', () => {
    for (const [width, height, window] of [
      [7, 300, 3],
      [5, 40, 1],
      [9, 129, 2],
      [3, 1600, 13],
    ]) {
      const input = Float32Array.from({ length: width * height }, (_, i) => Math.fround(((i * 7919) % 2551) / 10.3));
      const expected = new Float32Array(width * height);
      for (let x = 0; x < width; x++) boxFilterLine(input, expected, x, height, width, window);
      const actual = new Float32Array(width * height);
      boxFilterColumns(input, actual, width, height, window, new Float32Array(width));
      expect(actual).toEqual(expected);
    }
  });
});
