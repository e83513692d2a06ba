/**
 * The element-wise half of the kernel layer: the fused passes of the LSTM engines (cell forward
 * and backward with the row lookup and the bias gradient folded in, softmax, cross-entropy
 * gradient, dropout, products and row sums) and the arrays they run on, on one of two providers
 * chosen at run time:
 *
 * - `wasm-simd`: the WebAssembly SIMD module of `wasmSimd.ts` (f32x4; Node 20 and Electron run
 *   it). Arrays live in the module's shared linear memory: a workspace hands them out per frame
 *   (one forward pass and its backward pass) and reuses them in the next, so the kernels work in
 *   place and the engine allocates nothing per step. Arrays from elsewhere are copied in and out
 *   around a call (correct, only slower). The memory grows without moving (it is shared), so
 *   arrays handed out earlier stay valid.
 * - `js`: the same passes as plain TypeScript loops over ordinary Float32Arrays (the reference
 *   the wasm kernels are tested against), used where WebAssembly SIMD is unavailable or when
 *   `CADENZA_SIMD=0` or `CADENZA_KERNELS=js` asks for it.
 *
 * The choice (`elementwise().kind` and `.reason`) is recorded beside the matrix provider in the
 * training log and the model's config.
 */
import type { Rng } from '../../common/random';
import type { SimdExports } from './wasmSimd';
import { SIMD_MAX_PAGES, simdModuleBytes } from './wasmSimd';

/** Which element-wise kernels run. */
export type ElementwiseKind = 'wasm-simd' | 'js';

/** Arguments of `cellForward`; rows are `4 * units` floats wide in `gates`, `units` in the rest. */
export interface CellForwardArgs {
  /** [rows, 4 units]: in, the product h·U (+ x·W) when `hasProduct`; out, the activated gates i, f, g, o. */
  gates: Float32Array;
  /** Whether `gates` already holds a product to add to (else it is only written). */
  hasProduct: boolean;
  /** Rows of input weights added by id (an embedding or a one-hot input's kernel), [*, 4 units]. */
  table?: Float32Array;
  /** The id of row r is `ids[r * idStride]` (needed with `table`). */
  ids?: Int32Array;
  idStride?: number;
  /** [4 units], added to every row. */
  bias: Float32Array;
  /** The previous cell [rows, units]; absent means zero. */
  cPrev?: Float32Array;
  cells: Float32Array;
  cellTanh: Float32Array;
  hidden: Float32Array;
  rows: number;
  units: number;
}

/** Arguments of `cellBackward`. */
export interface CellBackwardArgs {
  /** The activated gates of the step, [rows, 4 units]. */
  gates: Float32Array;
  cellTanh: Float32Array;
  /** The previous cell, [rows, units]; absent means zero. */
  cPrev?: Float32Array;
  /** Gradient on the hidden state from the step after, [rows, units]. */
  dh: Float32Array;
  /** A second gradient on the hidden state, row r at `dhAdd[r * dhAddStride]` (the layer above's). */
  dhAdd?: Float32Array;
  dhAddStride?: number;
  /** In: the gradient on the cell from the step after; out: the one on the previous cell. */
  dcNext: Float32Array;
  /** Out: gradients on the gate pre-activations, [rows, 4 units]. */
  dz: Float32Array;
  /** [4 units]: dz's rows are added into it. */
  dBias: Float32Array;
  /** When given, dz's row r is added into row `ids[r * idStride]` of it. */
  dTable?: Float32Array;
  ids?: Int32Array;
  idStride?: number;
  rows: number;
  units: number;
}

/**
 * Element-wise kernels and the arrays they run on, for one engine. Arrays from `f32`/`i32` are
 * valid until the next `frame()`, which may hand their memory out again.
 */
