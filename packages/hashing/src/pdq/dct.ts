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
 * Every entry accumulates its 64 terms in k order from 0, each product and each partial sum
 * rounded to float32. Eight entries are accumulated side by side in locals: their rounding
 * chains are independent, so the processor overlaps them (one entry at a time waits on each
 * add → round before the next), and no partial sum goes through memory.
 */
export function dct64To16(a: Float32Array, t: Float32Array, out: Float32Array): void {
  const d = DCT_MATRIX;
  // T = D · A: T[i][j] = Σ_k D[i][k]·A[k][j].
  for (let i = 0; i < 16; i++) {
    const drow = i * 64;
    for (let j = 0; j < 64; j += 8) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let k = 0, r = j; k < 64; k++, r += 64) {
        const dik = d[drow + k];
        s0 = f(s0 + f(dik * a[r]));
        s1 = f(s1 + f(dik * a[r + 1]));
        s2 = f(s2 + f(dik * a[r + 2]));
        s3 = f(s3 + f(dik * a[r + 3]));
        s4 = f(s4 + f(dik * a[r + 4]));
        s5 = f(s5 + f(dik * a[r + 5]));
        s6 = f(s6 + f(dik * a[r + 6]));
        s7 = f(s7 + f(dik * a[r + 7]));
      }
      const o = drow + j;
      t[o] = s0;
      t[o + 1] = s1;
      t[o + 2] = s2;
      t[o + 3] = s3;
      t[o + 4] = s4;
      t[o + 5] = s5;
      t[o + 6] = s6;
      t[o + 7] = s7;
    }
  }
  // B = T · Dᵀ: B[i][j] = Σ_k T[i][k]·D[j][k].
  for (let i = 0; i < 16; i++) {
    const trow = i * 64;
    for (let j = 0; j < 16; j += 8) {
      const d0 = j * 64;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let k = 0; k < 64; k++) {
        const tik = t[trow + k];
        const c = d0 + k;
        s0 = f(s0 + f(tik * d[c]));
        s1 = f(s1 + f(tik * d[c + 64]));
        s2 = f(s2 + f(tik * d[c + 128]));
        s3 = f(s3 + f(tik * d[c + 192]));
        s4 = f(s4 + f(tik * d[c + 256]));
        s5 = f(s5 + f(tik * d[c + 320]));
        s6 = f(s6 + f(tik * d[c + 384]));
        s7 = f(s7 + f(tik * d[c + 448]));
      }
      const o = i * 16 + j;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
      out[o + 4] = s4;
      out[o + 5] = s5;
      out[o + 6] = s6;
      out[o + 7] = s7;
    }
  }
}
