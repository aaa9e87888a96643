/**
 * The Jarosz box filter PDQ uses before decimating to 64×64, in float32 exactly as the
 * reference computes it: a running float32 sum, rounded after every single add/subtract, and
 * divided by the count of samples currently in the window (see PDQ-SPEC.md step 3).
 */

const f = Math.fround;

/** The window PDQ uses along a side of `length` pixels when decimating to 64. */
export function jaroszWindow(length: number): number {
  return Math.floor((length + 127) / 128);
}

/**
 * One-dimensional box filter of the line starting at `start` with `stride` between samples.
 * Writes `length` outputs at the same positions in `output`.
 */
export function boxFilterLine(
  input: Float32Array,
  output: Float32Array,
  start: number,
  length: number,
  stride: number,
  window: number,
): void {
  const half = (window + 2) >> 1;
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = length - window;
  const phase4 = half - 1;
  let left = start;
  let right = start;
  let out = start;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++) {
    sum = f(sum + input[right]);
    count++;
    right += stride;
  }
  for (let i = 0; i < phase2; i++) {
    sum = f(sum + input[right]);
    count++;
    output[out] = sum / count;
    right += stride;
    out += stride;
  }
  for (let i = 0; i < phase3; i++) {
    sum = f(sum + input[right]);
    sum = f(sum - input[left]);
    output[out] = sum / count;
    left += stride;
    right += stride;
    out += stride;
  }
  for (let i = 0; i < phase4; i++) {
    sum = f(sum - input[left]);
    count--;
    output[out] = sum / count;
    left += stride;
    out += stride;
  }
}

/**
 * The same filter down every column of a `width`×`height` row-major plane at once: the
 * columns share length and window, so their phases line up and each step is one contiguous
 * sweep across a row (cache-friendly, unlike a stride-`width` walk per column). The running
 * sums live in a Float32Array, so every add and subtract is rounded to float32 on store —
 * exactly the per-column arithmetic of boxFilterLine.
 */
export function boxFilterColumns(
  input: Float32Array,
  output: Float32Array,
  width: number,
  height: number,
  window: number,
  sums: Float32Array,
): void {
  const half = (window + 2) >> 1;
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = height - window;
  const phase4 = half - 1;
  sums.fill(0, 0, width);
  let left = 0;
  let right = 0;
  let out = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++, right += width) {
    for (let x = 0; x < width; x++) sums[x] += input[right + x];
    count++;
  }
  for (let i = 0; i < phase2; i++, right += width, out += width) {
    count++;
    for (let x = 0; x < width; x++) {
      sums[x] += input[right + x];
      output[out + x] = sums[x] / count;
    }
  }
  for (let i = 0; i < phase3; i++, left += width, right += width, out += width) {
    for (let x = 0; x < width; x++) {
      const sum = f(f(sums[x] + input[right + x]) - input[left + x]);
      sums[x] = sum;
      output[out + x] = sum / count;
    }
  }
  for (let i = 0; i < phase4; i++, left += width, out += width) {
    count--;
    for (let x = 0; x < width; x++) {
      sums[x] -= input[left + x];
      output[out + x] = sums[x] / count;
    }
  }
}

/**
 * boxFilterColumns restricted to the given columns (ascending, distinct): PDQ's last column
 * pass feeds only the 64 columns the decimation samples, so the others are not computed.
 * The arithmetic per column is unchanged; other columns of `output` are left as they were.
 */
export function boxFilterSomeColumns(
  input: Float32Array,
  output: Float32Array,
  width: number,
  height: number,
  window: number,
  sums: Float32Array,
  columns: Int32Array,
): void {
  const half = (window + 2) >> 1;
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = height - window;
  const phase4 = half - 1;
  const n = columns.length;
  sums.fill(0, 0, n);
  let left = 0;
  let right = 0;
  let out = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++, right += width) {
    for (let c = 0; c < n; c++) sums[c] += input[right + columns[c]];
    count++;
  }
  for (let i = 0; i < phase2; i++, right += width, out += width) {
    count++;
    for (let c = 0; c < n; c++) {
      sums[c] += input[right + columns[c]];
      output[out + columns[c]] = sums[c] / count;
    }
  }
  for (let i = 0; i < phase3; i++, left += width, right += width, out += width) {
    for (let c = 0; c < n; c++) {
      const x = columns[c];
      const sum = f(f(sums[c] + input[right + x]) - input[left + x]);
      sums[c] = sum;
      output[out + x] = sum / count;
    }
  }
  for (let i = 0; i < phase4; i++, left += width, out += width) {
    count--;
    for (let c = 0; c < n; c++) {
      sums[c] -= input[left + columns[c]];
      output[out + columns[c]] = sums[c] / count;
    }
  }
}

let columnSums = new Float32Array(512);

/**
 * The reference's two-pass blur of a `width`×`height` row-major image: each pass filters every
 * row (a → b) with the window from the width, then every column (b → a) with the window from
 * the height. The result is left in `a`; `b` is scratch of the same size. With `lastColumns`,
 * the final column pass computes only those columns (all a caller that samples them needs).
 */
export function jaroszBlur(
  a: Float32Array,
  b: Float32Array,
  width: number,
  height: number,
  passes = 2,
  lastColumns?: Int32Array,
): void {
  const wx = jaroszWindow(width);
  const wy = jaroszWindow(height);
  if (columnSums.length < width) columnSums = new Float32Array(width);
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < height; y++) boxFilterLine(a, b, y * width, width, 1, wx);
    if (lastColumns && pass === passes - 1) boxFilterSomeColumns(b, a, width, height, wy, columnSums, lastColumns);
    else boxFilterColumns(b, a, width, height, wy, columnSums);
  }
}
