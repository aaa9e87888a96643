/**
 * The eight dihedral variants of a PDQ hash, taken from the one 16×16 DCT output: a rotation
 * or flip of the image transposes and/or negates DCT coefficients, so no pixels are re-hashed.
 *
 * Note: PDQ-SPEC.md's table lists the negation rules of rot90 and rot270 the other way round;
 * the reference tool's output (expected-dihedral.tsv, 45 images) has rot90 negate where i is
 * even and rot270 where j is even, and that is what is reproduced here.
 */

export const DIHEDRAL_NAMES = [
  'orig',
  'rot90',
  'rot180',
  'rot270',
  'flipx',
  'flipy',
  'flipplus1',
  'flipminus1',
] as const;
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

interface Transform {
  transpose: boolean;
  negate: (i: number, j: number) => boolean;
}

const TRANSFORMS: Record<DihedralName, Transform> = {
  orig: { transpose: false, negate: () => false },
  rot90: { transpose: true, negate: (i) => (i & 1) === 0 },
  rot180: { transpose: false, negate: (i, j) => ((i + j) & 1) === 1 },
  rot270: { transpose: true, negate: (_i, j) => (j & 1) === 0 },
  flipx: { transpose: false, negate: (i) => (i & 1) === 0 },
  flipy: { transpose: false, negate: (_i, j) => (j & 1) === 0 },
  flipplus1: { transpose: true, negate: () => false },
  flipminus1: { transpose: true, negate: (i, j) => ((i + j) & 1) === 1 },
};

/** Writes the named variant of the 16×16 matrix `b` into `out`. */
export function dihedralMatrix(b: Float32Array, name: DihedralName, out: Float32Array): void {
  const { transpose, negate } = TRANSFORMS[name];
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      const v = transpose ? b[j * 16 + i] : b[i * 16 + j];
      out[i * 16 + j] = negate(i, j) ? -v : v;
    }
  }
}
