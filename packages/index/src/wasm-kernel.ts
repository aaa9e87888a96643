import v8 from 'node:v8';
import { adviseHugePages } from '@staydown/huge-pages';

/**
 * The popcount kernels, written as WebAssembly by hand: JavaScript has no 64-bit popcount,
 * and a SWAR popcount over eight 32-bit words costs ~10× more than four `i64.popcnt`.
 *
 * Records are 32 bytes (a 256-bit hash; shorter perceptual hashes are zero-padded, which
 * leaves Hamming distances unchanged). Both kernels write (id, distance) pairs as two i32s.
 *
 *   scan(q, base, count, maxd, out) -> hits
 *       compares the query at `q` with `count` records from `base`; id = record number.
 *   probeKeys(q, base, keys, idsBases, nKeys, maxd, out, outCap, heavyBytes, idBytes, idMask)
 *       for each k < nKeys, keys[k] is the address of a bucket's entry in some table's offsets
 *       and idsBases[k] the address of that table's ids (so one call probes every table):
 *       takes the bucket ids[offsets[key] .. offsets[key+1]) (ids of idBytes = 3 or 4 bytes,
 *       read as a u32 & idMask) and checks each id; a bucket of more than heavyBytes / idBytes
 *       ids (unsigned: -1 walks all) is skipped and its size added up at SKIPPED_AT (the
 *       caller then walks it or searches the dense block holding its records).
 *       Writes at most outCap pairs (the returned count may exceed it: the caller then falls
 *       back to a scan) and stores the candidate count at CANDIDATES_AT.
 *   gather(ids, n, base, out) -> n
 *       copies the records of the n ids (u32s at `ids`) from the records at `base` to `out`,
 *       record k at out + 32k.
 *   scanFolded(q, block, count, from, to, maxd, out, useFold64) -> hits   (a module of its own)
 *       compares the query with positions from ≤ i < to of a dense block of `count` records
 *       kept folded (folded-block.ts), rejecting on the folds' lower bounds before reading a
 *       record's own words; id = position i. Groups of four are tested at once on the 64-bit
 *       folds, or with `useFold64` 0 on the 128-bit ones (at large radii most records pass
 *       the 64-bit test).
 */

/** Scratch address where probeKeys leaves how many candidates it verified. */
export const CANDIDATES_AT = 40;
/** probeKeys' scratch: one (start, end) pair per key, then the candidate ids of up to CANDS_CAP. */
export const KEYS_CAP = 16384;
export const RANGES_AT = 1 << 20;
export const CANDS_CAP = 16384;
export const CANDS_AT = RANGES_AT + KEYS_CAP * 8;
/** The end of probeKeys' scratch; callers' own scratch lies below RANGES_AT. */
export const KERNEL_SCRATCH_END = CANDS_AT + CANDS_CAP * 4;
/** Function index of verify in the module (scan 0, probeKeys 1). */
const VERIFY_INDEX = 2;
/** Scratch address where probeKeys leaves how many ids the heavy buckets it skipped hold. */
export const SKIPPED_AT = 44;

const I32 = 0x7f;
const I64 = 0x7e;

const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32GeU: 0x4f,
  i32LeU: 0x4d,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32Sub: 0x6b,
  i32ShrU: 0x76,
  i32Add: 0x6a,
  i32Shl: 0x74,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32And: 0x71,
  i32Or: 0x72,
  i64Or: 0x84,
  i64Sub: 0x7d,
  i64GeS: 0x59,
  i64ExtendI32U: 0xad,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Xor: 0x85,
  i32WrapI64: 0xa7,
  void: 0x40,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const get = (i: number) => [op.localGet, ...uleb(i)];
const set = (i: number) => [op.localSet, ...uleb(i)];
const i32 = (n: number) => [op.i32Const, ...sleb(n)];
/** Memory access immediates: alignment (log2) and offset. */
const mem = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

/** The u32 at local `array` + local `i` × 4, left on the stack. */
const u32At = (array: number, i: number) => [
  ...get(array),
  ...get(i),
  ...i32(2),
  op.i32Shl,
  op.i32Add,
  op.i32Load,
  ...mem(2, 0),
];

/** while (local i < local n) { body } — body advances i; leaves through the block. */
function whileBelow(i: number, n: number, body: number[]): number[] {
  return [
    op.block,
    op.void,
    op.loop,
    op.void,
    ...get(i),
    ...get(n),
    op.i32GeU,
    op.brIf,
    1,
    ...body,
    op.br,
    0,
    op.end,
    op.end,
  ];
}

