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
 * boxFilterLine on four lines at once — the lines starting at `o0`..`o3`, all with the same
 * length, stride and window. Each line keeps its own running sum with exactly boxFilterLine's
 * arithmetic (the same float32 roundings in the same order); the four sums are independent
 * chains, so the processor overlaps their add → round latencies instead of waiting on one.
 */
export function boxFilter4Lines(
  input: Float32Array,
  output: Float32Array,
  o0: number,
  o1: number,
  o2: number,
  o3: number,
  length: number,
  stride: number,
  window: number,
): void {
  if (window === 1) {
    boxFilter4LinesWindow1(input, output, o0, o1, o2, o3, length, stride);
    return;
  }
  const half = (window + 2) >> 1;
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = length - window;
  const phase4 = half - 1;
  let left = 0;
  let right = 0;
  let out = 0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++, right += stride) {
    s0 = f(s0 + input[o0 + right]);
    s1 = f(s1 + input[o1 + right]);
    s2 = f(s2 + input[o2 + right]);
    s3 = f(s3 + input[o3 + right]);
    count++;
  }
  for (let i = 0; i < phase2; i++, right += stride, out += stride) {
    count++;
    s0 = f(s0 + input[o0 + right]);
    s1 = f(s1 + input[o1 + right]);
    s2 = f(s2 + input[o2 + right]);
    s3 = f(s3 + input[o3 + right]);
    output[o0 + out] = s0 / count;
    output[o1 + out] = s1 / count;
    output[o2 + out] = s2 / count;
    output[o3 + out] = s3 / count;
  }
  if ((window & (window - 1)) === 0) {
    // A power-of-two count: sum · (1/count) is the same exact double as sum / count (for the
    // common window of 1, the sum itself), and a multiply is far cheaper than a divide.
    const scale = 1 / window;
    for (let i = 0; i < phase3; i++, left += stride, right += stride, out += stride) {
      s0 = f(f(s0 + input[o0 + right]) - input[o0 + left]);
      s1 = f(f(s1 + input[o1 + right]) - input[o1 + left]);
      s2 = f(f(s2 + input[o2 + right]) - input[o2 + left]);
      s3 = f(f(s3 + input[o3 + right]) - input[o3 + left]);
      output[o0 + out] = s0 * scale;
      output[o1 + out] = s1 * scale;
      output[o2 + out] = s2 * scale;
      output[o3 + out] = s3 * scale;
    }
  } else {
    for (let i = 0; i < phase3; i++, left += stride, right += stride, out += stride) {
      s0 = f(f(s0 + input[o0 + right]) - input[o0 + left]);
      s1 = f(f(s1 + input[o1 + right]) - input[o1 + left]);
      s2 = f(f(s2 + input[o2 + right]) - input[o2 + left]);
      s3 = f(f(s3 + input[o3 + right]) - input[o3 + left]);
      output[o0 + out] = s0 / count;
      output[o1 + out] = s1 / count;
      output[o2 + out] = s2 / count;
      output[o3 + out] = s3 / count;
    }
  }
  for (let i = 0; i < phase4; i++, left += stride, out += stride) {
    count--;
    s0 = f(s0 - input[o0 + left]);
    s1 = f(s1 - input[o1 + left]);
    s2 = f(s2 - input[o2 + left]);
    s3 = f(s3 - input[o3 + left]);
    output[o0 + out] = s0 / count;
    output[o1 + out] = s1 / count;
    output[o2 + out] = s2 / count;
    output[o3 + out] = s3 / count;
  }
}

/**
 * boxFilter4Lines for window 1 (sides of 65–128 px, the `fast` pipeline's decode): phases 1
 * and 4 are empty and the count stays 1, so each output is the running sum itself (sum / 1 is
 * exact); the sample leaving the window is the one added on the previous step, kept in a local.
 */
function boxFilter4LinesWindow1(
  input: Float32Array,
  output: Float32Array,
  o0: number,
  o1: number,
  o2: number,
  o3: number,
  length: number,
  stride: number,
): void {
  if (length < 1) return;
  // Phase 2: one sample in (0 + x, which is x but for -0).
  let p0 = input[o0];
  let p1 = input[o1];
  let p2 = input[o2];
  let p3 = input[o3];
  let s0 = f(0 + p0);
  let s1 = f(0 + p1);
  let s2 = f(0 + p2);
  let s3 = f(0 + p3);
  output[o0] = s0;
  output[o1] = s1;
  output[o2] = s2;
  output[o3] = s3;
  // Phase 3: add the next sample, subtract the previous one.
  for (let i = 1, r = stride; i < length; i++, r += stride) {
    const x0 = input[o0 + r];
    const x1 = input[o1 + r];
    const x2 = input[o2 + r];
    const x3 = input[o3 + r];
    s0 = f(f(s0 + x0) - p0);
    s1 = f(f(s1 + x1) - p1);
    s2 = f(f(s2 + x2) - p2);
    s3 = f(f(s3 + x3) - p3);
    output[o0 + r] = s0;
    output[o1 + r] = s1;
    output[o2 + r] = s2;
    output[o3 + r] = s3;
    p0 = x0;
    p1 = x1;
    p2 = x2;
    p3 = x3;
  }
}

/** Every row of a `width`×`height` plane (input → output), four rows at a time. */
function filterRows(input: Float32Array, output: Float32Array, width: number, height: number, window: number): void {
  let y = 0;
  for (; y + 4 <= height; y += 4) {
    const o = y * width;
    boxFilter4Lines(input, output, o, o + width, o + 2 * width, o + 3 * width, width, 1, window);
  }
  for (; y < height; y++) boxFilterLine(input, output, y * width, width, 1, window);
}

/**
 * The given columns (all when `columns` is undefined) of a `width`×`height` plane, four at a
 * time: four adjacent columns share each cache line as the walk goes down the rows.
 */
function filterColumns(
  input: Float32Array,
  output: Float32Array,
  width: number,
  height: number,
  window: number,
  columns?: Int32Array,
): void {
  const n = columns ? columns.length : width;
  let c = 0;
  if (columns) {
    for (; c + 4 <= n; c += 4) {
      boxFilter4Lines(input, output, columns[c], columns[c + 1], columns[c + 2], columns[c + 3], height, width, window);
    }
    for (; c < n; c++) boxFilterLine(input, output, columns[c], height, width, window);
  } else {
    for (; c + 4 <= n; c += 4) boxFilter4Lines(input, output, c, c + 1, c + 2, c + 3, height, width, window);
    for (; c < n; c++) boxFilterLine(input, output, c, height, width, window);
  }
}

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
  for (let pass = 0; pass < passes; pass++) {
    filterRows(a, b, width, height, wx);
    filterColumns(b, a, width, height, wy, pass === passes - 1 ? lastColumns : undefined);
  }
}
