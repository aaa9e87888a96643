/**
 * The popcount kernels, written as WebAssembly by hand: JavaScript has no 64-bit popcount,
 * and a SWAR popcount over eight 32-bit words costs ~10× more than four `i64.popcnt`.
 *
 * Records are 32 bytes (a 256-bit hash; shorter perceptual hashes are zero-padded, which
 * leaves Hamming distances unchanged). Both kernels write (id, distance) pairs as two i32s.
 *
 *   scan(q, base, count, maxd, out) -> hits
 *       compares the query at `q` with `count` records from `base`; id = record number.
 *   probeKeys(q, base, offsets, ids, keys, nKeys, maxd, out, outCap, heavyBytes, idBytes, idMask)
 *       for each u32 key in `keys`, walks the CSR bucket ids[offsets[key] .. offsets[key+1])
 *       (ids of idBytes = 3 or 4 bytes, read as a u32 & idMask) and checks each id; a bucket over heavyBytes/4 ids is skipped and its size added up
 *       at SKIPPED_AT (the caller then walks it or scans the dense block holding its records).
 *       Writes at most outCap pairs (the returned count may exceed it:
 *       the caller then falls back to a scan) and stores the candidate count at CANDIDATES_AT.
 */

/** Scratch address where probeKeys leaves how many candidates it verified. */
export const CANDIDATES_AT = 40;
/** Scratch address where probeKeys leaves how many ids the heavy buckets it skipped hold. */
export const SKIPPED_AT = 44;

const I32 = 0x7f;
const I64 = 0x7e;

const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Store: 0x36,
  i32Const: 0x41,
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
    op.block,
    op.void,
    op.loop,
    op.void,
    ...get(5),
    ...get(2),
    op.i32GeU,
    op.brIf,
    1,
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
    op.br,
    0,
    op.end,
    op.end,
    ...get(6),
  ];
  return [...uleb(2), ...uleb(4), I32, ...uleb(4), I64, ...code, op.end];
}

function probeKeysBody(): number[] {
  // params: 0 q, 1 base, 2 offsets, 3 ids, 4 keys, 5 nKeys, 6 maxd, 7 out, 8 outCap, 9 heavyBytes,
  //         10 idBytes (3 or 4), 11 idMask
  // locals: 12 k, 13 o, 14 ip, 15 iend, 16 id, 17 p, 18 d, 19 a, 20 cand, 21 skipped (i32); 22..25 q words (i64)
  const q = [22, 23, 24, 25];
  const slot = [...get(7), ...get(13), ...i32(3), op.i32Shl, op.i32Add];
  const code = [
    ...loadQuery(0, q),
    op.block,
    op.void,
    op.loop,
    op.void,
    ...get(12),
    ...get(5),
    op.i32GeU,
    op.brIf,
    1,
    // a = offsets + keys[k] * 4
    ...get(2),
    ...get(4),
    ...get(12),
    ...i32(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load,
    ...mem(2, 0),
    ...i32(2),
    op.i32Shl,
    op.i32Add,
    ...set(19),
    ...get(3),
    ...get(19),
    op.i32Load,
    ...mem(2, 0),
    ...get(10),
    op.i32Mul,
    op.i32Add,
    ...set(14),
    ...get(3),
    ...get(19),
    op.i32Load,
    ...mem(2, 4),
    ...get(10),
    op.i32Mul,
    op.i32Add,
    ...set(15),
    // a heavy bucket is not walked: its members are all in the dense block the caller scans
    ...get(15),
    ...get(14),
    op.i32Sub,
    ...get(9),
    op.i32GtU,
    op.if,
    op.void,
    ...get(21),
    ...get(15),
    ...get(14),
    op.i32Sub,
    op.i32Add,
    ...set(21),
    ...get(15),
    ...set(14),
    op.end,
    ...get(20),
    ...get(15),
    ...get(14),
    op.i32Sub,
    op.i32Add,
    ...set(20),
    op.block,
    op.void,
    op.loop,
    op.void,
    ...get(14),
    ...get(15),
    op.i32GeU,
    op.brIf,
    1,
    ...get(14),
    op.i32Load,
    ...mem(0, 0),
    ...get(11),
    op.i32And,
    ...set(16),
    ...get(1),
    ...get(16),
    ...i32(5),
    op.i32Shl,
    op.i32Add,
    ...set(17),
    ...distance256(17, q),
    ...set(18),
    ...get(18),
    ...get(6),
    op.i32LeU,
    op.if,
    op.void,
    ...get(13),
    ...get(8),
    op.i32LtU,
    op.if,
    op.void,
    ...slot,
    ...get(16),
    op.i32Store,
    ...mem(2, 0),
    ...slot,
    ...get(18),
    op.i32Store,
    ...mem(2, 4),
    op.end,
    ...get(13),
    ...i32(1),
    op.i32Add,
    ...set(13),
    op.end,
    ...get(14),
    ...get(10),
    op.i32Add,
    ...set(14),
    op.br,
    0,
    op.end,
    op.end,
    ...get(12),
    ...i32(1),
    op.i32Add,
    ...set(12),
    op.br,
    0,
    op.end,
    op.end,
    ...i32(CANDIDATES_AT),
    ...get(20),
    ...get(10),
    op.i32DivU,
    op.i32Store,
    ...mem(2, 0),
    ...i32(SKIPPED_AT),
    ...get(21),
    ...get(10),
    op.i32DivU,
    op.i32Store,
    ...mem(2, 0),
    ...get(13),
  ];
  return [...uleb(2), ...uleb(10), I32, ...uleb(4), I64, ...code, op.end];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

export function buildKernelBytes(): Uint8Array {
  const funcType = (params: number) => [0x60, params, ...Array(params).fill(I32), 1, I32];
  const types = [2, ...funcType(5) /* scan */, ...funcType(12) /* probeKeys */];
  const imports = [1, ...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)];
  const functions = [2, 0, 1];
  const exports = [2, ...name('scan'), 0x00, 0, ...name('probeKeys'), 0x00, 1];
  const bodies = [scanBody(), probeKeysBody()];
  const code = [bodies.length, ...bodies.flatMap((b) => [...uleb(b.length), ...b])];
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
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
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

/** A new linear memory of `bytes` (rounded up to whole 64 KiB pages). */
export function createMemory(bytes: number): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  if (pages > 65536) throw new RangeError(`${bytes} bytes exceed the 4 GiB WebAssembly limit`);
  return new wasm.Memory({ initial: pages, maximum: 65536 });
}

export interface Kernel {
  readonly memory: WasmMemory;
  scan(q: number, base: number, count: number, maxd: number, out: number): number;
  probeKeys(
    q: number,
    base: number,
    offsets: number,
    ids: number,
    keys: number,
    nKeys: number,
    maxd: number,
    out: number,
    outCap: number,
    heavyBytes: number,
    idBytes: number,
    idMask: number,
  ): number;
}

let compiled: object | undefined;

/** Instantiates the kernels over `memory` (one instance per memory; the module is compiled once). */
export function createKernel(memory: WasmMemory): Kernel {
  compiled ??= new wasm.Module(buildKernelBytes());
  const instance = new wasm.Instance(compiled, { env: { mem: memory } });
  const exports = instance.exports as unknown as Omit<Kernel, 'memory'>;
  return { memory, scan: exports.scan, probeKeys: exports.probeKeys };
}

export const WASM_PAGE = 65536;