/** popcnt(load(ptr+0)^q0) + … + popcnt(load(ptr+24)^q3), as i32, leaves it on the stack. */
function distance256(ptrLocal: number, qLocals: number[]): number[] {
  const code: number[] = [];
  for (let w = 0; w < 4; w++) {
    code.push(...get(ptrLocal), op.i64Load, ...mem(3, w * 8), ...get(qLocals[w]), op.i64Xor, op.i64Popcnt);
    if (w > 0) code.push(op.i64Add);
  }
  code.push(op.i32WrapI64);
  return code;
}

function loadQuery(qParam: number, qLocals: number[]): number[] {
  return qLocals.flatMap((local, w) => [...get(qParam), op.i64Load, ...mem(3, w * 8), ...set(local)]);
}

/** if (d <= maxd) { store id, d at out + o*8; o++ } */
function emitHit(idLocal: number, dLocal: number, maxdLocal: number, outLocal: number, oLocal: number): number[] {
  const slot = [...get(outLocal), ...get(oLocal), ...i32(3), op.i32Shl, op.i32Add];
  return [
    ...get(dLocal),
    ...get(maxdLocal),
    op.i32LeU,
    op.if,
    op.void,
    ...slot,
    ...get(idLocal),
    op.i32Store,
    ...mem(2, 0),
    ...slot,
    ...get(dLocal),
    op.i32Store,
    ...mem(2, 4),
    ...get(oLocal),
    ...i32(1),
    op.i32Add,
    ...set(oLocal),
    op.end,
  ];
}

function scanBody(): number[] {
  // params: 0 q, 1 base, 2 count, 3 maxd, 4 out; locals: 5 i, 6 o, 7 p, 8 d (i32); 9..12 q words (i64)
  const q = [9, 10, 11, 12];
  const code = [
    ...loadQuery(0, q),
    ...get(1),
    ...set(7),
    ...whileBelow(5, 2, [
      ...distance256(7, q),
      ...set(8),
      ...emitHit(5, 8, 3, 4, 6),
      ...get(7),
      ...i32(32),
      op.i32Add,
      ...set(7),
      ...get(5),
      ...i32(1),
      op.i32Add,
      ...set(5),
    ]),
    ...get(6),
  ];
  return [...uleb(2), ...uleb(4), I32, ...uleb(4), I64, ...code, op.end];
}

/**
 * probeKeys in three passes, so that memory misses overlap instead of queueing one behind the
 * other: a bucket walk fused with verification waits on offsets → ids → record, and every
 * loop bound depends on a load that has not arrived yet. Here pass 1 reads all the keys'
 * offsets (independent loads), pass 2 copies bucket ids into a candidate buffer (bounds come
 * from pass 1, already in cache) and pass 3 verifies the candidates without a branch on the
 * distance. On 10 M records this roughly triples the probes per second.
 */
