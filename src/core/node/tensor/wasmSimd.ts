/**
 * The element-wise kernels of the LSTM engines as a WebAssembly SIMD module, written out byte by
 * byte here (no assembler is needed to build it): a tiny code emitter (LEB128, sections, a
 * function builder, the f32x4 ops used) and the kernel bodies on top of it. Every kernel reads and
 * writes one imported shared linear memory; array arguments are byte offsets into it, 0 meaning
 * "absent" (the workspace never places an array at 0).
 *
 * The activations use a vectorised exp (Cephes' expf: range reduction by ln 2 split in two parts,
 * a degree-6 polynomial, 2^n built in the exponent bits; relative error about 1e-7 on float32,
 * saturating to 0 / 2.2e38 outside [-87.3, 88.3]); tanh takes an odd polynomial below |x| = 0.625,
 * where 1 - 2/(e^2x + 1) would lose digits, and that formula above it.
 *
 * `elementwise.ts` wraps the exports with the same semantics as its pure-TypeScript kernels.
 */

/** Code as nested arrays of bytes: combining pieces nests them, and `flatten` writes them out once. */
type Bytes = Code[];
type Code = number | Code[];
type ValType = 'i32' | 'f32' | 'f64' | 'v128';
type Tuple<N extends number, R extends number[] = []> = R['length'] extends N ? R : Tuple<N, [number, ...R]>;

const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128. */
function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): Bytes {
  const out: Bytes = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The bytes of `code`, in order. */
function flatten(code: Code, out: number[] = []): number[] {
  if (typeof code === 'number') out.push(code);
  else for (const c of code) flatten(c, out);
  return out;
}

const utf8 = (s: string): Bytes => [uleb(s.length), Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: Bytes[]): Bytes => [uleb(items.length), items];
const section = (id: number, body: Bytes): Bytes => {
  const bytes = flatten(body);
  return [id, uleb(bytes.length), bytes];
};
const f32Bytes = (x: number): number[] => Array.from(new Uint8Array(new Float32Array([x]).buffer));
const i32Bytes = (x: number): number[] => Array.from(new Uint8Array(new Int32Array([x]).buffer));

// ---- instructions (each returns the bytes that leave its result on the stack) ----

const get = (local: number): Bytes => [0x20, uleb(local)];
const set = (local: number, value: Bytes): Bytes => [value, 0x21, uleb(local)];
const i32 = (n: number): Bytes => [0x41, sleb(n)];
const bin =
  (code: number) =>
  (a: Bytes, b: Bytes): Bytes => [a, b, code];

/** i32 arithmetic and comparisons. */
const I = {
  add: bin(0x6a),
  sub: bin(0x6b),
  mul: bin(0x6c),
  and: bin(0x71),
  or: bin(0x72),
  xor: bin(0x73),
  shl: bin(0x74),
  shrU: bin(0x76),
  eq: bin(0x46),
  ne: bin(0x47),
  ltS: bin(0x48),
  ltU: bin(0x49),
  leS: bin(0x4c),
  eqz: (a: Bytes): Bytes => [a, 0x45],
  /** i32.load of a 4-byte-aligned address. */
  load: (addr: Bytes): Bytes => [addr, 0x28, 2, 0],
  store: (addr: Bytes, value: Bytes): Bytes => [addr, value, 0x36, 2, 0],
};

/** f32 scalars. */
const F = {
  const: (x: number): Bytes => [0x43, f32Bytes(x)],
  load: (addr: Bytes): Bytes => [addr, 0x2a, 2, 0],
  store: (addr: Bytes, value: Bytes): Bytes => [addr, value, 0x38, 2, 0],
  mul: bin(0x94),
  add: bin(0x92),
  max: bin(0x97),
  div: bin(0x95),
  sub: bin(0x93),
  eq: bin(0x5b),
  sqrt: (a: Bytes): Bytes => [a, 0x91],
};

const simd = (op: number, ...immediates: number[]): Bytes => [0xfd, uleb(op), immediates];
const simdBin =
  (op: number) =>
  (a: Bytes, b: Bytes): Bytes => [a, b, simd(op)];
const simdUn =
  (op: number) =>
  (a: Bytes): Bytes => [a, simd(op)];

/** v128 bitwise ops and i32x4 lanes. */
const V = {
  and: simdBin(0x4e),
  or: simdBin(0x50),
  /** Lanes of `a` where `mask` is set, else of `b`. */
  select: (a: Bytes, b: Bytes, mask: Bytes): Bytes => [a, b, mask, simd(0x52)],
  i32x4Add: simdBin(0xae),
  i32x4Shl: (a: Bytes, bits: number): Bytes => [a, i32(bits), simd(0xab)],
};

/** f32x4 lanes. */
const F4 = {
  splat: simdUn(0x13),
  lane: (a: Bytes, lane: number): Bytes => [a, simd(0x1f, lane)],
  add: simdBin(0xe4),
  sub: simdBin(0xe5),
  mul: simdBin(0xe6),
  div: simdBin(0xe7),
  min: simdBin(0xe8),
  max: simdBin(0xe9),
  lt: simdBin(0x43),
  gt: simdBin(0x44),
  abs: simdUn(0xe0),
  neg: simdUn(0xe1),
};

// ---- control ----

const EMPTY = 0x40;
const block = (body: Bytes): Bytes => [0x02, EMPTY, body, 0x0b];
const loop = (body: Bytes): Bytes => [0x03, EMPTY, body, 0x0b];
const ifElse = (cond: Bytes, then: Bytes, otherwise: Bytes = []): Bytes => [
  cond,
  0x04,
  EMPTY,
  then,
  otherwise.length ? [0x05, otherwise] : [],
  0x0b,
];
const brIf = (depth: number, cond: Bytes): Bytes => [cond, 0x0d, uleb(depth)];
const br = (depth: number): Bytes => [0x0c, uleb(depth)];
/** `while (cond) body`. Directly in `body`, `br(1)` breaks; inside one `if` in it, `br(2)` does. */
const whileDo = (cond: Bytes, body: Bytes): Bytes => block(loop([brIf(1, I.eqz(cond)), body, br(0)]));
const increment = (local: number, by: Bytes): Bytes => set(local, I.add(get(local), by));

/** One function: named i32/f32 parameters, extra locals on demand, one body. */
class Fn {
  /** Parameter name to local index. */
  readonly p: Record<string, number> = {};
  private readonly paramTypes: ValType[] = [];
  private readonly localTypes: ValType[] = [];
  /** v128 constants, each set once in a local at entry (V8 rebuilds a v128.const at every use). */
  private readonly constants = new Map<string, { local: number; bytes: number[] }>();
  body: Bytes = [];

  constructor(
    readonly name: string,
    params: Record<string, ValType>,
    readonly results: ValType[] = [],
  ) {
    for (const [n, t] of Object.entries(params)) {
      this.p[n] = this.paramTypes.length;
      this.paramTypes.push(t);
    }
  }

  /** A fresh local of `type`: its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.paramTypes.length + this.localTypes.length - 1;
  }

  /** `count` fresh locals of `type`. */
  locals<N extends number>(type: ValType, count: N): Tuple<N> {
    return Array.from({ length: count }, () => this.local(type)) as Tuple<N>;
  }

  /** The v128 constant with these 16 bytes, read from its local. */
  v128(bytes: number[]): Bytes {
    const key = bytes.join(',');
    let c = this.constants.get(key);
    if (!c) this.constants.set(key, (c = { local: this.local('v128'), bytes }));
    return get(c.local);
  }

  /** x in all four f32 lanes. */
  f4(x: number): Bytes {
    return this.v128([...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x)]);
  }

  /** x in all four i32 lanes. */
  i4(x: number): Bytes {
    return this.v128([...i32Bytes(x), ...i32Bytes(x), ...i32Bytes(x), ...i32Bytes(x)]);
  }

  /** The function type, as the type section writes it. */
  type(): Bytes {
    return [
      0x60,
      vec(this.paramTypes.map((t) => [TYPE_CODE[t]])),
      vec(this.results.map((t) => [TYPE_CODE[t]])),
    ];
  }

  /** The code section entry: locals (run-length by type) and body. */
  code(): Bytes {
    const groups: Bytes[] = [];
    for (let i = 0; i < this.localTypes.length;) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([uleb(j - i), TYPE_CODE[this.localTypes[i]!]]);
      i = j;
    }
    const init = [...this.constants.values()].flatMap((c) => set(c.local, simd(0x0c, ...c.bytes)));
    const entry = flatten([vec(groups), init, this.body, 0x0b]);
    return [uleb(entry.length), entry];
  }
}