export interface Workspace {
  readonly kind: ElementwiseKind;
  /** The current frame's number. */
  readonly current: number;
  /** Starts a new frame (earlier frames' arrays may be reused) and returns its number. */
  frame(): number;
  /** A Float32Array of `n`, zeroed unless `zeroed` is false (then its contents are arbitrary). */
  f32(n: number, zeroed?: boolean): Float32Array;
  /** An Int32Array of `n` (contents arbitrary). */
  i32(n: number): Int32Array;
  /** A copy of `a` that the kernels read in place. */
  copy<A extends Float32Array | Int32Array>(a: A): A;
  /** Sets every element of `a` to 0 (on the shared memory, a bulk fill: ten times `fill(0)` there). */
  zero(a: Float32Array): void;
  /** The LSTM cell on every row: gates activated in place, cells, their tanh and the hidden states written. */
  cellForward(a: CellForwardArgs): void;
  /** One step back through the cell on every row (see `CellBackwardArgs`). */
  cellBackward(a: CellBackwardArgs): void;
  /**
   * Adds `bias` (when given) to each of `rows` rows of `x` and replaces them by their softmax;
   * `argmax[r]` = the first largest logit's index; with `stats`, stats[2r] = the row's largest
   * logit and stats[2r + 1] = the sum of e^(logit - largest) (for its log-likelihoods).
   */
  softmaxRows(
    x: Float32Array,
    bias: Float32Array | undefined,
    rows: number,
    width: number,
    argmax: Int32Array,
    stats?: Float32Array,
  ): void;
  /** In place on softmax rows: (p - onehot(target)) · scale, and 0 on rows whose target is negative. */
  crossEntropyGrad(
    probs: Float32Array,
    targets: Int32Array,
    rows: number,
    width: number,
    scale: number,
  ): void;
  /**
   * Draws the first `mask.length` inverted-dropout multipliers from `rng` (0 with probability
   * `rate`, else 1 / (1 - rate); the same draws as `rng.next() < rate`, so both providers give
   * the same masks) into `mask`, and out = src · mask when `src` is given.
   */
  dropout(
    src: Float32Array | undefined,
    out: Float32Array | undefined,
    mask: Float32Array,
    rate: number,
    rng: Rng,
  ): void;
  /** out[i] = a[i] · b[i] for i < n (default a.length); `out` may be `a`. */
  mul(a: Float32Array, b: Float32Array, out: Float32Array, n?: number): void;
  /**
   * out[ids[r * idStride]] += src[r] over `rows` rows of `width` floats (a scatter-add), or
   * out += src[r] for every row without `ids` (column sums), in row order.
   */
  addRows(
    src: Float32Array,
    ids: Int32Array | undefined,
    idStride: number,
    rows: number,
    width: number,
    out: Float32Array,
  ): void;
  /** Row-wise layer norm: out = gamma (x - mean) / sqrt(var + 1e-5) + beta; keeps xhat (before gain and bias) and 1/std per row. */
  layerNorm(
    x: Float32Array,
    rows: number,
    width: number,
    gamma: Float32Array,
    beta: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    out: Float32Array,
  ): void;
  /** Backward of `layerNorm`: adds d(loss)/dx into `dx`, d/dgamma and d/dbeta into their gradients. */
  layerNormBackward(
    dy: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    rows: number,
    width: number,
    gamma: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
  ): void;
  /**
   * One L x L block of attention logits `s` (the content logits q_i · k_j) in place: row i becomes
   * softmax over j <= i of (s[i, j] + m[i L + L - 1 - i + j]) * scale (the relative logits Q · E^T,
   * read skewed), and 0 above the diagonal. With `drop`, its multipliers for j <= i (`pairDropout`'s
   * draws, row by row) go to `drop.mask` and the probabilities times them to `drop.out`.
   */
  causalSoftmax(s: Float32Array, m: Float32Array, L: number, scale: number, drop?: BlockDropout): void;
  /**
   * Backward of `causalSoftmax` for one block: `dz` holds d(loss)/d(output) (times `mask` first
   * when given); it becomes d(loss)/d(content logits) (times scale, 0 above the diagonal), and the
   * same values go to the relative logits' gradient `dm` at their skewed places.
   */
  causalSoftmaxBackward(p: Float32Array, dz: Float32Array, dm: Float32Array, L: number, scale: number, mask?: Float32Array): void;
  /** x = max(x + bias, 0) on each of `rows` rows of `width`, in place (no bias: a plain ReLU). */
  biasRelu(x: Float32Array, bias: Float32Array | undefined, rows: number, width: number): void;
  /** dy[i] = 0 for i < n where the ReLU's output y[i] is not positive. */
  reluGrad(y: Float32Array, dy: Float32Array, n: number): void;
  /**
   * out = residual + (y + bias) · mask on each of `rows` rows of `width` (each part optional;
   * `out` may be `y`), the mask drawn first into `drop.mask` by `pairDropout`'s rule.
   */
  residualDropout(
    y: Float32Array,
    bias: Float32Array | undefined,
    residual: Float32Array | undefined,
    out: Float32Array,
    rows: number,
    width: number,
    drop?: Omit<BlockDropout, 'out'>,
  ): void;
  /** Row order [n, heads · dh] to head-major [heads, n, dh], or back when `back`. */
  permuteHeads(x: Float32Array, out: Float32Array, n: number, heads: number, dh: number, back: boolean): void;
}

/**
 * Inverted dropout drawn two decisions per 32-bit draw of `rng` (its low then high 16 bits, the
 * rate rounded to a multiple of 1/65536): a multiplier is 0 where the bits are below
 * round(rate · 65536), else the float32 keep scale 65536 / (65536 - that).
 */
export interface BlockDropout {
  rng: Rng;
  rate: number;
  /** The multipliers drawn. */
  mask: Float32Array;
  /** Where the dropped values go. */
  out: Float32Array;
}

/** The 16-bit threshold and float32 keep scale of `BlockDropout`'s rule for `rate`. */
export function pairDropout(rate: number): { threshold: number; keep: number } {
  const threshold = Math.round(rate * 65536);
  return { threshold, keep: Math.fround(65536 / (65536 - threshold)) };
}

/** Which provider runs the element-wise kernels, and why. */
export interface ElementwiseProvider {
  kind: ElementwiseKind;
  /** One sentence. */
  reason: string;
  /** A new workspace (one per engine: each owns its memory). */
  workspace(): Workspace;
}

function need(a: { length: number } | undefined, n: number, what: string): void {
  if (a && a.length < n) throw new RangeError(`${what} holds ${a.length} values, the kernel needs ${n}`);
}