function probeKeysBody(): number[] {
  // params: 0 q, 1 base, 2 keys (offset addresses), 3 idsBases, 4 nKeys, 5 maxd, 6 out, 7 outCap,
  //         8 heavyBytes, 9 idBytes (3 or 4), 10 idMask
  // locals: 11 k, 12 o, 13 s, 14 e, 15 r, 16 n, 17 c, 18 cand, 19 skipped, 20 bb (i32)
  const [k, o, s, e, r, n, c, cand, skipped, bb] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const inc = (local: number, by: number[]) => [...get(local), ...by, op.i32Add, ...set(local)];
  const callVerify = [
    ...get(0),
    ...get(1),
    ...i32(CANDS_AT),
    ...get(c),
    ...get(5),
    ...get(6),
    ...get(o),
    ...get(7),
    op.call,
    ...uleb(VERIFY_INDEX),
    ...set(o),
    ...i32(0),
    ...set(c),
  ];
  /** bb + load(s + offset) * idBytes: a bucket bound as a byte address in its ids array. */
  const idAddress = (offset: number) => [
    ...get(bb),
    ...get(s),
    op.i32Load,
    ...mem(2, offset),
    ...get(9),
    op.i32Mul,
    op.i32Add,
  ];
  const code = [
    // pass 1: ranges[k] = the byte range of key k's bucket in its table's ids
    ...whileBelow(k, 4, [
      ...u32At(2, k),
      ...set(s),
      ...u32At(3, k),
      ...set(bb),
      ...i32(RANGES_AT),
      ...get(k),
      ...i32(3),
      op.i32Shl,
      op.i32Add,
      ...set(r),
      ...get(r),
      ...idAddress(0),
      op.i32Store,
      ...mem(2, 0),
      ...get(r),
      ...idAddress(4),
      op.i32Store,
      ...mem(2, 4),
      ...inc(k, i32(1)),
    ]),
    // pass 2: bucket ids into the candidate buffer, verified (pass 3) whenever it is full
    ...i32(0),
    ...set(k),
    ...whileBelow(k, 4, [
      ...i32(RANGES_AT),
      ...get(k),
      ...i32(3),
      op.i32Shl,
      op.i32Add,
      ...set(r),
      ...get(r),
      op.i32Load,
      ...mem(2, 0),
      ...set(s),
      ...get(r),
      op.i32Load,
      ...mem(2, 4),
      ...set(e),
      ...get(e),
      ...get(s),
      op.i32Sub,
      ...set(n),
      // a heavy bucket is not walked: its members are all in the dense block the caller searches
      ...get(n),
      ...get(8),
      op.i32GtU,
      op.if,
      op.void,
      ...inc(skipped, get(n)),
      op.else,
      ...inc(cand, get(n)),
      ...whileBelow(s, e, [
        ...i32(CANDS_AT),
        ...get(c),
        ...i32(2),
        op.i32Shl,
        op.i32Add,
        ...get(s),
        op.i32Load,
        ...mem(0, 0),
        ...get(10),
        op.i32And,
        op.i32Store,
        ...mem(2, 0),
        ...inc(s, get(9)),
        ...inc(c, i32(1)),
        ...get(c),
        ...i32(CANDS_CAP),
        op.i32GeU,
        op.if,
        op.void,
        ...callVerify,
        op.end,
      ]),
      op.end,
      ...inc(k, i32(1)),
    ]),
    ...callVerify,
    ...i32(CANDIDATES_AT),
    ...get(cand),
    ...get(9),
    op.i32DivU,
    op.i32Store,
    ...mem(2, 0),
    ...i32(SKIPPED_AT),
    ...get(skipped),
    ...get(9),
    op.i32DivU,
    op.i32Store,
    ...mem(2, 0),
    ...get(o),
  ];
  return [...uleb(1), ...uleb(10), I32, ...code, op.end];
}

/**
 * verify(q, base, cands, n, maxd, out, o, outCap) -> o: the distance from the query to each
 * candidate record; every pair is stored at slot o (capped at outCap - 1) and o advances only
 * for a hit, so no branch waits on the record's load.
 */
function verifyBody(): number[] {
  // params: 0 q, 1 base, 2 cands, 3 n, 4 maxd, 5 out, 6 o, 7 outCap; locals: 8 t, 9 id, 10 p, 11 d, 12 at (i32); 13..16 q words (i64)
  const q = [13, 14, 15, 16];
  const [t, id, p, d, at] = [8, 9, 10, 11, 12];
  const code = [
    ...loadQuery(0, q),
    ...whileBelow(t, 3, [
      ...u32At(2, t),
      ...set(id),
      ...get(1),
      ...get(id),
      ...i32(5),
      op.i32Shl,
      op.i32Add,
      ...set(p),
      ...distance256(p, q),
      ...set(d),
      ...get(5),
      ...get(6),
      ...get(7),
      ...i32(1),
      op.i32Sub,
      ...get(6),
      ...get(7),
      op.i32LtU,
      op.select,
      ...i32(3),
      op.i32Shl,
      op.i32Add,
      ...set(at),
      ...get(at),
      ...get(id),
      op.i32Store,
      ...mem(2, 0),
      ...get(at),
      ...get(d),
      op.i32Store,
      ...mem(2, 4),
      ...get(6),
      ...get(d),
      ...get(4),
      op.i32LeU,
      op.i32Add,
      ...set(6),
      ...get(t),
      ...i32(1),
      op.i32Add,
      ...set(t),
    ]),
    ...get(6),
  ];
  return [...uleb(2), ...uleb(5), I32, ...uleb(4), I64, ...code, op.end];
}

/**
 * scanFolded: three tests per record, each reading more of it only when the one before
 * passed. Popcount is subadditive, so the distance between two XORs of words is at most the
 * sum of the words' distances: fold64 and fold128 distances bound the true one from below.
 * Four records at a time are first tested together, with one branch, on their 64-bit folds
 * (useFold64) or their 128-bit ones: most fail, and a branch per record cost more than the
 * loads. A group that may hold a match goes through the per-record tests.
 */