/** The module: imports `env.memory` (shared, up to `maxPages` of 64 KiB) and exports `fns`. */
function assemble(fns: Fn[], maxPages: number): Uint8Array {
  const memoryImport = [utf8('env'), utf8('memory'), 0x02, 0x03, uleb(1), uleb(maxPages)];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    section(1, vec(fns.map((f) => f.type()))),
    section(2, vec([memoryImport])),
    section(3, vec(fns.map((_, i) => uleb(i)))),
    section(7, vec(fns.map((f, i) => [utf8(f.name), 0x00, uleb(i)]))),
    section(10, vec(fns.map((f) => f.code()))),
  ];
  return Uint8Array.from(flatten(bytes));
}

// ---- the maths, on f32x4 values ----

const LOG2E = 1.4426950408889634;
const EXP_LO = -87.3;
const EXP_HI = 88.3;
// ln 2 split so that n * LN2_HI is exact for the n used here (Cephes).
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
// Adding 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer held in the low mantissa bits.
const ROUNDER = 12582912;
const EXP_POLY = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];
const TANH_POLY = [
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1,
];
const TANH_SMALL = 0.625;

/** Horner's rule: ((c0 x + c1) x + c2)  over the local `x`. */
function horner(f: Fn, coefficients: number[], x: number): Bytes {
  let acc = f.f4(coefficients[0]!);
  for (const c of coefficients.slice(1)) acc = F4.add(F4.mul(acc, get(x)), f.f4(c));
  return acc;
}

/** e^x lane by lane, clamped to [e^-87.3, e^88.3]; NaN stays NaN. */
function exp(f: Fn, x: Bytes): Bytes {
  const t = f.local('v128');
  const k = f.local('v128');
  const n = f.local('v128');
  const r = f.local('v128');
  return [
    set(t, F4.min(F4.max(x, f.f4(EXP_LO)), f.f4(EXP_HI))),
    // k = n + 1.5 * 2^23 with n = round(x / ln 2); its bits are those of 1.5 * 2^23 plus n.
    set(k, F4.add(F4.mul(get(t), f.f4(LOG2E)), f.f4(ROUNDER))),
    set(n, F4.sub(get(k), f.f4(ROUNDER))),
    set(r, F4.sub(F4.sub(get(t), F4.mul(get(n), f.f4(LN2_HI))), F4.mul(get(n), f.f4(LN2_LO)))),
    // p(r) = 1 + r + r^2 (P0 r^5 +  + P5), times 2^n: (n + 127) << 23, where the shift also
    // drops the bits of 1.5 * 2^23 (all above bit 8 of k's integer).
    F4.mul(
      F4.add(F4.add(F4.mul(horner(f, EXP_POLY, r), F4.mul(get(r), get(r))), get(r)), f.f4(1)),
      V.i32x4Shl(V.i32x4Add(get(k), f.i4(127)), 23),
    ),
  ];
}

/** 1 / (1 + e^-x). */
const sigmoid = (f: Fn, x: Bytes): Bytes => F4.div(f.f4(1), F4.add(f.f4(1), exp(f, F4.neg(x))));

/** tanh x: x + x^3 P(x^2) below |x| = 0.625, else sign(x) (1 - 2 / (e^2|x| + 1)). */
function tanh(f: Fn, x: Bytes): Bytes {
  const v = f.local('v128');
  const a = f.local('v128');
  const z = f.local('v128');
  const large = F4.sub(f.f4(1), F4.div(f.f4(2), F4.add(exp(f, F4.add(get(a), get(a))), f.f4(1))));
  const signed = V.or(large, V.and(get(v), f.i4(-0x80000000)));
  const small = F4.add(F4.mul(F4.mul(horner(f, TANH_POLY, z), get(z)), get(v)), get(v));
  return [
    set(v, x),
    set(a, F4.abs(get(v))),
    set(z, F4.mul(get(v), get(v))),
    V.select(small, signed, F4.lt(get(a), f.f4(TANH_SMALL))),
  ];
}

// ---- loops ----

type Lanes = 4 | 1;

/** Loads 4 lanes at `addr`, or one float splatted to all lanes. */
const load = (lanes: Lanes, addr: Bytes): Bytes =>
  lanes === 4 ? [addr, simd(0x00, 2, 0)] : F4.splat(F.load(addr));
/** Stores 4 lanes at `addr`, or lane 0 alone. */
const store = (lanes: Lanes, addr: Bytes, value: Bytes): Bytes =>
  lanes === 4 ? [addr, value, simd(0x0b, 2, 0)] : F.store(addr, F4.lane(value, 0));

/**
 * Runs `body` for byte offsets `u` of a row `width` bytes wide: four lanes while four remain,
 * then one at a time, so rows of any length are handled by the same arithmetic.
 */
function columns(u: number, width: Bytes, body: (lanes: Lanes) => Bytes): Bytes {
  return [
    set(u, i32(0)),
    whileDo(I.leS(I.add(get(u), i32(16)), width), [body(4), increment(u, i32(16))]),
    whileDo(I.ltS(get(u), width), [body(1), increment(u, i32(4))]),
  ];
}

const nonzero = (local: number): Bytes => I.ne(get(local), i32(0));

// ---- kernels ----

/**
 * cellForward(gates, hasZ, table, ids, idStride, bias, cPrev, cells, cellTanh, hidden, rows, units):
 * for each row r, the pre-activation z = (hasZ ? gates[r] : 0) + (table ? table[ids[r * idStride]] : 0)
 * + bias (gate order i, f, g, o; 4 x units wide), then i, f, o = sigmoid, g = tanh written back
 * into gates[r], c = f * cPrev[r] + i * g (cPrev 0: no previous cell), cellTanh = tanh c,
 * hidden = o * tanh c.
 */