function checkCellForward(a: CellForwardArgs): void {
  const n = a.rows * a.units;
  need(a.gates, 4 * n, 'gates');
  need(a.bias, 4 * a.units, 'bias');
  need(a.cPrev, n, 'cPrev');
  need(a.cells, n, 'cells');
  need(a.cellTanh, n, 'cellTanh');
  need(a.hidden, n, 'hidden');
  if (a.table) need(a.ids, (a.rows - 1) * (a.idStride ?? 1) + 1, 'ids');
}

function checkCellBackward(a: CellBackwardArgs): void {
  const n = a.rows * a.units;
  need(a.gates, 4 * n, 'gates');
  need(a.cellTanh, n, 'cellTanh');
  need(a.cPrev, n, 'cPrev');
  need(a.dh, n, 'dh');
  if (a.dhAdd) need(a.dhAdd, (a.rows - 1) * (a.dhAddStride ?? a.units) + a.units, 'dhAdd');
  need(a.dcNext, n, 'dcNext');
  need(a.dz, 4 * n, 'dz');
  need(a.dBias, 4 * a.units, 'dBias');
  if (a.dTable) need(a.ids, (a.rows - 1) * (a.idStride ?? 1) + 1, 'ids');
}

// ---- pure TypeScript ----

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function tanh(x: number): number {
  // From exp: faster than Math.tanh in V8, and it saturates correctly at both ends.
  return 1 - 2 / (Math.exp(2 * x) + 1);
}

/** 2^k for k in -200..55, for `expNonPositive`. */
const POW2 = Float64Array.from({ length: 256 }, (_, i) => 2 ** (i - 200));
const LN2_HI = 0.693145751953125;
const LN2_LO = 1.428606820309417e-6;

/**
 * e^x for x <= 0 (a softmax's logits minus their maximum), about 1.5x faster than `Math.exp` here:
 * x = k ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts), e^r by its Taylor series to r^6 (relative
 * error under 2e-7, below float32's resolution), times 2^k from a table; 0 below -87.3, where
 * float32 underflows anyway.
 */