function scanFoldedBody(): number[] {
  // params: 0 q, 1 block, 2 count, 3 from, 4 to, 5 maxd, 6 out, 7 useFold64
  // locals: 8 i, 9 o, 10 d, 11 gBase, 12 lBase, 13 e, 14 p (i32); 15 q0, 16 q1, 17 q2, 18 q3,
  //         19 qg0, 20 qg1, 21 qS, 22 s, 23 g0, 24 g1, 25 x0, 26 x1, 27 m1 (i64)
  const [i, o, d, gBase, lBase, e, p] = [8, 9, 10, 11, 12, 13, 14];
  const q = [15, 16, 17, 18];
  const [qg0, qg1, qS, s, g0, g1, x0, x1, m1] = [19, 20, 21, 22, 23, 24, 25, 26, 27];
  const xorTo = (a: number, b: number, into: number) => [...get(a), ...get(b), op.i64Xor, ...set(into)];
  /** popcnt(local a ^ local b) as i64 on the stack. */
  const pop = (a: number, b: number) => [...get(a), ...get(b), op.i64Xor, op.i64Popcnt];
  /** address = local base + (i << shift), left on the stack. */
  const at = (base: number, shift: number) => [...get(base), ...get(i), ...i32(shift), op.i32Shl, op.i32Add];
  /** local `into` = block + (count << shift): where a part of the block starts. */
  const blockPart = (shift: number, into: number) => [
    ...get(1),
    ...get(2),
    ...i32(shift),
    op.i32Shl,
    op.i32Add,
    ...set(into),
  ];
  /** popcnt(S[i + k] ^ qS) − (maxd + 1): negative when record i + k passes test 1. */
  const fold64Margin = (k: number) => [
    ...get(p),
    op.i64Load,
    ...mem(3, 8 * k),
    ...get(qS),
    op.i64Xor,
    op.i64Popcnt,
    ...get(m1),
    op.i64Sub,
  ];
  /** popcnt(G[i + k] ^ qg0) + popcnt(S[i + k] ^ G[i + k] ^ qg1) − (maxd + 1), G's address in d. */
  const fold128Margin = (k: number) => [
    ...get(d),
    op.i64Load,
    ...mem(3, 8 * k),
    ...get(qg0),
    op.i64Xor,
    op.i64Popcnt,
    ...get(d),
    op.i64Load,
    ...mem(3, 8 * k),
    ...get(p),
    op.i64Load,
    ...mem(3, 8 * k),
    op.i64Xor,
    ...get(qg1),
    op.i64Xor,
    op.i64Popcnt,
    op.i64Add,
    ...get(m1),
    op.i64Sub,
  ];
  const perRecord = [
    ...at(1, 3),
    op.i64Load,
    ...mem(3, 0),
    ...set(s),
    // test 1: the 64-bit folds
    ...get(7),
    op.i32Eqz,
    ...pop(s, qS),
    op.i32WrapI64,
    ...get(5),
    op.i32LeU,
    op.i32Or,
    op.if,
    op.void,
    // test 2: the 128-bit folds (g1 = s ^ g0)
    ...at(gBase, 3),
    op.i64Load,
    ...mem(3, 0),
    ...set(g0),
    ...xorTo(s, g0, g1),
    ...pop(g0, qg0),
    ...pop(g1, qg1),
    op.i64Add,
    op.i32WrapI64,
    ...get(5),
    op.i32LeU,
    op.if,
    op.void,
    // test 3: the record itself (x2 = g0 ^ x0, x3 = g1 ^ x1)
    ...at(lBase, 4),
    ...set(p),
    ...get(p),
    op.i64Load,
    ...mem(3, 0),
    ...set(x0),
    ...get(p),
    op.i64Load,
    ...mem(3, 8),
    ...set(x1),
    ...pop(x0, q[0]),
    ...pop(x1, q[1]),
    op.i64Add,
    ...get(g0),
    ...get(x0),
    op.i64Xor,
    ...get(q[2]),
    op.i64Xor,
    op.i64Popcnt,
    op.i64Add,
    ...get(g1),
    ...get(x1),
    op.i64Xor,
    ...get(q[3]),
    op.i64Xor,
    op.i64Popcnt,
    op.i64Add,
    op.i32WrapI64,
    ...set(d),
    ...emitHit(i, d, 5, 6, o),
    op.end,
    op.end,
    ...get(i),
    ...i32(1),
    op.i32Add,
    ...set(i),
  ];
  const code = [
    ...loadQuery(0, q),
    ...xorTo(q[0], q[2], qg0),
    ...xorTo(q[1], q[3], qg1),
    ...xorTo(qg0, qg1, qS),
    ...get(5),
    ...i32(1),
    op.i32Add,
    op.i64ExtendI32U,
    ...set(m1),
    // G starts count × 8 bytes into the block, L count × 16.
    ...blockPart(3, gBase),
    ...blockPart(4, lBase),
    ...get(3),
    ...set(i),
    ...whileBelow(i, 4, [
      // e = min(i + 4, to)
      ...get(4),
      ...get(i),
      ...i32(4),
      op.i32Add,
      ...get(i),
      ...i32(4),
      op.i32Add,
      ...get(4),
      op.i32GtU,
      op.select,
      ...set(e),
      // Records i … i + 3 at once, when all four are in range (no read past the block).
      ...get(e),
      ...get(i),
      op.i32Sub,
      ...i32(4),
      op.i32Eq,
      op.if,
      op.void,
      ...at(1, 3),
      ...set(p),
      ...at(gBase, 3),
      ...set(d),
      ...get(7),
      op.if,
      I64,
      ...fold64Margin(0),
      ...fold64Margin(1),
      op.i64Or,
      ...fold64Margin(2),
      op.i64Or,
      ...fold64Margin(3),
      op.i64Or,
      op.else,
      ...fold128Margin(0),
      ...fold128Margin(1),
      op.i64Or,
      ...fold128Margin(2),
      op.i64Or,
      ...fold128Margin(3),
      op.i64Or,
      op.end,
      op.i64Const,
      0,
      op.i64GeS,
      op.if,
      op.void,
      ...get(e),
      ...set(i),
      op.br,
      2,
      op.end,
      op.end,
      ...whileBelow(i, e, perRecord),
    ]),
    ...get(o),
  ];
  return [...uleb(2), ...uleb(7), I32, ...uleb(13), I64, ...code, op.end];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

interface KernelFunction {
  /** Exported under this name; unnamed functions are only called from within the module. */
  name?: string;
  /** i32 parameters; every kernel returns one i32. */
  params: number;
  body: number[];
}

/** A module of `functions` (function i has type i) over the imported memory env.mem. */
function moduleBytes(functions: KernelFunction[]): Uint8Array {
  const funcType = (params: number) => [0x60, params, ...Array(params).fill(I32), 1, I32];
  const types = [functions.length, ...functions.flatMap((f) => funcType(f.params))];
  const imports = [1, ...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)];
  const declared = [functions.length, ...functions.map((_, i) => i)];
  const named = functions.flatMap((f, i) => (f.name === undefined ? [] : [[...name(f.name), 0x00, i]]));
  const exports = [named.length, ...named.flat()];
  const code = [functions.length, ...functions.flatMap((f) => [...uleb(f.body.length), ...f.body])];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, declared),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/**
 * gather: a search's hit records copied out in result order. The loop is a few instructions
 * a record, so the processor has many records' reads in flight at once; the same copy in
 * JavaScript (bounds checks, eight word moves) overlapped fewer: 34.8 against 15.5 ns a
 * record for a 27 633-hit r=16 answer at 10 M hashes, its ids ascending, measured on the
 * table's own memory between searches (gathsitu.mjs).
 */