function cellForward(): Fn {
  const f = new Fn('cellForward', {
    gates: 'i32',
    hasZ: 'i32',
    table: 'i32',
    ids: 'i32',
    idStride: 'i32',
    bias: 'i32',
    cPrev: 'i32',
    cells: 'i32',
    cellTanh: 'i32',
    hidden: 'i32',
    rows: 'i32',
    units: 'i32',
  });
  const p = f.p as Record<
    | 'gates'
    | 'hasZ'
    | 'table'
    | 'ids'
    | 'idStride'
    | 'bias'
    | 'cPrev'
    | 'cells'
    | 'cellTanh'
    | 'hidden'
    | 'rows'
    | 'units',
    number
  >;
  const [r, u, w, gRow, hRow, tRow] = f.locals('i32', 6);
  const z = f.locals('v128', 4);
  const gate = f.locals('v128', 4);
  const c = f.local('v128');
  const ct = f.local('v128');
  // Byte offset of gate k's column u in a row.
  const at = (k: number): Bytes => (k === 0 ? get(u) : I.add(I.mul(get(w), i32(k)), get(u)));
  const out = (base: number): Bytes => I.add(I.add(get(base), get(hRow)), get(u));
  // The optional operands are tested inside the loop: the branches always go the same way, and
  // cost a few instructions against the activations' hundreds.
  const cell = (lanes: Lanes): Bytes => [
    ([0, 1, 2, 3] as const).map((k) => [
      set(z[k], load(lanes, I.add(get(p.bias), at(k)))),
      ifElse(nonzero(p.table), set(z[k], F4.add(load(lanes, I.add(get(tRow), at(k))), get(z[k])))),
      ifElse(nonzero(p.hasZ), set(z[k], F4.add(load(lanes, I.add(get(gRow), at(k))), get(z[k])))),
    ]),
    set(gate[0], sigmoid(f, get(z[0]))),
    set(gate[1], sigmoid(f, get(z[1]))),
    set(gate[2], tanh(f, get(z[2]))),
    set(gate[3], sigmoid(f, get(z[3]))),
    ([0, 1, 2, 3] as const).map((k) => store(lanes, I.add(get(gRow), at(k)), get(gate[k]))),
    set(c, F4.mul(get(gate[0]), get(gate[2]))),
    ifElse(nonzero(p.cPrev), set(c, F4.add(F4.mul(get(gate[1]), load(lanes, out(p.cPrev))), get(c)))),
    set(ct, tanh(f, get(c))),
    store(lanes, out(p.cells), get(c)),
    store(lanes, out(p.cellTanh), get(ct)),
    store(lanes, out(p.hidden), F4.mul(get(gate[3]), get(ct))),
  ];
  f.body = [
    set(w, I.shl(get(p.units), i32(2))),
    set(r, i32(0)),
    set(gRow, get(p.gates)),
    set(hRow, i32(0)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      ifElse(
        nonzero(p.table),
        set(
          tRow,
          I.add(
            get(p.table),
            I.mul(
              I.load(I.add(get(p.ids), I.shl(I.mul(get(r), get(p.idStride)), i32(2)))),
              I.shl(get(w), i32(2)),
            ),
          ),
        ),
      ),
      columns(u, get(w), cell),
      increment(gRow, I.shl(get(w), i32(2))),
      increment(hRow, get(w)),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * cellBackward(gates, cellTanh, cPrev, dh, dhAdd, dhAddStride, dcNext, dz, dBias, dTable, ids,
 * idStride, rows, units): for each row r, with d = dh[r] + (dhAdd ? dhAdd[r * dhAddStride] : 0)
 * the gradient on the hidden state and dcNext[r] the one on the cell from the step after,
 * dc = d o (1 - tanh^2 c) + dcNext; writes the pre-activation gradients dz[r] (i, f, g, o), sets
 * dcNext[r] = dc f (the gradient on the previous cell), adds dz[r] into dBias and, when dTable is
 * given, into dTable[ids[r * idStride]].
 */
function cellBackward(): Fn {
  const f = new Fn('cellBackward', {
    gates: 'i32',
    cellTanh: 'i32',
    cPrev: 'i32',
    dh: 'i32',
    dhAdd: 'i32',
    dhAddStride: 'i32',
    dcNext: 'i32',
    dz: 'i32',
    dBias: 'i32',
    dTable: 'i32',
    ids: 'i32',
    idStride: 'i32',
    rows: 'i32',
    units: 'i32',
  });
  const p = f.p as Record<
    | 'gates'
    | 'cellTanh'
    | 'cPrev'
    | 'dh'
    | 'dhAdd'
    | 'dhAddStride'
    | 'dcNext'
    | 'dz'
    | 'dBias'
    | 'dTable'
    | 'ids'
    | 'idStride'
    | 'rows'
    | 'units',
    number
  >;
  const [r, u, w, gRow, hRow, aRow, tRow] = f.locals('i32', 7);
  const [i, fg, g, o, ct, d, dc] = f.locals('v128', 7);
  const dzk = f.locals('v128', 4);
  const at = (k: number): Bytes => (k === 0 ? get(u) : I.add(I.mul(get(w), i32(k)), get(u)));
  const h = (base: number): Bytes => I.add(I.add(get(base), get(hRow)), get(u));
  const gAt = (base: number, k: number): Bytes => I.add(I.add(get(base), get(gRow)), at(k));
  const oneMinus = (x: Bytes): Bytes => F4.sub(f.f4(1), x);
  const cell = (lanes: Lanes): Bytes => [
    set(i, load(lanes, gAt(p.gates, 0))),
    set(fg, load(lanes, gAt(p.gates, 1))),
    set(g, load(lanes, gAt(p.gates, 2))),
    set(o, load(lanes, gAt(p.gates, 3))),
    set(ct, load(lanes, h(p.cellTanh))),
    set(d, load(lanes, h(p.dh))),
    ifElse(nonzero(p.dhAdd), set(d, F4.add(get(d), load(lanes, I.add(get(aRow), get(u)))))),
    set(
      dc,
      F4.add(F4.mul(F4.mul(get(d), get(o)), oneMinus(F4.mul(get(ct), get(ct)))), load(lanes, h(p.dcNext))),
    ),
    set(dzk[0], F4.mul(F4.mul(F4.mul(get(dc), get(g)), get(i)), oneMinus(get(i)))),
    set(dzk[1], f.f4(0)),
    ifElse(
      nonzero(p.cPrev),
      set(dzk[1], F4.mul(F4.mul(F4.mul(get(dc), load(lanes, h(p.cPrev))), get(fg)), oneMinus(get(fg)))),
    ),
    set(dzk[2], F4.mul(F4.mul(get(dc), get(i)), oneMinus(F4.mul(get(g), get(g))))),
    set(dzk[3], F4.mul(F4.mul(F4.mul(get(d), get(ct)), get(o)), oneMinus(get(o)))),
    store(lanes, h(p.dcNext), F4.mul(get(dc), get(fg))),
    ([0, 1, 2, 3] as const).map((k) => [
      store(lanes, gAt(p.dz, k), get(dzk[k])),
      store(lanes, I.add(get(p.dBias), at(k)), F4.add(load(lanes, I.add(get(p.dBias), at(k))), get(dzk[k]))),
      ifElse(
        nonzero(p.dTable),
        store(lanes, I.add(get(tRow), at(k)), F4.add(load(lanes, I.add(get(tRow), at(k))), get(dzk[k]))),
      ),
    ]),
  ];
  f.body = [
    set(w, I.shl(get(p.units), i32(2))),
    set(r, i32(0)),
    set(gRow, i32(0)),
    set(hRow, i32(0)),
    set(aRow, get(p.dhAdd)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      ifElse(
        nonzero(p.dTable),
        set(
          tRow,
          I.add(
            get(p.dTable),
            I.mul(
              I.load(I.add(get(p.ids), I.shl(I.mul(get(r), get(p.idStride)), i32(2)))),
              I.shl(get(w), i32(2)),
            ),
          ),
        ),
      ),
      columns(u, get(w), cell),
      increment(gRow, I.shl(get(w), i32(2))),
      increment(hRow, get(w)),
      increment(aRow, I.shl(get(p.dhAddStride), i32(2))),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * softmaxRows(x, bias, rows, width, argmax, stats): for each row, x += bias (bias 0: none), then x =
 * softmax(x) in place, and argmax[r] = the first index of the row's largest logit; with `stats`
 * (0: none), stats[2r] = the row's largest logit and stats[2r + 1] = the sum of e^(x - max).
 */
function softmaxRows(): Fn {
  const f = new Fn('softmaxRows', {
    x: 'i32',
    bias: 'i32',
    rows: 'i32',
    width: 'i32',
    argmax: 'i32',
    stats: 'i32',
  });
  const p = f.p as Record<'x' | 'bias' | 'rows' | 'width' | 'argmax' | 'stats', number>;
  const [r, u, w, row] = f.locals('i32', 4);
  const [m, s, e, inv] = f.locals('v128', 4);
  const [top, total] = f.locals('f32', 2);
  const here = (): Bytes => I.add(get(row), get(u));
  // The horizontal max or sum of the four lanes of `v`.
  const across = (op: (a: Bytes, b: Bytes) => Bytes, v: number): Bytes =>
    op(op(F4.lane(get(v), 0), F4.lane(get(v), 1)), op(F4.lane(get(v), 2), F4.lane(get(v), 3)));
  const lane0 = f.v128([...i32Bytes(-1), ...i32Bytes(0), ...i32Bytes(0), ...i32Bytes(0)]);
  f.body = [
    set(w, I.shl(get(p.width), i32(2))),
    set(r, i32(0)),
    set(row, get(p.x)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      set(m, f.f4(-Infinity)),
      ifElse(
        nonzero(p.bias),
        columns(u, get(w), (lanes) => [
          store(lanes, here(), F4.add(load(lanes, here()), load(lanes, I.add(get(p.bias), get(u))))),
          set(m, F4.max(get(m), load(lanes, here()))),
        ]),
        columns(u, get(w), (lanes) => set(m, F4.max(get(m), load(lanes, here())))),
      ),
      set(top, across(F.max, m)),
      // The first index holding the maximum (0 when none does: a NaN row).
      I.store(I.add(get(p.argmax), I.shl(get(r), i32(2))), i32(0)),
      set(u, i32(0)),
      whileDo(I.ltS(get(u), get(w)), [
        ifElse(F.eq(F.load(here()), get(top)), [
          I.store(I.add(get(p.argmax), I.shl(get(r), i32(2))), I.shrU(get(u), i32(2))),
          br(2),
        ]),
        increment(u, i32(4)),
      ]),
      set(m, F4.splat(get(top))),
      set(s, f.f4(0)),
      columns(u, get(w), (lanes) => [
        set(e, exp(f, F4.sub(load(lanes, here()), get(m)))),
        store(lanes, here(), get(e)),
        // A single-lane step must add its value once, not four times.
        set(s, F4.add(get(s), lanes === 4 ? get(e) : V.and(get(e), lane0))),
      ]),
      set(total, across(F.add, s)),
      ifElse(nonzero(p.stats), [
        F.store(I.add(get(p.stats), I.shl(get(r), i32(3))), get(top)),
        F.store(I.add(I.add(get(p.stats), I.shl(get(r), i32(3))), i32(4)), get(total)),
      ]),
      set(inv, F4.splat(F.div(F.const(1), get(total)))),
      columns(u, get(w), (lanes) => store(lanes, here(), F4.mul(load(lanes, here()), get(inv)))),
      increment(row, get(w)),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * crossEntropyGrad(probs, targets, rows, width, scale): in place, the gradient of the summed
 * cross entropy times `scale` on the logits: (p - onehot(target)) scale, and 0 on rows whose
 * target is negative (no target).
 */
function crossEntropyGrad(): Fn {
  const f = new Fn('crossEntropyGrad', { x: 'i32', targets: 'i32', rows: 'i32', width: 'i32', scale: 'f32' });
  const p = f.p as Record<'x' | 'targets' | 'rows' | 'width' | 'scale', number>;
  const [r, u, w, row, target] = f.locals('i32', 5);
  const k = f.local('v128');
  const here = (): Bytes => I.add(get(row), get(u));
  f.body = [
    set(w, I.shl(get(p.width), i32(2))),
    set(k, F4.splat(get(p.scale))),
    set(r, i32(0)),
    set(row, get(p.x)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      set(target, I.load(I.add(get(p.targets), I.shl(get(r), i32(2))))),
      ifElse(
        I.ltS(get(target), i32(0)),
        columns(u, get(w), (lanes) => store(lanes, here(), f.f4(0))),
        [
          columns(u, get(w), (lanes) => store(lanes, here(), F4.mul(load(lanes, here()), get(k)))),
          F.store(I.add(get(row), I.shl(get(target), i32(2))), [
            F.load(I.add(get(row), I.shl(get(target), i32(2)))),
            get(p.scale),
            0x93, // f32.sub
          ]),
        ],
      ),
      increment(row, get(w)),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * dropout(src, out, mask, n, threshold, keep, state) -> state: mask[i] = keep, or 0 where the
 * i-th draw of mulberry32 (`Rng` in common/random.ts) from `state` is below `threshold` / 2^32
 * (unsigned); out[i] = src[i] mask[i] (src 0: only the mask). Returns the generator's new state.
 */
function dropout(): Fn {
  const f = new Fn(
    'dropout',
    { src: 'i32', out: 'i32', mask: 'i32', n: 'i32', threshold: 'i32', keep: 'f32', state: 'i32' },
    ['i32'],
  );
  const p = f.p as Record<'src' | 'out' | 'mask' | 'n' | 'threshold' | 'keep' | 'state', number>;
  const [i, t, at] = f.locals('i32', 3);
  const v = f.local('f32');
  const imul = I.mul;
  f.body = [
    set(i, i32(0)),
    whileDo(I.ltS(get(i), get(p.n)), [
      set(p.state, I.add(get(p.state), i32(0x6d2b79f5))),
      set(t, get(p.state)),
      set(t, imul(I.xor(get(t), I.shrU(get(t), i32(15))), I.or(get(t), i32(1)))),
      set(
        t,
        I.xor(get(t), I.add(get(t), imul(I.xor(get(t), I.shrU(get(t), i32(7))), I.or(get(t), i32(61))))),
      ),
      set(t, I.xor(get(t), I.shrU(get(t), i32(14)))),
      set(at, I.shl(get(i), i32(2))),
      ifElse(I.ltU(get(t), get(p.threshold)), set(v, F.const(0)), set(v, get(p.keep))),
      F.store(I.add(get(p.mask), get(at)), get(v)),
      ifElse(
        nonzero(p.src),
        F.store(I.add(get(p.out), get(at)), F.mul(F.load(I.add(get(p.src), get(at))), get(v))),
      ),
      increment(i, i32(1)),
    ]),
    get(p.state),
  ];
  return f;
}

/** mul(a, b, out, n): out[i] = a[i] b[i]. */
function mul(): Fn {
  const f = new Fn('mul', { a: 'i32', b: 'i32', out: 'i32', n: 'i32' });
  const p = f.p as Record<'a' | 'b' | 'out' | 'n', number>;
  const u = f.local('i32');
  f.body = columns(u, I.shl(get(p.n), i32(2)), (lanes) =>
    store(
      lanes,
      I.add(get(p.out), get(u)),
      F4.mul(load(lanes, I.add(get(p.a), get(u))), load(lanes, I.add(get(p.b), get(u)))),
    ),
  );
  return f;
}

/**
 * addRows(src, ids, idStride, rows, width, out): out[ids[r * idStride]] += src[r] for each row
 * (ids 0: out[0] += src[r], the column sums), rows of `width` floats, in row order.
 */
function addRows(): Fn {
  const f = new Fn('addRows', {
    src: 'i32',
    ids: 'i32',
    idStride: 'i32',
    rows: 'i32',
    width: 'i32',
    out: 'i32',
  });
  const p = f.p as Record<'src' | 'ids' | 'idStride' | 'rows' | 'width' | 'out', number>;
  const [r, u, w, sRow, oRow] = f.locals('i32', 5);
  const body = (hasIds: boolean): Bytes => [
    set(r, i32(0)),
    set(sRow, get(p.src)),
    set(oRow, get(p.out)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      hasIds
        ? set(
            oRow,
            I.add(
              get(p.out),
              I.mul(I.load(I.add(get(p.ids), I.shl(I.mul(get(r), get(p.idStride)), i32(2)))), get(w)),
            ),
          )
        : [],
      columns(u, get(w), (lanes) =>
        store(
          lanes,
          I.add(get(oRow), get(u)),
          F4.add(load(lanes, I.add(get(oRow), get(u))), load(lanes, I.add(get(sRow), get(u)))),
        ),
      ),
      increment(sRow, get(w)),
      increment(r, i32(1)),
    ]),
  ];
  f.body = [set(w, I.shl(get(p.width), i32(2))), ifElse(nonzero(p.ids), body(true), body(false))];
  return f;
}

// ---- the transformer's passes ----

/** `value` as a summand of `lanes` lanes: all four, or lane 0 alone (a single-lane step loads a splat). */
const summand = (f: Fn, lanes: Lanes, value: Bytes): Bytes =>
  lanes === 4 ? value : V.and(value, f.v128([...i32Bytes(-1), ...i32Bytes(0), ...i32Bytes(0), ...i32Bytes(0)]));

/** f64 scalars (the sums below are kept in float64, as the TypeScript kernels keep theirs). */
const D = {
  add: bin(0xa0),
  div: bin(0xa3),
  sqrt: (a: Bytes): Bytes => [a, 0x9f],
  const: (x: number): Bytes => [0x44, Array.from(new Uint8Array(new Float64Array([x]).buffer))],
  fromI32: (a: Bytes): Bytes => [a, 0xb7],
  /** To float32, rounded. */
  demote: (a: Bytes): Bytes => [a, 0xb6],
};

/** The high two f32 lanes of `a` moved to the low two (for their promotion to f64). */
const highHalf = (a: Bytes): Bytes => [a, a, simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)];
const promoteLow = simdUn(0x5f);
const addF64x2 = simdBin(0xf0);

/**
 * A float64 sum of f32 lanes in two f64x2 accumulators: a row's sum rounds once at the end, not
 * at every addition, so that it matches the TypeScript kernels' float64 sums closely.
 */
class Sum64 {
  private readonly lo: number;
  private readonly hi: number;
  private readonly tmp: number;

  constructor(private readonly f: Fn) {
    [this.lo, this.hi, this.tmp] = f.locals('v128', 3);
  }

  reset(): Bytes {
    return [set(this.lo, this.f.f4(0)), set(this.hi, this.f.f4(0))];
  }

  add(lanes: Lanes, value: Bytes): Bytes {
    return [
      set(this.tmp, summand(this.f, lanes, value)),
      set(this.lo, addF64x2(get(this.lo), promoteLow(get(this.tmp)))),
      lanes === 4 ? set(this.hi, addF64x2(get(this.hi), promoteLow(highHalf(get(this.tmp))))) : [],
    ];
  }

  /** The sum, an f64. */
  total(): Bytes {
    const lane = (v: number, k: number): Bytes => [get(v), simd(0x21, k)];
    return D.add(D.add(lane(this.lo, 0), lane(this.lo, 1)), D.add(lane(this.hi, 0), lane(this.hi, 1)));
  }
}

/** Runs `body` for byte offsets `u` from `from` to `to` (exclusive): four lanes while four remain, then one. */
function span(u: number, from: Bytes, to: Bytes, body: (lanes: Lanes) => Bytes): Bytes {
  return [
    set(u, from),
    whileDo(I.leS(I.add(get(u), i32(16)), to), [body(4), increment(u, i32(16))]),
    whileDo(I.ltS(get(u), to), [body(1), increment(u, i32(4))]),
  ];
}

/** One draw of mulberry32 (`Rng.nextUint32`): advances the i32 local `state` and leaves the draw in `t`. */
function draw(state: number, t: number): Bytes {
  return [
    set(state, I.add(get(state), i32(0x6d2b79f5))),
    set(t, get(state)),
    set(t, I.mul(I.xor(get(t), I.shrU(get(t), i32(15))), I.or(get(t), i32(1)))),
    set(t, I.xor(get(t), I.add(get(t), I.mul(I.xor(get(t), I.shrU(get(t), i32(7))), I.or(get(t), i32(61)))))),
    set(t, I.xor(get(t), I.shrU(get(t), i32(14)))),
  ];
}

const i32x4Mul = simdBin(0xb5);
const i32x4ShrU = (a: Bytes, bits: number): Bytes => [a, i32(bits), simd(0xad)];
const i32x4LtU = simdBin(0x39);
const v128Xor = simdBin(0x51);

/**
 * Four draws of mulberry32 at once: its state only steps by a constant, so draws k + 1 to k + 4
 * hash states + C, + 2C, + 3C, + 4C in four lanes. Advances the i32 local `state` by four draws
 * and leaves the draws in the v128 local `t`.
 */
function draw4(f: Fn, state: number, t: number): Bytes {
  const C = 0x6d2b79f5;
  const steps = f.v128([...i32Bytes(C), ...i32Bytes(2 * C), ...i32Bytes(3 * C), ...i32Bytes(4 * C)]);
  return [
    set(t, V.i32x4Add([get(state), simd(0x11)], steps)), // i32x4.splat
    set(state, I.add(get(state), i32((4 * C) | 0))),
    set(t, i32x4Mul(v128Xor(get(t), i32x4ShrU(get(t), 15)), V.or(get(t), f.i4(1)))),
    set(t, v128Xor(get(t), V.i32x4Add(get(t), i32x4Mul(v128Xor(get(t), i32x4ShrU(get(t), 7)), V.or(get(t), f.i4(61)))))),
    set(t, v128Xor(get(t), i32x4ShrU(get(t), 14))),
  ];
}

/**
 * The multipliers of elements 4 half .. 4 half + 3 from four draws `t` (element 2k from the low
 * 16 bits of draw k, 2k + 1 from its high bits): 0 below `threshold` (an i32x4 local), else `keep` (an f32x4 local).
 */
function decide4(f: Fn, t: number, half: 0 | 1, threshold: number, keep: number): Bytes {
  const lo = V.and(get(t), f.i4(0xffff));
  const hi = i32x4ShrU(get(t), 16);
  const lanes =
    half === 0 ? [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23] : [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
  return V.select(f.f4(0), get(keep), i32x4LtU([lo, hi, simd(0x0d, ...lanes)], get(threshold)));
}

/** The dropout multiplier of a 16-bit decision: 0 when `bits` (unsigned, below 2^16) is below `threshold`, else `keep`. */
const decide = (bits: Bytes, threshold: number, keep: number): Bytes => [
  F.const(0),
  get(keep),
  I.ltU(bits, get(threshold)),
  0x1b, // select: 0 when below the threshold
];

/**
 * layerNorm(x, rows, width, gamma, beta, xhat, rstd, out): for each row, rstd[r] = 1 / sqrt(var +
 * 1e-5), xhat = (x - mean) rstd, out = xhat gamma + beta.
 */
function layerNorm(): Fn {
  const f = new Fn('layerNorm', {
    x: 'i32',
    rows: 'i32',
    width: 'i32',
    gamma: 'i32',
    beta: 'i32',
    xhat: 'i32',
    rstd: 'i32',
    out: 'i32',
  });
  const p = f.p as Record<'x' | 'rows' | 'width' | 'gamma' | 'beta' | 'xhat' | 'rstd' | 'out', number>;
  const [r, u, w, row] = f.locals('i32', 4);
  const [mean, t, s] = f.locals('v128', 3);
  const acc = new Sum64(f);
  const n = f.local('f64');
  const at = (base: number): Bytes => I.add(I.add(get(base), get(row)), get(u));
  f.body = [
    set(w, I.shl(get(p.width), i32(2))),
    set(n, D.fromI32(get(p.width))),
    set(r, i32(0)),
    set(row, i32(0)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      acc.reset(),
      columns(u, get(w), (lanes) => acc.add(lanes, load(lanes, at(p.x)))),
      set(mean, F4.splat(D.demote(D.div(acc.total(), get(n))))),
      acc.reset(),
      columns(u, get(w), (lanes) => [
        set(t, F4.sub(load(lanes, at(p.x)), get(mean))),
        acc.add(lanes, F4.mul(get(t), get(t))),
      ]),
      set(s, F4.splat(D.demote(D.div(D.const(1), D.sqrt(D.add(D.div(acc.total(), get(n)), D.const(1e-5))))))),
      F.store(I.add(get(p.rstd), I.shl(get(r), i32(2))), F4.lane(get(s), 0)),
      columns(u, get(w), (lanes) => [
        set(t, F4.mul(F4.sub(load(lanes, at(p.x)), get(mean)), get(s))),
        store(lanes, at(p.xhat), get(t)),
        store(
          lanes,
          at(p.out),
          F4.add(F4.mul(get(t), load(lanes, I.add(get(p.gamma), get(u)))), load(lanes, I.add(get(p.beta), get(u)))),
        ),
      ]),
      increment(row, get(w)),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * layerNormBackward(dy, xhat, rstd, rows, width, gamma, dx, dGamma, dBeta): with g = dy gamma,
 * dx += rstd (g - mean(g) - xhat mean(g xhat)) on each row; dGamma += dy xhat and dBeta += dy summed
 * over the rows.
 */
function layerNormBackward(): Fn {
  const f = new Fn('layerNormBackward', {
    dy: 'i32',
    xhat: 'i32',
    rstd: 'i32',
    rows: 'i32',
    width: 'i32',
    gamma: 'i32',
    dx: 'i32',
    dGamma: 'i32',
    dBeta: 'i32',
  });
  const p = f.p as Record<'dy' | 'xhat' | 'rstd' | 'rows' | 'width' | 'gamma' | 'dx' | 'dGamma' | 'dBeta', number>;
  const [r, u, w, row] = f.locals('i32', 4);
  const [dy, xh, g, mG, mGx, s] = f.locals('v128', 6);
  const sG = new Sum64(f);
  const sGx = new Sum64(f);
  const n = f.local('f64');
  const at = (base: number): Bytes => I.add(I.add(get(base), get(row)), get(u));
  const col = (base: number): Bytes => I.add(get(base), get(u));
  f.body = [
    set(w, I.shl(get(p.width), i32(2))),
    set(n, D.fromI32(get(p.width))),
    set(r, i32(0)),
    set(row, i32(0)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      sG.reset(),
      sGx.reset(),
      columns(u, get(w), (lanes) => [
        set(dy, load(lanes, at(p.dy))),
        set(xh, load(lanes, at(p.xhat))),
        set(g, F4.mul(get(dy), load(lanes, col(p.gamma)))),
        sG.add(lanes, get(g)),
        sGx.add(lanes, F4.mul(get(g), get(xh))),
        store(lanes, col(p.dGamma), F4.add(load(lanes, col(p.dGamma)), F4.mul(get(dy), get(xh)))),
        store(lanes, col(p.dBeta), F4.add(load(lanes, col(p.dBeta)), get(dy))),
      ]),
      set(mG, F4.splat(D.demote(D.div(sG.total(), get(n))))),
      set(mGx, F4.splat(D.demote(D.div(sGx.total(), get(n))))),
      set(s, F4.splat(F.load(I.add(get(p.rstd), I.shl(get(r), i32(2)))))),
      columns(u, get(w), (lanes) =>
        store(
          lanes,
          at(p.dx),
          F4.add(
            load(lanes, at(p.dx)),
            F4.mul(
              get(s),
              F4.sub(
                F4.sub(F4.mul(load(lanes, at(p.dy)), load(lanes, col(p.gamma))), get(mG)),
                F4.mul(load(lanes, at(p.xhat)), get(mGx)),
              ),
            ),
          ),
        ),
      ),
      increment(row, get(w)),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * causalSoftmax(s, m, L, scale, mask, out, threshold, keep, state) -> state: one L x L block of
 * attention logits in place: row i becomes softmax over j <= i of (s[i, j] + m[i L + L - 1 - i + j])
 * scale (the relative logits read skewed), and 0 above the diagonal. With `mask` (0: none),
 * inverted-dropout multipliers for j <= i, two 16-bit decisions per mulberry32 draw from `state`
 * (0 where the bits are below `threshold`, else `keep`), row by row, go to `mask` and the
 * probabilities times them to `out` (0 above the diagonal). Returns the generator's new state.
 */
function causalSoftmax(): Fn {
  const f = new Fn(
    'causalSoftmax',
    {
      s: 'i32',
      m: 'i32',
      L: 'i32',
      scale: 'f32',
      mask: 'i32',
      out: 'i32',
      threshold: 'i32',
      keep: 'f32',
      state: 'i32',
    },
    ['i32'],
  );
  const p = f.p as Record<'s' | 'm' | 'L' | 'scale' | 'mask' | 'out' | 'threshold' | 'keep' | 'state', number>;
  const [i, u, lb, row, mrow, wb, t, v0, v1] = f.locals('i32', 9);
  const [mx, e, sc, thr4, keep4, tv, mv] = f.locals('v128', 7);
  const sum = new Sum64(f);
  const [top, m0, m1] = f.locals('f32', 3);
  const here = (): Bytes => I.add(get(row), get(u));
  const maskAt = (off: Bytes): Bytes => I.add(I.sub(get(p.mask), get(p.s)), I.add(get(row), off));
  const outAt = (off: Bytes): Bytes => I.add(I.sub(get(p.out), get(p.s)), I.add(get(row), off));
  f.body = [
    set(lb, I.shl(get(p.L), i32(2))),
    set(sc, F4.splat(get(p.scale))),
    set(thr4, [get(p.threshold), simd(0x11)]),
    set(keep4, F4.splat(get(p.keep))),
    set(i, i32(0)),
    set(row, get(p.s)),
    whileDo(I.ltS(get(i), get(p.L)), [
      set(wb, I.shl(I.add(get(i), i32(1)), i32(2))),
      // The skewed relative row: m + (i L + L - 1 - i) floats = m + row offset + (L - 1 - i) floats.
      set(mrow, I.add(I.add(get(p.m), I.sub(get(row), get(p.s))), I.shl(I.sub(I.sub(get(p.L), i32(1)), get(i)), i32(2)))),
      set(mx, f.f4(-Infinity)),
      columns(u, get(wb), (lanes) => [
        set(e, F4.mul(F4.add(load(lanes, here()), load(lanes, I.add(get(mrow), get(u)))), get(sc))),
        store(lanes, here(), get(e)),
        set(mx, F4.max(get(mx), get(e))),
      ]),
      set(top, F.max(F.max(F4.lane(get(mx), 0), F4.lane(get(mx), 1)), F.max(F4.lane(get(mx), 2), F4.lane(get(mx), 3)))),
      set(mx, F4.splat(get(top))),
      sum.reset(),
      columns(u, get(wb), (lanes) => [
        set(e, exp(f, F4.sub(load(lanes, here()), get(mx)))),
        store(lanes, here(), get(e)),
        sum.add(lanes, get(e)),
      ]),
      set(e, F4.splat(D.demote(D.div(D.const(1), sum.total())))),
      columns(u, get(wb), (lanes) => store(lanes, here(), F4.mul(load(lanes, here()), get(e)))),
      span(u, get(wb), get(lb), (lanes) => store(lanes, here(), f.f4(0))),
      ifElse(nonzero(p.mask), [
        // Eight multipliers from four draws at a time, then the rest pair by pair.
        set(u, i32(0)),
        whileDo(I.leS(I.add(get(u), i32(32)), get(wb)), [
          draw4(f, p.state, tv),
          set(mv, decide4(f, tv, 0, thr4, keep4)),
          store(4, maskAt(get(u)), get(mv)),
          store(4, outAt(get(u)), F4.mul(load(4, here()), get(mv))),
          set(mv, decide4(f, tv, 1, thr4, keep4)),
          store(4, maskAt(I.add(get(u), i32(16))), get(mv)),
          store(4, outAt(I.add(get(u), i32(16))), F4.mul(load(4, I.add(here(), i32(16))), get(mv))),
          increment(u, i32(32)),
        ]),
        whileDo(I.ltS(get(u), get(wb)), [
          draw(p.state, t),
          set(v0, I.and(get(t), i32(0xffff))),
          set(v1, I.shrU(get(t), i32(16))),
          set(m0, decide(get(v0), p.threshold, p.keep)),
          F.store(maskAt(get(u)), get(m0)),
          F.store(outAt(get(u)), F.mul(F.load(here()), get(m0))),
          ifElse(I.ltS(I.add(get(u), i32(4)), get(wb)), [
            set(m1, decide(get(v1), p.threshold, p.keep)),
            F.store(maskAt(I.add(get(u), i32(4))), get(m1)),
            F.store(outAt(I.add(get(u), i32(4))), F.mul(F.load(I.add(here(), i32(4))), get(m1))),
          ]),
          increment(u, i32(8)),
        ]),
        span(u, get(wb), get(lb), (lanes) => store(lanes, outAt(get(u)), f.f4(0))),
      ]),
      increment(row, get(lb)),
      increment(i, i32(1)),
    ]),
    get(p.state),
  ];
  return f;
}

/**
 * causalSoftmaxBackward(p, dz, dm, L, scale, mask): one block: `dz` holds d(loss)/d(probabilities)
 * (of the dropped ones when `mask`, 0: none, which it is first multiplied by); it becomes
 * d(loss)/d(logits) times `scale`, 0 above the diagonal, and the same values go to dm[i L + L - 1 - i + j].
 */
function causalSoftmaxBackward(): Fn {
  const f = new Fn('causalSoftmaxBackward', {
    p: 'i32',
    dz: 'i32',
    dm: 'i32',
    L: 'i32',
    scale: 'f32',
    mask: 'i32',
  });
  const p = f.p as Record<'p' | 'dz' | 'dm' | 'L' | 'scale' | 'mask', number>;
  const [i, u, lb, row, mrow, wb] = f.locals('i32', 6);
  const [dot, sc, g] = f.locals('v128', 3);
  const acc = new Sum64(f);
  const at = (base: number): Bytes => I.add(I.add(get(base), get(row)), get(u));
  f.body = [
    set(lb, I.shl(get(p.L), i32(2))),
    set(sc, F4.splat(get(p.scale))),
    set(i, i32(0)),
    set(row, i32(0)),
    whileDo(I.ltS(get(i), get(p.L)), [
      set(wb, I.shl(I.add(get(i), i32(1)), i32(2))),
      set(mrow, I.add(I.add(get(p.dm), get(row)), I.shl(I.sub(I.sub(get(p.L), i32(1)), get(i)), i32(2)))),
      ifElse(
        nonzero(p.mask),
        columns(u, get(wb), (lanes) => store(lanes, at(p.dz), F4.mul(load(lanes, at(p.dz)), load(lanes, at(p.mask))))),
      ),
      acc.reset(),
      columns(u, get(wb), (lanes) => acc.add(lanes, F4.mul(load(lanes, at(p.p)), load(lanes, at(p.dz))))),
      set(dot, F4.splat(D.demote(acc.total()))),
      columns(u, get(wb), (lanes) => [
        set(g, F4.mul(F4.mul(load(lanes, at(p.p)), F4.sub(load(lanes, at(p.dz)), get(dot))), get(sc))),
        store(lanes, at(p.dz), get(g)),
        store(lanes, I.add(get(mrow), get(u)), get(g)),
      ]),
      span(u, get(wb), get(lb), (lanes) => store(lanes, at(p.dz), f.f4(0))),
      increment(row, get(lb)),
      increment(i, i32(1)),
    ]),
  ];
  return f;
}

/** biasRelu(x, bias, rows, width): x = max(x + bias, 0) on each row, in place (bias 0: none). */
function biasRelu(): Fn {
  const f = new Fn('biasRelu', { x: 'i32', bias: 'i32', rows: 'i32', width: 'i32' });
  const p = f.p as Record<'x' | 'bias' | 'rows' | 'width', number>;
  const [r, u, w, row] = f.locals('i32', 4);
  const here = (): Bytes => I.add(get(row), get(u));
  const body = (hasBias: boolean): Bytes =>
    whileDo(I.ltS(get(r), get(p.rows)), [
      columns(u, get(w), (lanes) =>
        store(
          lanes,
          here(),
          F4.max(hasBias ? F4.add(load(lanes, here()), load(lanes, I.add(get(p.bias), get(u)))) : load(lanes, here()), f.f4(0)),
        ),
      ),
      increment(row, get(w)),
      increment(r, i32(1)),
    ]);
  f.body = [
    set(w, I.shl(get(p.width), i32(2))),
    set(r, i32(0)),
    set(row, get(p.x)),
    ifElse(nonzero(p.bias), body(true), body(false)),
  ];
  return f;
}

/** reluGrad(y, dy, n): dy = 0 where the ReLU's output y is not positive. */
function reluGrad(): Fn {
  const f = new Fn('reluGrad', { y: 'i32', dy: 'i32', n: 'i32' });
  const p = f.p as Record<'y' | 'dy' | 'n', number>;
  const u = f.local('i32');
  f.body = columns(u, I.shl(get(p.n), i32(2)), (lanes) =>
    store(
      lanes,
      I.add(get(p.dy), get(u)),
      V.and(load(lanes, I.add(get(p.dy), get(u))), F4.gt(load(lanes, I.add(get(p.y), get(u))), f.f4(0))),
    ),
  );
  return f;
}

/**
 * residualDropout(y, bias, residual, out, mask, rows, width, threshold, keep, state) -> state:
 * out = residual + (y + bias) mask on each row (bias, residual, mask 0: none). With `mask`, its
 * rows * width multipliers are drawn first: two 16-bit decisions per mulberry32 draw from `state`
 * over the flat index (0 where the bits are below `threshold`, else `keep`). Returns the new state.
 */
function residualDropout(): Fn {
  const f = new Fn(
    'residualDropout',
    {
      y: 'i32',
      bias: 'i32',
      residual: 'i32',
      out: 'i32',
      mask: 'i32',
      rows: 'i32',
      width: 'i32',
      threshold: 'i32',
      keep: 'f32',
      state: 'i32',
    },
    ['i32'],
  );
  const p = f.p as Record<
    'y' | 'bias' | 'residual' | 'out' | 'mask' | 'rows' | 'width' | 'threshold' | 'keep' | 'state',
    number
  >;
  const [r, u, w, row, nb, t] = f.locals('i32', 6);
  const [v, thr4, keep4, tv] = f.locals('v128', 4);
  const at = (base: number): Bytes => I.add(I.add(get(base), get(row)), get(u));
  f.body = [
    set(w, I.shl(get(p.width), i32(2))),
    set(nb, I.mul(get(p.rows), get(w))),
    ifElse(nonzero(p.mask), [
      set(thr4, [get(p.threshold), simd(0x11)]),
      set(keep4, F4.splat(get(p.keep))),
      // Eight multipliers from four draws at a time, then the rest pair by pair.
      set(u, i32(0)),
      whileDo(I.leS(I.add(get(u), i32(32)), get(nb)), [
        draw4(f, p.state, tv),
        store(4, I.add(get(p.mask), get(u)), decide4(f, tv, 0, thr4, keep4)),
        store(4, I.add(I.add(get(p.mask), get(u)), i32(16)), decide4(f, tv, 1, thr4, keep4)),
        increment(u, i32(32)),
      ]),
      whileDo(I.ltS(I.add(get(u), i32(4)), get(nb)), [
        draw(p.state, t),
        F.store(I.add(get(p.mask), get(u)), decide(I.and(get(t), i32(0xffff)), p.threshold, p.keep)),
        F.store(I.add(I.add(get(p.mask), get(u)), i32(4)), decide(I.shrU(get(t), i32(16)), p.threshold, p.keep)),
        increment(u, i32(8)),
      ]),
      ifElse(I.ltS(get(u), get(nb)), [
        draw(p.state, t),
        F.store(I.add(get(p.mask), get(u)), decide(I.and(get(t), i32(0xffff)), p.threshold, p.keep)),
      ]),
    ]),
    set(r, i32(0)),
    set(row, i32(0)),
    whileDo(I.ltS(get(r), get(p.rows)), [
      columns(u, get(w), (lanes) => [
        set(v, load(lanes, at(p.y))),
        ifElse(nonzero(p.bias), set(v, F4.add(get(v), load(lanes, I.add(get(p.bias), get(u)))))),
        ifElse(nonzero(p.mask), set(v, F4.mul(get(v), load(lanes, at(p.mask))))),
        ifElse(nonzero(p.residual), set(v, F4.add(load(lanes, at(p.residual)), get(v)))),
        store(lanes, at(p.out), get(v)),
      ]),
      increment(row, get(w)),
      increment(r, i32(1)),
    ]),
    get(p.state),
  ];
  return f;
}

/**
 * permuteHeads(x, out, n, heads, dh, back): row order [n, heads dh] to head-major [heads, n, dh]
 * (back 0), or head-major back to row order (back 1).
 */
function permuteHeads(): Fn {
  const f = new Fn('permuteHeads', { x: 'i32', out: 'i32', n: 'i32', heads: 'i32', dh: 'i32', back: 'i32' });
  const p = f.p as Record<'x' | 'out' | 'n' | 'heads' | 'dh' | 'back', number>;
  const [r, hi, u, w, rowMajor, headMajor, src, dst] = f.locals('i32', 8);
  f.body = [
    set(w, I.shl(get(p.dh), i32(2))),
    set(r, i32(0)),
    whileDo(I.ltS(get(r), get(p.n)), [
      set(hi, i32(0)),
      whileDo(I.ltS(get(hi), get(p.heads)), [
        set(rowMajor, I.mul(I.add(I.mul(get(r), get(p.heads)), get(hi)), get(w))),
        set(headMajor, I.mul(I.add(I.mul(get(hi), get(p.n)), get(r)), get(w))),
        ifElse(
          nonzero(p.back),
          [set(src, I.add(get(p.x), get(headMajor))), set(dst, I.add(get(p.out), get(rowMajor)))],
          [set(src, I.add(get(p.x), get(rowMajor))), set(dst, I.add(get(p.out), get(headMajor)))],
        ),
        columns(u, get(w), (lanes) => store(lanes, I.add(get(dst), get(u)), load(lanes, I.add(get(src), get(u))))),
        increment(hi, i32(1)),
      ]),
      increment(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * sgemm(a, b, c, m, n, k, lda, accumulate): c[m x n] = a[m x k] · b[k x n] (+ c when `accumulate`),
 * all row-major, a's rows `lda` floats apart (so that a caller can block over k), b and c contiguous. Blocks of 4 rows x 8 columns keep 8 f32x4 accumulators; the
 * rows past a multiple of 4 go one at a time, the columns past a multiple of 8 four, then one, at a time.
 */
function sgemm(): Fn {
  const f = new Fn('sgemm', { a: 'i32', b: 'i32', c: 'i32', m: 'i32', n: 'i32', k: 'i32', lda: 'i32', accumulate: 'i32' });
  const p = f.p as Record<'a' | 'b' | 'c' | 'm' | 'n' | 'k' | 'lda' | 'accumulate', number>;
  const [i, j, q, nb, kb, aRow, bAt, cRow, ap, kb2, kb3, i0, iEnd] = f.locals('i32', 13);
  const acc = f.locals('v128', 8);
  const [b0, b1, av] = f.locals('v128', 3);
  /** One block of `rows` rows (4 or 1) and `vecs` column vectors (2 or 1) of `lanes` lanes. */
  const block = (rows: 4 | 1, vecs: 2 | 1, lanes: Lanes): Bytes => {
    const accAt = (r: number, v: number): number => acc[r * 2 + v]!;
    const cAt = (r: number, v: number): Bytes => I.add(I.add(get(cRow), I.mul(get(nb), i32(r))), I.add(get(j), i32(16 * v)));
    const aAt = (r: number): Bytes => (r === 0 ? get(ap) : I.add(get(ap), get([0, kb, kb2, kb3][r]!)));
    const rs = Array.from({ length: rows }, (_, r) => r);
    const vs = Array.from({ length: vecs }, (_, v) => v);
    return [
      rs.map((r) =>
        vs.map((v) =>
          ifElse(nonzero(p.accumulate), set(accAt(r, v), load(lanes, cAt(r, v))), set(accAt(r, v), f.f4(0))),
        ),
      ),
      set(q, i32(0)),
      set(ap, get(aRow)),
      set(bAt, I.add(get(p.b), get(j))),
      whileDo(I.ltS(get(q), get(p.k)), [
        set(b0, load(lanes, get(bAt))),
        vecs === 2 ? set(b1, load(lanes, I.add(get(bAt), i32(16)))) : [],
        rs.map((r) => [
          set(av, F4.splat(F.load(aAt(r)))),
          set(acc[r * 2]!, F4.add(get(acc[r * 2]!), F4.mul(get(av), get(b0)))),
          vecs === 2 ? set(acc[r * 2 + 1]!, F4.add(get(acc[r * 2 + 1]!), F4.mul(get(av), get(b1)))) : [],
        ]),
        increment(ap, i32(4)),
        increment(bAt, get(nb)),
        increment(q, i32(1)),
      ]),
      rs.map((r) => vs.map((v) => store(lanes, cAt(r, v), get(accAt(r, v))))),
    ];
  };
  // Rows in chunks of 64; in a chunk, column blocks outside and row blocks inside: one block's
  // strip of b (k rows of 8 columns) stays in cache while the chunk's row blocks pass over it, and
  // the chunk's rows of c stay in cache across the strips.
  const rowsOf = (vecs: 2 | 1, lanes: Lanes): Bytes => [
    set(i, get(i0)),
    set(aRow, I.add(get(p.a), I.mul(get(i0), get(kb)))),
    set(cRow, I.add(get(p.c), I.mul(get(i0), get(nb)))),
    whileDo(I.leS(I.add(get(i), i32(4)), get(iEnd)), [
      block(4, vecs, lanes),
      increment(aRow, I.shl(get(kb), i32(2))),
      increment(cRow, I.shl(get(nb), i32(2))),
      increment(i, i32(4)),
    ]),
    whileDo(I.ltS(get(i), get(iEnd)), [
      block(1, vecs, lanes),
      increment(aRow, get(kb)),
      increment(cRow, get(nb)),
      increment(i, i32(1)),
    ]),
  ];
  f.body = [
    set(nb, I.shl(get(p.n), i32(2))),
    set(kb, I.shl(get(p.lda), i32(2))),
    set(kb2, I.shl(get(kb), i32(1))),
    set(kb3, I.add(get(kb2), get(kb))),
    set(i0, i32(0)),
    whileDo(I.ltS(get(i0), get(p.m)), [
      set(iEnd, I.add(get(i0), i32(64))),
      ifElse(I.ltS(get(p.m), get(iEnd)), set(iEnd, get(p.m))),
      set(j, i32(0)),
      whileDo(I.leS(I.add(get(j), i32(32)), get(nb)), [rowsOf(2, 4), increment(j, i32(32))]),
      whileDo(I.leS(I.add(get(j), i32(16)), get(nb)), [rowsOf(1, 4), increment(j, i32(16))]),
      whileDo(I.ltS(get(j), get(nb)), [rowsOf(1, 1), increment(j, i32(4))]),
      set(i0, get(iEnd)),
    ]),
  ];
  return f;
}

/** zero(ptr, bytes): memory.fill with 0 (bulk memory), faster than a fill from JavaScript on shared memory. */
function zero(): Fn {
  const f = new Fn('zero', { ptr: 'i32', bytes: 'i32' });
  f.body = [get(f.p.ptr!), i32(0), get(f.p.bytes!), 0xfc, uleb(11), 0x00];
  return f;
}

/** A kernel `name(x, out, n)`: out[i] = op(x[i]) over f32 lanes (exported for the tests). */
function unaryInto(name: string, op: (f: Fn, x: Bytes) => Bytes): Fn {
  const f = new Fn(name, { x: 'i32', out: 'i32', n: 'i32' });
  const p = f.p as Record<'x' | 'out' | 'n', number>;
  const u = f.local('i32');
  f.body = columns(u, I.shl(get(p.n), i32(2)), (lanes) =>
    store(lanes, I.add(get(p.out), get(u)), op(f, load(lanes, I.add(get(p.x), get(u))))),
  );
  return f;
}

/** The exports of the kernel module (pointers are byte offsets into the memory). */
export interface SimdExports {
  cellForward(
    gates: number,
    hasZ: number,
    table: number,
    ids: number,
    idStride: number,
    bias: number,
    cPrev: number,
    cells: number,
    cellTanh: number,
    hidden: number,
    rows: number,
    units: number,
  ): void;
  cellBackward(
    gates: number,
    cellTanh: number,
    cPrev: number,
    dh: number,
    dhAdd: number,
    dhAddStride: number,
    dcNext: number,
    dz: number,
    dBias: number,
    dTable: number,
    ids: number,
    idStride: number,
    rows: number,
    units: number,
  ): void;
  softmaxRows(x: number, bias: number, rows: number, width: number, argmax: number, stats: number): void;
  crossEntropyGrad(x: number, targets: number, rows: number, width: number, scale: number): void;
  dropout(
    src: number,
    out: number,
    mask: number,
    n: number,
    threshold: number,
    keep: number,
    state: number,
  ): number;
  mul(a: number, b: number, out: number, n: number): void;
  addRows(src: number, ids: number, idStride: number, rows: number, width: number, out: number): void;
  zero(ptr: number, bytes: number): void;
  layerNorm(x: number, rows: number, width: number, gamma: number, beta: number, xhat: number, rstd: number, out: number): void;
  layerNormBackward(
    dy: number,
    xhat: number,
    rstd: number,
    rows: number,
    width: number,
    gamma: number,
    dx: number,
    dGamma: number,
    dBeta: number,
  ): void;
  causalSoftmax(
    s: number,
    m: number,
    L: number,
    scale: number,
    mask: number,
    out: number,
    threshold: number,
    keep: number,
    state: number,
  ): number;
  causalSoftmaxBackward(p: number, dz: number, dm: number, L: number, scale: number, mask: number): void;
  biasRelu(x: number, bias: number, rows: number, width: number): void;
  reluGrad(y: number, dy: number, n: number): void;
  residualDropout(
    y: number,
    bias: number,
    residual: number,
    out: number,
    mask: number,
    rows: number,
    width: number,
    threshold: number,
    keep: number,
    state: number,
  ): number;
  permuteHeads(x: number, out: number, n: number, heads: number, dh: number, back: number): void;
  sgemm(a: number, b: number, c: number, m: number, n: number, k: number, lda: number, accumulate: number): void;
  exp(x: number, out: number, n: number): void;
  tanh(x: number, out: number, n: number): void;
  sigmoid(x: number, out: number, n: number): void;
}

/** The most 64 KiB pages the memory may grow to (4 GiB, all of wasm32). */
export const SIMD_MAX_PAGES = 65536;

let bytes: Uint8Array | undefined;

/** The module's binary (built once). */
export function simdModuleBytes(): Uint8Array {
  bytes ??= assemble(
    [
      cellForward(),
      cellBackward(),
      softmaxRows(),
      crossEntropyGrad(),
      dropout(),
      mul(),
      addRows(),
      zero(),
      layerNorm(),
      layerNormBackward(),
      causalSoftmax(),
      causalSoftmaxBackward(),
      biasRelu(),
      reluGrad(),
      residualDropout(),
      permuteHeads(),
      sgemm(),
      unaryInto('exp', exp),
      unaryInto('tanh', tanh),
      unaryInto('sigmoid', sigmoid),
    ],
    SIMD_MAX_PAGES,
  );
  return bytes;
}