function expNonPositive(x: number): number {
  if (x < -87.3) return 0;
  const k = Math.round(x * Math.LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  return p * POW2[k + 200]!;
}

const LN_EPSILON = 1e-5;

/** The pure-TypeScript kernels (also the reference of the wasm ones). */
export class JsWorkspace implements Workspace {
  readonly kind = 'js';
  current = 0;

  frame(): number {
    return ++this.current;
  }

  f32(n: number): Float32Array {
    return new Float32Array(n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(n);
  }

  copy<A extends Float32Array | Int32Array>(a: A): A {
    return a.slice() as A;
  }

  zero(a: Float32Array): void {
    a.fill(0);
  }

  cellForward(a: CellForwardArgs): void {
    checkCellForward(a);
    const { gates, table, ids, bias, cPrev, cells, cellTanh, hidden, rows, units: H, hasProduct } = a;
    const stride = a.idStride ?? 1;
    for (let r = 0; r < rows; r++) {
      const g0 = r * 4 * H;
      const c0 = r * H;
      const t0 = table ? ids![r * stride]! * 4 * H : 0;
      for (let u = 0; u < H; u++) {
        // The pre-activation summed in float32, as the wasm kernel (and the arrays of a product) do.
        let zi = bias[u]!;
        let zf = bias[H + u]!;
        let zg = bias[2 * H + u]!;
        let zo = bias[3 * H + u]!;
        if (table) {
          zi = Math.fround(table[t0 + u]! + zi);
          zf = Math.fround(table[t0 + H + u]! + zf);
          zg = Math.fround(table[t0 + 2 * H + u]! + zg);
          zo = Math.fround(table[t0 + 3 * H + u]! + zo);
        }
        if (hasProduct) {
          zi = Math.fround(gates[g0 + u]! + zi);
          zf = Math.fround(gates[g0 + H + u]! + zf);
          zg = Math.fround(gates[g0 + 2 * H + u]! + zg);
          zo = Math.fround(gates[g0 + 3 * H + u]! + zo);
        }
        const i = sigmoid(zi);
        const f = sigmoid(zf);
        const g = tanh(zg);
        const o = sigmoid(zo);
        gates[g0 + u] = i;
        gates[g0 + H + u] = f;
        gates[g0 + 2 * H + u] = g;
        gates[g0 + 3 * H + u] = o;
        const c = (cPrev ? f * cPrev[c0 + u]! : 0) + i * g;
        const ct = tanh(c);
        cells[c0 + u] = c;
        cellTanh[c0 + u] = ct;
        hidden[c0 + u] = o * ct;
      }
    }
  }

  cellBackward(a: CellBackwardArgs): void {
    checkCellBackward(a);
    const { gates, cellTanh, cPrev, dh, dhAdd, dcNext, dz, dBias, dTable, ids, rows, units: H } = a;
    const addStride = a.dhAddStride ?? H;
    const idStride = a.idStride ?? 1;
    for (let r = 0; r < rows; r++) {
      const g0 = r * 4 * H;
      const c0 = r * H;
      const a0 = r * addStride;
      const t0 = dTable ? ids![r * idStride]! * 4 * H : 0;
      for (let u = 0; u < H; u++) {
        const i = gates[g0 + u]!;
        const f = gates[g0 + H + u]!;
        const g = gates[g0 + 2 * H + u]!;
        const o = gates[g0 + 3 * H + u]!;
        const ct = cellTanh[c0 + u]!;
        const d = dh[c0 + u]! + (dhAdd ? dhAdd[a0 + u]! : 0);
        const dc = d * o * (1 - ct * ct) + dcNext[c0 + u]!;
        const cp = cPrev ? cPrev[c0 + u]! : 0;
        const dzi = dc * g * i * (1 - i);
        const dzf = dc * cp * f * (1 - f);
        const dzg = dc * i * (1 - g * g);
        const dzo = d * ct * o * (1 - o);
        dz[g0 + u] = dzi;
        dz[g0 + H + u] = dzf;
        dz[g0 + 2 * H + u] = dzg;
        dz[g0 + 3 * H + u] = dzo;
        dcNext[c0 + u] = dc * f;
        // Added as the stored (float32) values, like the wasm kernel.
        dBias[u]! += dz[g0 + u]!;
        dBias[H + u]! += dz[g0 + H + u]!;
        dBias[2 * H + u]! += dz[g0 + 2 * H + u]!;
        dBias[3 * H + u]! += dz[g0 + 3 * H + u]!;
        if (dTable) {
          dTable[t0 + u]! += dz[g0 + u]!;
          dTable[t0 + H + u]! += dz[g0 + H + u]!;
          dTable[t0 + 2 * H + u]! += dz[g0 + 2 * H + u]!;
          dTable[t0 + 3 * H + u]! += dz[g0 + 3 * H + u]!;
        }
      }
    }
  }

  softmaxRows(
    x: Float32Array,
    bias: Float32Array | undefined,
    rows: number,
    width: number,
    argmax: Int32Array,
    stats?: Float32Array,
  ): void {
    need(x, rows * width, 'x');
    need(argmax, rows, 'argmax');
    need(stats, stats ? 2 * rows : 0, 'stats');
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      let max = -Infinity;
      let arg = 0;
      for (let v = 0; v < width; v++) {
        if (bias) x[o + v]! += bias[v]!;
        if (x[o + v]! > max) {
          max = x[o + v]!;
          arg = v;
        }
      }
      let sum = 0;
      for (let v = 0; v < width; v++) {
        const e = Math.exp(x[o + v]! - max);
        x[o + v] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let v = 0; v < width; v++) x[o + v]! *= inv;
      argmax[r] = arg;
      if (stats) {
        stats[2 * r] = max;
        stats[2 * r + 1] = sum;
      }
    }
  }

  crossEntropyGrad(
    probs: Float32Array,
    targets: Int32Array,
    rows: number,
    width: number,
    scale: number,
  ): void {
    need(probs, rows * width, 'probs');
    need(targets, rows, 'targets');
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      const target = targets[r]!;
      if (target < 0) {
        probs.fill(0, o, o + width);
        continue;
      }
      for (let v = 0; v < width; v++) probs[o + v]! *= scale;
      probs[o + target]! -= scale;
    }
  }

  dropout(
    src: Float32Array | undefined,
    out: Float32Array | undefined,
    mask: Float32Array,
    rate: number,
    rng: Rng,
  ): void {
    const n = mask.length;
    need(src, n, 'src');
    need(out, src ? n : 0, 'out');
    const keep = 1 / (1 - rate);
    for (let i = 0; i < n; i++) mask[i] = rng.next() < rate ? 0 : keep;
    if (src) for (let i = 0; i < n; i++) out![i] = src[i]! * mask[i]!;
  }

  mul(a: Float32Array, b: Float32Array, out: Float32Array, n = a.length): void {
    need(b, n, 'b');
    need(out, n, 'out');
    for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
  }

  addRows(
    src: Float32Array,
    ids: Int32Array | undefined,
    idStride: number,
    rows: number,
    width: number,
    out: Float32Array,
  ): void {
    need(src, rows * width, 'src');
    for (let r = 0; r < rows; r++) {
      const s = r * width;
      const o = ids ? ids[r * idStride]! * width : 0;
      for (let k = 0; k < width; k++) out[o + k]! += src[s + k]!;
    }
  }

  layerNorm(
    x: Float32Array,
    rows: number,
    width: number,
    gamma: Float32Array,
    beta: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    out: Float32Array,
  ): void {
    const d = width;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let mean = 0;
      for (let c = 0; c < d; c++) mean += x[o + c]!;
      mean /= d;
      let variance = 0;
      for (let c = 0; c < d; c++) {
        const t = x[o + c]! - mean;
        variance += t * t;
      }
      const s = 1 / Math.sqrt(variance / d + LN_EPSILON);
      rstd[r] = s;
      for (let c = 0; c < d; c++) {
        const h = (x[o + c]! - mean) * s;
        xhat[o + c] = h;
        out[o + c] = h * gamma[c]! + beta[c]!;
      }
    }
  }

  layerNormBackward(
    dy: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    rows: number,
    width: number,
    gamma: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
  ): void {
    const d = width;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let meanG = 0;
      let meanGx = 0;
      for (let c = 0; c < d; c++) {
        const g = dy[o + c]! * gamma[c]!;
        meanG += g;
        meanGx += g * xhat[o + c]!;
        dGamma[c]! += dy[o + c]! * xhat[o + c]!;
        dBeta[c]! += dy[o + c]!;
      }
      meanG /= d;
      meanGx /= d;
      const s = rstd[r]!;
      for (let c = 0; c < d; c++) dx[o + c]! += s * (dy[o + c]! * gamma[c]! - meanG - xhat[o + c]! * meanGx);
    }
  }

  causalSoftmax(sb: Float32Array, m: Float32Array, L: number, scale: number, drop?: BlockDropout): void {
    need(sb, L * L, 's');
    need(m, L * L, 'm');
    const { threshold, keep } = pairDropout(drop?.rate ?? 0);
    for (let i = 0; i < L; i++) {
      const row = i * L;
      const mrow = row + L - 1 - i;
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        const z = (sb[row + j]! + m[mrow + j]!) * scale;
        sb[row + j] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        const e = expNonPositive(sb[row + j]! - max);
        sb[row + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j <= i; j++) sb[row + j]! *= inv;
      for (let j = i + 1; j < L; j++) sb[row + j] = 0;
      if (drop) {
        const { rng, mask, out } = drop;
        for (let j = 0; j <= i; j += 2) {
          const r = rng.nextUint32();
          const m0 = (r & 0xffff) < threshold ? 0 : keep;
          mask[row + j] = m0;
          out[row + j] = sb[row + j]! * m0;
          if (j + 1 <= i) {
            const m1 = r >>> 16 < threshold ? 0 : keep;
            mask[row + j + 1] = m1;
            out[row + j + 1] = sb[row + j + 1]! * m1;
          }
        }
        for (let j = i + 1; j < L; j++) out[row + j] = 0;
      }
    }
  }

  causalSoftmaxBackward(p: Float32Array, dz: Float32Array, dm: Float32Array, L: number, scale: number, mask?: Float32Array): void {
    for (let i = 0; i < L; i++) {
      const row = i * L;
      if (mask) for (let j = 0; j <= i; j++) dz[row + j]! *= mask[row + j]!;
      let dot = 0;
      for (let j = 0; j <= i; j++) dot += p[row + j]! * dz[row + j]!;
      const mrow = row + L - 1 - i;
      for (let j = 0; j <= i; j++) {
        const grad = p[row + j]! * (dz[row + j]! - dot) * scale;
        dz[row + j] = grad;
        dm[mrow + j] = grad;
      }
      for (let j = i + 1; j < L; j++) dz[row + j] = 0;
    }
  }

  biasRelu(x: Float32Array, bias: Float32Array | undefined, rows: number, width: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      for (let c = 0; c < width; c++) {
        // Rounded to float32 before the sign test, as the stored sum would be.
        const v = bias ? Math.fround(x[o + c]! + bias[c]!) : x[o + c]!;
        x[o + c] = v > 0 ? v : 0;
      }
    }
  }

  reluGrad(y: Float32Array, dy: Float32Array, n: number): void {
    for (let e = 0; e < n; e++) if (!(y[e]! > 0)) dy[e] = 0;
  }

  residualDropout(
    y: Float32Array,
    bias: Float32Array | undefined,
    residual: Float32Array | undefined,
    out: Float32Array,
    rows: number,
    width: number,
    drop?: Omit<BlockDropout, 'out'>,
  ): void {
    const size = rows * width;
    if (drop) {
      const { threshold, keep } = pairDropout(drop.rate);
      const { rng, mask } = drop;
      let i = 0;
      for (; i + 1 < size; i += 2) {
        const r = rng.nextUint32();
        mask[i] = (r & 0xffff) < threshold ? 0 : keep;
        mask[i + 1] = r >>> 16 < threshold ? 0 : keep;
      }
      if (i < size) mask[i] = (rng.nextUint32() & 0xffff) < threshold ? 0 : keep;
    }
    const mask = drop?.mask;
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      for (let c = 0; c < width; c++) {
        // Each step rounded to float32, as the wasm kernel's lanes are.
        let v = y[o + c]!;
        if (bias) v = Math.fround(v + bias[c]!);
        if (mask) v = Math.fround(v * mask[o + c]!);
        if (residual) v = residual[o + c]! + v;
        out[o + c] = v;
      }
    }
  }

  permuteHeads(x: Float32Array, out: Float32Array, n: number, heads: number, dh: number, back: boolean): void {
    const d = heads * dh;
    for (let r = 0; r < n; r++)
      for (let hi = 0; hi < heads; hi++) {
        const rowMajor = r * d + hi * dh;
        const headMajor = (hi * n + r) * dh;
        if (back) for (let c = 0; c < dh; c++) out[rowMajor + c] = x[headMajor + c]!;
        else for (let c = 0; c < dh; c++) out[headMajor + c] = x[rowMajor + c]!;
      }
  }
}