function gatherBody(): number[] {
  // params: 0 ids, 1 n, 2 base, 3 out; locals: 4 k, 5 from, 6 to (i32)
  const [k, from, to] = [4, 5, 6];
  const code = [
    ...whileBelow(k, 1, [
      ...u32At(0, k),
      ...i32(5),
      op.i32Shl,
      ...get(2),
      op.i32Add,
      ...set(from),
      ...get(3),
      ...get(k),
      ...i32(5),
      op.i32Shl,
      op.i32Add,
      ...set(to),
      ...[0, 8, 16, 24].flatMap((offset) => [
        ...get(to),
        ...get(from),
        op.i64Load,
        ...mem(3, offset),
        op.i64Store,
        ...mem(3, offset),
      ]),
      ...get(k),
      ...i32(1),
      op.i32Add,
      ...set(k),
    ]),
    ...get(1),
  ];
  return [...uleb(1), ...uleb(3), I32, ...code, op.end];
}

/** The table's kernels: scan, probeKeys, verify (called by probeKeys) and gather. */
export function buildKernelBytes(): Uint8Array {
  return moduleBytes([
    { name: 'scan', params: 5, body: scanBody() },
    { name: 'probeKeys', params: 11, body: probeKeysBody() },
    { params: 8, body: verifyBody() },
    { name: 'gather', params: 4, body: gatherBody() },
  ]);
}

