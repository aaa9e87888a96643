import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnionFind } from './union-find.js';

describe('UnionFind', () => {
  it('joins transitively and keeps the others apart', () => {
    const uf = new UnionFind(6);
    uf.union(0, 2);
    uf.union(2, 4);
    uf.union(1, 5);
    expect(uf.groups()).toEqual([[0, 2, 4], [1, 5], [3]]);
  });

  it('agrees with a naive component labelling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.nat(39), fc.nat(39))), (n, edges) => {
        const uf = new UnionFind(n);
        const label = Array.from({ length: n }, (_, i) => i);
        for (const [a0, b0] of edges) {
          const a = a0 % n;
          const b = b0 % n;
          uf.union(a, b);
          const [from, to] = [label[b], label[a]];
          for (let i = 0; i < n; i++) if (label[i] === from) label[i] = to;
        }
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) expect(uf.find(i) === uf.find(j)).toBe(label[i] === label[j]);
        }
      }),
    );
  });
});