// ---- WebAssembly SIMD ----

const PAGE = 65536;
/** The inner-dimension slice of the SIMD sgemm (measured: 256 took the seed BiLSTM's step from 4.4-4.6 s to 3.4 s). */
const GEMM_KC = 256;
/** Arrays start here, so that offset 0 can mean "absent" to the kernels. */
const BASE = 64;

let compiled: WebAssembly.Module | undefined;

/** The kernels on one shared wasm memory, with a bump allocator reset per frame. */
export class SimdWorkspace implements Workspace {
  readonly kind = 'wasm-simd';
  current = 0;
  private readonly memory: WebAssembly.Memory;
  private readonly k: SimdExports;
  /** Every ArrayBuffer object the memory has had (a grow gives a new one over the same bytes). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private buffer: ArrayBufferLike;
  private top = BASE;
  /** Copies of outside arrays made for the call in progress, to copy back after it. */
  private readonly pending: [Float32Array | Int32Array, Float32Array | Int32Array][] = [];

  constructor() {
    compiled ??= new WebAssembly.Module(simdModuleBytes() as BufferSource);
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: SIMD_MAX_PAGES, shared: true });
    this.k = new WebAssembly.Instance(compiled, { env: { memory: this.memory } })
      .exports as unknown as SimdExports;
    this.buffer = this.memory.buffer;
    this.buffers.add(this.buffer);
  }

  frame(): number {
    this.top = BASE;
    return ++this.current;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their offset, growing the memory when needed. */
  private alloc(bytes: number): number {
    const at = this.top;
    const end = at + Math.ceil(bytes / 16) * 16;
    if (end > this.buffer.byteLength) {
      const have = this.buffer.byteLength / PAGE;
      // Grow by at least an eighth, so that a frame that creeps up does not grow on every call.
      const pages = Math.max(Math.ceil((end - this.buffer.byteLength) / PAGE), Math.ceil(have / 8));
      try {
        this.memory.grow(Math.min(pages, SIMD_MAX_PAGES - have));
      } catch (error) {
        throw new RangeError(
          `The WebAssembly kernels' memory cannot grow to ${(end / 2 ** 20).toFixed(0)} MiB (${(error as Error).message}); set CADENZA_SIMD=0 to use the TypeScript kernels.`,
        );
      }
      this.buffer = this.memory.buffer;
      this.buffers.add(this.buffer);
      if (end > this.buffer.byteLength)
        throw new RangeError(
          `The WebAssembly kernels' memory cannot hold ${(end / 2 ** 20).toFixed(0)} MiB.`,
        );
    }
    this.top = end;
    return at;
  }

  f32(n: number, zeroed = true): Float32Array {
    const at = this.alloc(n * 4);
    if (zeroed) this.k.zero(at, n * 4);
    return new Float32Array(this.buffer, at, n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(this.buffer, this.alloc(n * 4), n);
  }

  copy<A extends Float32Array | Int32Array>(a: A): A {
    const out = (a instanceof Float32Array ? this.f32(a.length, false) : this.i32(a.length)) as A;
    out.set(a);
    return out;
  }

  zero(a: Float32Array): void {
    if (this.buffers.has(a.buffer)) this.k.zero(a.byteOffset, a.byteLength);
    else a.fill(0);
  }

  /** The byte offset of `a` in the memory, copying it in (and, with `writes`, back after the call) when it lives elsewhere. */
  private at(a: Float32Array | Int32Array | undefined, writes = false): number {
    if (!a) return 0;
    if (this.buffers.has(a.buffer)) return a.byteOffset;
    const inside = this.copy(a);
    if (writes) this.pending.push([a, inside]);
    return inside.byteOffset;
  }

  /** Runs one kernel call: copies back what `at` copied in, and frees the copies. */
  private run<T>(call: () => T): T {
    const mark = this.top;
    try {
      const result = call();
      for (const [outside, inside] of this.pending) outside.set(inside);
      return result;
    } finally {
      this.pending.length = 0;
      this.top = mark;
    }
  }

  cellForward(a: CellForwardArgs): void {
    checkCellForward(a);
    this.run(() =>
      this.k.cellForward(
        this.at(a.gates, true),
        a.hasProduct ? 1 : 0,
        this.at(a.table),
        a.table ? this.at(a.ids) : 0,
        a.idStride ?? 1,
        this.at(a.bias),
        this.at(a.cPrev),
        this.at(a.cells, true),
        this.at(a.cellTanh, true),
        this.at(a.hidden, true),
        a.rows,
        a.units,
      ),
    );
  }

  cellBackward(a: CellBackwardArgs): void {
    checkCellBackward(a);
    this.run(() =>
      this.k.cellBackward(
        this.at(a.gates),
        this.at(a.cellTanh),
        this.at(a.cPrev),
        this.at(a.dh),
        this.at(a.dhAdd),
        a.dhAddStride ?? a.units,
        this.at(a.dcNext, true),
        this.at(a.dz, true),
        this.at(a.dBias, true),
        this.at(a.dTable, true),
        a.dTable ? this.at(a.ids) : 0,
        a.idStride ?? 1,
        a.rows,
        a.units,
      ),
    );
  }

  softmaxRows(
    x: Float32Array,
    bias: Float32Array | undefined,
    rows: number,
    width: number,
    argmax: Int32Array,
    stats?: Float32Array,
  ): void {
    need(x, rows * width, 'x');
    need(argmax, rows, 'argmax');
    need(bias, bias ? width : 0, 'bias');
    need(stats, stats ? 2 * rows : 0, 'stats');
    this.run(() =>
      this.k.softmaxRows(this.at(x, true), this.at(bias), rows, width, this.at(argmax, true), this.at(stats, true)),
    );
  }

  crossEntropyGrad(
    probs: Float32Array,
    targets: Int32Array,
    rows: number,
    width: number,
    scale: number,
  ): void {
    need(probs, rows * width, 'probs');
    need(targets, rows, 'targets');
    this.run(() => this.k.crossEntropyGrad(this.at(probs, true), this.at(targets), rows, width, scale));
  }

  dropout(
    src: Float32Array | undefined,
    out: Float32Array | undefined,
    mask: Float32Array,
    rate: number,
    rng: Rng,
  ): void {
    const n = mask.length;
    need(src, n, 'src');
    need(out, src ? n : 0, 'out');
    // rng.next() < rate  <=>  u / 2^32 < rate  <=>  u < ceil(rate 2^32), for the generator's u32 draw u.
    const threshold = Math.min(Math.ceil(rate * 4294967296), 4294967295) | 0;
    const state = this.run(() =>
      this.k.dropout(
        src ? this.at(src) : 0,
        src ? this.at(out, true) : 0,
        this.at(mask, true),
        n,
        threshold,
        1 / (1 - rate),
        rng.getState() | 0,
      ),
    );
    rng.setState(state >>> 0);
  }

  mul(a: Float32Array, b: Float32Array, out: Float32Array, n = a.length): void {
    need(a, n, 'a');
    need(b, n, 'b');
    need(out, n, 'out');
    this.run(() => this.k.mul(this.at(a), this.at(b), this.at(out, true), n));
  }

  addRows(
    src: Float32Array,
    ids: Int32Array | undefined,
    idStride: number,
    rows: number,
    width: number,
    out: Float32Array,
  ): void {
    need(src, rows * width, 'src');
    if (ids) need(ids, (rows - 1) * idStride + 1, 'ids');
    else need(out, width, 'out');
    this.run(() => this.k.addRows(this.at(src), this.at(ids), idStride, rows, width, this.at(out, true)));
  }

  layerNorm(
    x: Float32Array,
    rows: number,
    width: number,
    gamma: Float32Array,
    beta: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    out: Float32Array,
  ): void {
    const n = rows * width;
    need(x, n, 'x');
    need(gamma, width, 'gamma');
    need(beta, width, 'beta');
    need(xhat, n, 'xhat');
    need(rstd, rows, 'rstd');
    need(out, n, 'out');
    this.run(() =>
      this.k.layerNorm(
        this.at(x),
        rows,
        width,
        this.at(gamma),
        this.at(beta),
        this.at(xhat, true),
        this.at(rstd, true),
        this.at(out, true),
      ),
    );
  }

  layerNormBackward(
    dy: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    rows: number,
    width: number,
    gamma: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
  ): void {
    const n = rows * width;
    need(dy, n, 'dy');
    need(xhat, n, 'xhat');
    need(rstd, rows, 'rstd');
    need(gamma, width, 'gamma');
    need(dx, n, 'dx');
    need(dGamma, width, 'dGamma');
    need(dBeta, width, 'dBeta');
    this.run(() =>
      this.k.layerNormBackward(
        this.at(dy),
        this.at(xhat),
        this.at(rstd),
        rows,
        width,
        this.at(gamma),
        this.at(dx, true),
        this.at(dGamma, true),
        this.at(dBeta, true),
      ),
    );
  }

  causalSoftmax(s: Float32Array, m: Float32Array, L: number, scale: number, drop?: BlockDropout): void {
    need(s, L * L, 's');
    need(m, L * L, 'm');
    if (drop) {
      need(drop.mask, L * L, 'mask');
      need(drop.out, L * L, 'out');
    }
    const { threshold, keep } = pairDropout(drop?.rate ?? 0);
    const state = this.run(() =>
      this.k.causalSoftmax(
        this.at(s, true),
        this.at(m),
        L,
        scale,
        drop ? this.at(drop.mask, true) : 0,
        drop ? this.at(drop.out, true) : 0,
        threshold,
        keep,
        drop ? drop.rng.getState() | 0 : 0,
      ),
    );
    if (drop) drop.rng.setState(state >>> 0);
  }

  causalSoftmaxBackward(p: Float32Array, dz: Float32Array, dm: Float32Array, L: number, scale: number, mask?: Float32Array): void {
    need(p, L * L, 'p');
    need(dz, L * L, 'dz');
    need(dm, L * L, 'dm');
    need(mask, mask ? L * L : 0, 'mask');
    this.run(() =>
      this.k.causalSoftmaxBackward(this.at(p), this.at(dz, true), this.at(dm, true), L, scale, this.at(mask)),
    );
  }

  biasRelu(x: Float32Array, bias: Float32Array | undefined, rows: number, width: number): void {
    need(x, rows * width, 'x');
    need(bias, bias ? width : 0, 'bias');
    this.run(() => this.k.biasRelu(this.at(x, true), this.at(bias), rows, width));
  }

  reluGrad(y: Float32Array, dy: Float32Array, n: number): void {
    need(y, n, 'y');
    need(dy, n, 'dy');
    this.run(() => this.k.reluGrad(this.at(y), this.at(dy, true), n));
  }

  residualDropout(
    y: Float32Array,
    bias: Float32Array | undefined,
    residual: Float32Array | undefined,
    out: Float32Array,
    rows: number,
    width: number,
    drop?: Omit<BlockDropout, 'out'>,
  ): void {
    const n = rows * width;
    need(y, n, 'y');
    need(bias, bias ? width : 0, 'bias');
    need(residual, residual ? n : 0, 'residual');
    need(out, n, 'out');
    if (drop) need(drop.mask, n, 'mask');
    const { threshold, keep } = pairDropout(drop?.rate ?? 0);
    const state = this.run(() => {
      // In place (out = y): one pointer for both, so that an outside array is copied in once.
      const yAt = this.at(y, y === out);
      return this.k.residualDropout(
        yAt,
        this.at(bias),
        this.at(residual),
        y === out ? yAt : this.at(out, true),
        drop ? this.at(drop.mask, true) : 0,
        rows,
        width,
        threshold,
        keep,
        drop ? drop.rng.getState() | 0 : 0,
      );
    });
    if (drop) drop.rng.setState(state >>> 0);
  }

  permuteHeads(x: Float32Array, out: Float32Array, n: number, heads: number, dh: number, back: boolean): void {
    need(x, n * heads * dh, 'x');
    need(out, n * heads * dh, 'out');
    this.run(() => this.k.permuteHeads(this.at(x), this.at(out, true), n, heads, dh, back ? 1 : 0));
  }

  /**
   * out[m x n] = op(a) · op(b) (+ out when `accumulate`) on the module's sgemm, with the kernel
   * layer's `gemm` contract (op(a) is stored k x m when `transA`, op(b) n x k when `transB`):
   * operands from outside the memory are copied in, transposed ones transposed in, for the call.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    accumulate = false,
  ): void {
    need(a, m * k, 'a');
    need(b, k * n, 'b');
    need(out, m * n, 'out');
    this.run(() => {
      const ap = transA ? this.transposed(a, k, m) : this.at(a);
      const bp = transB ? this.transposed(b, n, k) : this.at(b);
      const cp = this.at(out, true);
      // In slices of GEMM_KC of the inner dimension: a slice of a's rows and of b stay in cache.
      for (let q = 0; q < k || q === 0; q += GEMM_KC)
        this.k.sgemm(ap + 4 * q, bp + 4 * q * n, cp, m, n, Math.min(GEMM_KC, k - q), k, accumulate || q > 0 ? 1 : 0);
    });
  }

  /** The offset of a copy of `x` (stored rows x cols) transposed into the memory, for the call in progress. */
  private transposed(x: Float32Array, rows: number, cols: number): number {
    const t = this.f32(rows * cols, false);
    transposeInto(x, rows, cols, t);
    return t.byteOffset;
  }

  /** @internal e^x, tanh x or sigmoid x of every element (the kernels' own, for tests). */
  activation(name: 'exp' | 'tanh' | 'sigmoid', x: Float32Array): Float32Array {
    const out = new Float32Array(x.length);
    this.run(() => this.k[name](this.at(x), this.at(out, true), x.length));
    return out;
  }
}

/** out[cols x rows] = the transpose of x[rows x cols], in blocks so that both sides stay in cache. */
export function transposeInto(x: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  const BS = 32;
  for (let r0 = 0; r0 < rows; r0 += BS) {
    const r1 = Math.min(rows, r0 + BS);
    for (let c0 = 0; c0 < cols; c0 += BS) {
      const c1 = Math.min(cols, c0 + BS);
      for (let r = r0; r < r1; r++) {
        const ro = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = x[ro + c]!;
      }
    }
  }
  return out;
}

/** Why WebAssembly SIMD cannot run here, or undefined when it can. */
function simdUnavailable(): string | undefined {
  if (typeof WebAssembly !== 'object') return 'this runtime has no WebAssembly';
  try {
    if (!WebAssembly.validate(simdModuleBytes() as BufferSource))
      return 'this runtime does not support WebAssembly SIMD';
    const w = new SimdWorkspace();
    w.frame();
    const x = w.f32(1);
    const y = w.f32(1);
    w.mul(x, x, y);
    return undefined;
  } catch (error) {
    return `the WebAssembly SIMD kernels did not start (${(error as Error).message.split('\n')[0]})`;
  }
}

/**
 * The element-wise provider for the environment `env`: WebAssembly SIMD where it runs, unless
 * `CADENZA_SIMD=0` or `CADENZA_KERNELS=js`; else TypeScript, with the reason.
 */
export function chooseElementwise(env: Record<string, string | undefined>): ElementwiseProvider {
  const off =
    env.CADENZA_SIMD === '0'
      ? 'CADENZA_SIMD=0'
      : env.CADENZA_KERNELS === 'js'
        ? 'CADENZA_KERNELS=js'
        : undefined;
  const why = off ? undefined : simdUnavailable();
  if (off || why)
    return {
      kind: 'js',
      reason: off
        ? `TypeScript element-wise kernels, as ${off} asks`
        : `TypeScript element-wise kernels, since ${why}`,
      workspace: () => new JsWorkspace(),
    };
  return {
    kind: 'wasm-simd',
    reason: 'WebAssembly SIMD element-wise kernels (f32x4, in place in their own memory)',
    workspace: () => new SimdWorkspace(),
  };
}

let chosen: ElementwiseProvider | undefined;

/** The element-wise provider of this process (`chooseElementwise(process.env)`, chosen once). */
export function elementwise(): ElementwiseProvider {
  chosen ??= chooseElementwise(process.env);
  return chosen;
}