/**
 * The dense block's folded scan, a module of its own: each module stays a small, readable
 * piece of hand-assembled code, and both are instantiated over the same memory.
 */
export function buildFoldedKernelBytes(): Uint8Array {
  return moduleBytes([{ name: 'scanFolded', params: 8, body: scanFoldedBody() }]);
}

/**
 * The few WebAssembly JS-API shapes used here. Declared locally because this project's lib
 * settings (ES2023, no DOM) carry no WebAssembly types, and a global declaration could clash
 * with another package's.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * A new linear memory of `bytes` (rounded up to whole 64 KiB pages), asked to be backed by
 * huge pages before anything is written to it (@staydown/huge-pages): queries read it at
 * random, and on 4 KiB pages nearly every read also walks the page tables. On the 2-core VM
 * at 10 M clustered hashes that made whole passes of r=31 queries 1.15x and r=16 1.16x
 * faster (both versions open in one process, alternated; that method favours the index
 * opened second, by 3.5 % on r=31 queries in an A/A test, so the gain is at least 1.11x).
 */
export function createMemory(bytes: number): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  if (pages > 65536) throw new RangeError(`${bytes} bytes exceed the 4 GiB WebAssembly limit`);
  const memory = new wasm.Memory({ initial: pages, maximum: 65536 });
  adviseHugePages(memory.buffer);
  return memory;
}

/** Grows `memory` by `pages` 64 KiB pages, the new ones advised as createMemory's were. */
export function growMemory(memory: WasmMemory, pages: number): void {
  memory.grow(pages);
  adviseHugePages(memory.buffer);
}

export interface Kernel {
  readonly memory: WasmMemory;
  scan(q: number, base: number, count: number, maxd: number, out: number): number;
  probeKeys(
    q: number,
    base: number,
    keys: number,
    idsBases: number,
    nKeys: number,
    maxd: number,
    out: number,
    outCap: number,
    heavyBytes: number,
    idBytes: number,
    idMask: number,
  ): number;
  gather(ids: number, n: number, base: number, out: number): number;
  scanFolded(
    q: number,
    block: number,
    count: number,
    from: number,
    to: number,
    maxd: number,
    out: number,
    useFold64: number,
  ): number;
}

let compiled: object | undefined;
let compiledFolded: object | undefined;

/**
 * Compiles the module straight to V8's optimising tier. By default V8 starts WebAssembly on its
 * baseline compiler (Liftoff) and swaps in optimised code as functions get hot; over a long
 * run of searches that swap repeats and the same queries swung between ~1.6k and ~2.8k per
 * second at 10 M clustered hashes. Compiled optimised from the start they hold steady at the
 * top. The flag is read at compile time only and is put back at once; a process started with
 * --no-liftoff keeps it.
 */
function compileOptimised(bytes: Uint8Array): object {
  const userChoseNoLiftoff = process.execArgv.includes('--no-liftoff');
  try {
    v8.setFlagsFromString('--no-liftoff');
    return new wasm.Module(bytes);
  } finally {
    if (!userChoseNoLiftoff) v8.setFlagsFromString('--liftoff');
  }
}

/** Instantiates the kernels over `memory` (one instance per memory; each module is compiled once). */
export function createKernel(memory: WasmMemory): Kernel {
  compiled ??= compileOptimised(buildKernelBytes());
  compiledFolded ??= compileOptimised(buildFoldedKernelBytes());
  const imports = { env: { mem: memory } };
  const table = new wasm.Instance(compiled, imports).exports as unknown as Pick<
    Kernel,
    'scan' | 'probeKeys' | 'gather'
  >;
  const folded = new wasm.Instance(compiledFolded, imports).exports as unknown as Pick<Kernel, 'scanFolded'>;
  return {
    memory,
    scan: table.scan,
    probeKeys: table.probeKeys,
    gather: table.gather,
    scanFolded: folded.scanFolded,
  };
}

export const WASM_PAGE = 65536;
