/**
 * PDQ's 64→16 DCT in float32, summed exactly in the reference's order (k = 0..63). The 16×64
 * matrix is built once per process; the DC row is skipped as the reference does.
 */

const f = Math.fround;

function buildDctMatrix(): Float32Array {
  const matrix = new Float32Array(16 * 64);
  const scale = f(Math.sqrt(2 / 64));
  for (let i = 0; i < 16; i++) {
    for (let k = 0; k < 64; k++) {
      // The product is formed in double (float constant × double cosine) and rounded once.
      matrix[i * 64 + k] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * k + 1));
    }
  }
  return matrix;
}

/** D: 16 rows × 64 columns, row-major. */
export const DCT_MATRIX: Readonly<Float32Array> = buildDctMatrix();

/**
 * B = D · A · Dᵀ for a 64×64 row-major `a`, into the 16×16 `out`. `t` is 16×64 scratch.
 * Loops run i, k, j so memory is read in rows, while each entry still accumulates its terms
 * in k order from 0 — every partial sum is rounded to float32 on store.
 */
export function dct64To16(a: Float32Array, t: Float32Array, out: Float32Array): void {
  const d = DCT_MATRIX;
  t.fill(0);
  for (let i = 0; i < 16; i++) {
    const row = i * 64;
    for (let k = 0; k < 64; k++) {
      const dik = d[row + k];
      const arow = k * 64;
      for (let j = 0; j < 64; j++) t[row + j] += f(dik * a[arow + j]);
    }
  }
  for (let i = 0; i < 16; i++) {
    const trow = i * 64;
    for (let j = 0; j < 16; j++) {
      const drow = j * 64;
      let sum = 0;
      for (let k = 0; k < 64; k++) sum = f(sum + f(t[trow + k] * d[drow + k]));
      out[i * 16 + j] = sum;
    }
  }
}
