/**
 * The Music Transformer's forward and backward passes written by hand over Float32Arrays, with
 * every matrix product on the kernel layer (`tensor/kernels.ts`: the system BLAS, or a TF.js
 * backend), like the BiLSTM engine. The maths is the contract in
 * src/core/common/models/transformer.ts and the TF.js model in `model.ts`, which stays as the
 * reference the tests check these gradients against.
 *
 * Layout: activations are row-major [N = batch * L, width] with row b * L + i; for attention the
 * queries, keys and values are copied into head-major order [heads, batch, L, dHead], so one head's
 * rows for the whole batch are contiguous (the relative logits are one product per head) and one
 * (head, window) block is an L x dHead matrix (the content logits and the context are one product
 * per block). Relative logits use the skewing identity: logit_rel[i, j] = q_i · E_r[S - 1 - (i - j)]
 * for j <= i, where S is the model's context, read straight from the product Q · E_r^T.
 *
 * Element-wise passes (layer norm, softmax, ReLU, dropout) are plain TypeScript loops; their
 * working arrays are kept between steps of the same batch size.
 */
import { ModelError } from '../../../common/errors';
import type { Rng } from '../../../common/random';
import type { TransformerArchitecture } from '../../../common/models/transformer';
import type { Kernels } from '../../tensor/kernels';
import { activeKernels } from '../../tensor/kernels';

const LN_EPSILON = 1e-5;

/** Named weights in `transformerWeightShapes` layout (read in place; an optimizer may update them between calls). */
export type TransformerWeights = Map<string, Float32Array>;

/** What one layer's forward pass keeps for the backward pass. */
interface LayerCache {
  /** The block's input, [N, d]. */
  x: Float32Array;
  /** Normalised input (before gain and bias) and 1/std per row, for both norms. */
  xhat1: Float32Array;
  rstd1: Float32Array;
  n1: Float32Array;
  /** Head-major queries, keys, values: [h, B, L, dh]. */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** Attention probabilities [h, B, L, L] (zero above the diagonal), and after dropout. */
  p: Float32Array;
  pDrop: Float32Array;
  /** Dropout multipliers on the probabilities (undefined without dropout). */
  pMask?: Float32Array;
  /** The heads' context back in row order, [N, d]. */
  ctx: Float32Array;
  attnMask?: Float32Array;
  /** After the attention residual, [N, d]. */
  x1: Float32Array;
  xhat2: Float32Array;
  rstd2: Float32Array;
  n2: Float32Array;
  /** The feed-forward inner activation after its ReLU, [N, dFF] (computed in place: `f1` is the same array). */
  f1: Float32Array;
  a1: Float32Array;
  ffMask?: Float32Array;
}

/** One forward pass, as the backward pass and the caller need it. Valid until the engine's next forward pass. */
export interface TransformerForward {
  batch: number;
  length: number;
  /** Mean negative log-likelihood per target, in nats. */
  loss: number;
  /** Targets whose token is the most probable one. */
  correct: number;
  /** @internal */
  inputs: Int32Array;
  /** @internal */
  targets: Int32Array;
  /** @internal inverted-dropout multipliers on the embedding. */
  embMask?: Float32Array;
  /** @internal */
  layers: LayerCache[];
  /** @internal the final block's output, its norm and 1/std. */
  xf: Float32Array;
  xhatf: Float32Array;
  rstdf: Float32Array;
  nf: Float32Array;
  /** @internal softmax of the logits, [N, V]. */
  probs: Float32Array;
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

/** Row-wise layer norm: out = gamma * (x - mean) / sqrt(var + eps) + beta; keeps xhat and 1/std. */
function layerNorm(
  x: Float32Array,
  n: number,
  d: number,
  gamma: Float32Array,
  beta: Float32Array,
  xhat: Float32Array,
  rstd: Float32Array,
  out: Float32Array,
): void {
  for (let r = 0; r < n; r++) {
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

/** Backward of `layerNorm`: adds d(loss)/dx into `dx`, d/dgamma and d/dbeta into their gradients. */
function layerNormBackward(
  dy: Float32Array,
  xhat: Float32Array,
  rstd: Float32Array,
  n: number,
  d: number,
  gamma: Float32Array,
  dx: Float32Array,
  dGamma: Float32Array,
  dBeta: Float32Array,
): void {
  for (let r = 0; r < n; r++) {
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

/** Dropout on attention probabilities: the rng, the rate as a 16-bit threshold, the keep scale, and where the multipliers and the dropped probabilities go. */
interface AttentionDropout {
  rng: Rng;
  threshold: number;
  keep: number;
  mask: Float32Array;
  out: Float32Array;
}

/**
 * One (head, window) block's causal softmax, in place: row i of `sb` (the content logits q_i · k_j)
 * becomes softmax over j <= i of (sb[i, j] + rel[i, j]) * scale, and zero above the diagonal. The
 * relative logits of row i are `m[mBase + i * L + (L - 1 - i) + j]` (the product Q · E^T, read skewed).
 * With `drop`, inverted-dropout multipliers are drawn for the entries on and below the diagonal (two
 * 16-bit decisions per 32-bit draw, row by row) into `drop.mask` from `maskBase`, and `drop.out`
 * gets the probabilities times them.
 */
function causalSoftmax(sb: Float32Array, m: Float32Array, mBase: number, L: number, scale: number, drop?: AttentionDropout, maskBase = 0): void {
  for (let i = 0; i < L; i++) {
    const row = i * L;
    const mrow = mBase + row + L - 1 - i;
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
      const { rng, threshold, keep, mask, out } = drop;
      const mr = maskBase + row;
      for (let j = 0; j <= i; j += 2) {
        const r = rng.nextUint32();
        const m0 = (r & 0xffff) < threshold ? 0 : keep;
        mask[mr + j] = m0;
        out[row + j] = sb[row + j]! * m0;
        if (j + 1 <= i) {
          const m1 = r >>> 16 < threshold ? 0 : keep;
          mask[mr + j + 1] = m1;
          out[row + j + 1] = sb[row + j + 1]! * m1;
        }
      }
      for (let j = i + 1; j < L; j++) out[row + j] = 0;
    }
  }
}

/**
 * Backward of `causalSoftmax` for one block: `dz` holds d(loss)/d(out) (the masked probabilities
 * when `mask`); it becomes d(loss)/d(content logits) (times scale, zero above the diagonal), and the
 * same values go to the relative logits' gradient `dm` at their skewed places.
 */
function causalSoftmaxBackward(p: Float32Array, dz: Float32Array, dm: Float32Array, mBase: number, L: number, scale: number, mask?: Float32Array, maskBase = 0): void {
  for (let i = 0; i < L; i++) {
    const row = i * L;
    if (mask) for (let j = 0; j <= i; j++) dz[row + j]! *= mask[maskBase + row + j]!;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += p[row + j]! * dz[row + j]!;
    const mrow = mBase + row + L - 1 - i;
    for (let j = 0; j <= i; j++) {
      const grad = p[row + j]! * (dz[row + j]! - dot) * scale;
      dz[row + j] = grad;
      dm[mrow + j] = grad;
    }
    for (let j = i + 1; j < L; j++) dz[row + j] = 0;
  }
}

/** Log-softmax cross entropy over rows of `logits` [rows, V], in place: the rows become probabilities. */
function softmaxCrossEntropy(logits: Float32Array, targets: Int32Array, rows: number, V: number): { nll: number; correct: number } {
  let nll = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * V;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < V; c++) {
      const z = logits[o + c]!;
      if (z > max) {
        max = z;
        arg = c;
      }
    }
    const target = targets[r]!;
    if (!(target >= 0 && target < V))
      throw new ModelError(`Token id ${target} is outside the vocabulary of ${V}.`, { field: 'tokens' });
    if (arg === target) correct++;
    const picked = logits[o + target]! - max;
    let sum = 0;
    for (let c = 0; c < V; c++) {
      const e = expNonPositive(logits[o + c]! - max);
      logits[o + c] = e;
      sum += e;
    }
    nll += Math.log(sum) - picked;
    const inv = 1 / sum;
    for (let c = 0; c < V; c++) logits[o + c]! *= inv;
  }
  return { nll, correct };
}

/** out = max(x, 0). */
function relu(x: Float32Array, out: Float32Array, size: number): void {
  for (let e = 0; e < size; e++) {
    const v = x[e]!;
    out[e] = v > 0 ? v : 0;
  }
}

/** Zeroes `dy` where the ReLU's input `x` was not positive. */
function reluBackward(x: Float32Array, dy: Float32Array, size: number): void {
  for (let e = 0; e < size; e++) if (!(x[e]! > 0)) dy[e] = 0;
}

/** out = a + b. */
function addInto(a: Float32Array, b: Float32Array, out: Float32Array, size: number): void {
  for (let e = 0; e < size; e++) out[e] = a[e]! + b[e]!;
}

/**
 * Inverted dropout in place: x[i] *= the multiplier drawn for it, the multipliers kept in `mask`
 * for the backward pass: two 16-bit decisions per 32-bit draw (the rate is rounded to a multiple
 * of 1/65536, and the keep scale matches it).
 */
function dropoutInPlace(rng: Rng, x: Float32Array, size: number, rate: number, mask: Float32Array): Float32Array {
  const threshold = Math.round(rate * 65536);
  const keep = 65536 / (65536 - threshold);
  let i = 0;
  for (; i + 1 < size; i += 2) {
    const r = rng.nextUint32();
    const m0 = (r & 0xffff) < threshold ? 0 : keep;
    const m1 = r >>> 16 < threshold ? 0 : keep;
    mask[i] = m0;
    mask[i + 1] = m1;
    x[i]! *= m0;
    x[i + 1]! *= m1;
  }
  if (i < size) {
    const m = (rng.nextUint32() & 0xffff) < threshold ? 0 : keep;
    mask[i] = m;
    x[i]! *= m;
  }
  return mask;
}

/** out = x * mask, element by element. */
function mulInto(x: Float32Array, mask: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! * mask[i]!;
}

function mulInPlace(x: Float32Array, mask: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i]! *= mask[i]!;
}

function addRowBias(x: Float32Array, rows: number, cols: number, bias: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) x[o + c]! += bias[c]!;
  }
}

function addColumnSums(x: Float32Array, rows: number, cols: number, into: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) into[c]! += x[o + c]!;
  }
}

/** Row order [B*L, h*dh] to head-major [h, B*L, dh]. */
function toHeads(x: Float32Array, n: number, h: number, dh: number, out: Float32Array): void {
  const d = h * dh;
  for (let r = 0; r < n; r++)
    for (let hi = 0; hi < h; hi++) {
      const src = r * d + hi * dh;
      const dst = (hi * n + r) * dh;
      for (let c = 0; c < dh; c++) out[dst + c] = x[src + c]!;
    }
}

/** Head-major [h, B*L, dh] back to row order [B*L, h*dh]. */
function fromHeads(x: Float32Array, n: number, h: number, dh: number, out: Float32Array): void {
  const d = h * dh;
  for (let r = 0; r < n; r++)
    for (let hi = 0; hi < h; hi++) {
      const dst = r * d + hi * dh;
      const src = (hi * n + r) * dh;
      for (let c = 0; c < dh; c++) out[dst + c] = x[src + c]!;
    }
}

/**
 * A Music Transformer over `weights` (not copied), multiplying on `kernels` (default: the provider
 * `selectKernels` chose).
 */
export class TransformerEngine {
  private readonly pool = new Map<string, Float32Array>();

  constructor(
    readonly architecture: TransformerArchitecture,
    readonly weights: TransformerWeights,
    readonly kernels: Kernels = activeKernels(),
  ) {
    if (architecture.dModel % architecture.heads !== 0)
      throw new ModelError(
        `The model width (${architecture.dModel}) must be divisible by the number of heads (${architecture.heads}).`,
        { field: 'heads' },
      );
  }

  private w(name: string): Float32Array {
    const v = this.weights.get(name);
    if (!v) throw new ModelError(`The model has no weight named "${name}".`, { field: name });
    return v;
  }

  /** A column of `rows` ones, for bias sums as products. */
  private ones(rows: number): Float32Array {
    const o = this.buf('ones', rows);
    if (o[0] !== 1) o.fill(1);
    return o;
  }

  /** x[rows x cols] += bias on every row: a rank-1 product on BLAS, a loop elsewhere (a TF.js product would cost a round trip). */
  private addBias(x: Float32Array, rows: number, cols: number, bias: Float32Array): void {
    if (this.kernels.provider === 'blas') this.kernels.gemm(false, false, rows, cols, 1, this.ones(rows), bias, x, true);
    else addRowBias(x, rows, cols, bias);
  }

  /** into[cols] += the column sums of x[rows x cols]: ones^T · x on BLAS, a loop elsewhere. */
  private addColumnSums(x: Float32Array, rows: number, cols: number, into: Float32Array): void {
    if (this.kernels.provider === 'blas') this.kernels.gemm(false, false, 1, cols, rows, this.ones(rows), x, into, true);
    else addColumnSums(x, rows, cols, into);
  }

  /** A working array kept between calls (same name and size: the same array, contents stale). */
  private buf(name: string, size: number): Float32Array {
    let b = this.pool.get(name);
    if (!b || b.length !== size) this.pool.set(name, (b = new Float32Array(size)));
    return b;
  }

  /**
   * Runs `batch` sequences of `length` tokens forward and scores next-token predictions.
   * @param inputs [batch * length] token ids; @param targets the same shifted by one.
   * @param dropoutRng when given, a training pass with dropout drawn from it.
   */
  forward(
    inputs: Int32Array,
    targets: Int32Array,
    batch: number,
    length: number,
    dropoutRng?: Rng,
  ): TransformerForward {
    const a = this.architecture;
    const B = batch;
    const L = length;
    const S = a.seqLength;
    if (L > S)
      throw new ModelError(`A sequence of ${L} events is longer than the model's context of ${S} events.`, {
        field: 'seqLength',
      });
    const d = a.dModel;
    const h = a.heads;
    const dh = d / h;
    const F = a.dFF;
    const V = a.vocabSize;
    const N = B * L;
    const rate = dropoutRng ? a.dropout : 0;
    const kern = this.kernels;
    const scale = 1 / Math.sqrt(dh);

    // Embedding (times sqrt(d)) and its dropout.
    const emb = this.w('embedding');
    let x = this.buf('x0', N * d);
    const root = Math.sqrt(d);
    for (let r = 0; r < N; r++) {
      const t = inputs[r]!;
      if (!(t >= 0 && t < V))
        throw new ModelError(`Token id ${t} is outside the vocabulary of ${V}.`, { field: 'tokens' });
      for (let c = 0; c < d; c++) x[r * d + c] = emb[t * d + c]! * root;
    }
    let embMask: Float32Array | undefined;
    if (rate > 0) {
      embMask = dropoutInPlace(dropoutRng!, x, N * d, rate, this.buf('embMask', N * d));
    }

    const layers: LayerCache[] = [];
    for (let layer = 0; layer < a.layers; layer++) {
      const p = `layer${layer}_`;
      const tag = (s: string): string => `${layer}:${s}`;
      const xhat1 = this.buf(tag('xhat1'), N * d);
      const rstd1 = this.buf(tag('rstd1'), N);
      const n1 = this.buf(tag('n1'), N * d);
      layerNorm(x, N, d, this.w(`${p}ln1_gamma`), this.w(`${p}ln1_beta`), xhat1, rstd1, n1);
      const tmp = this.buf('rowsD', N * d);
      const q = this.buf(tag('q'), N * d);
      const k = this.buf(tag('k'), N * d);
      const v = this.buf(tag('v'), N * d);
      for (const [name, into] of [
        ['wq', q],
        ['wk', k],
        ['wv', v],
      ] as const) {
        kern.gemm(false, false, N, d, d, n1, this.w(p + name), tmp);
        toHeads(tmp, N, h, dh, into);
      }

      // Relative logits for every head and row at once: M[hi][(b*L + i), r] = q_i · E_r[S - L + r].
      const rel = this.w(`${p}rel`);
      const m = this.buf('relLogits', h * N * L);
      for (let hi = 0; hi < h; hi++)
        kern.gemm(
          false,
          true,
          N,
          L,
          dh,
          q.subarray(hi * N * dh, (hi + 1) * N * dh),
          rel.subarray((hi * S + S - L) * dh, (hi * S + S) * dh),
          m.subarray(hi * N * L, (hi + 1) * N * L),
        );

      const probs = this.buf(tag('p'), h * N * L);
      const pDrop = rate > 0 ? this.buf(tag('pDrop'), h * N * L) : probs;
      const pMask =
        rate > 0 ? this.buf(tag('pMask'), h * N * L) : undefined;
      const threshold = Math.round(rate * 65536);
      const ctxHeads = this.buf('ctxHeads', N * d);
      for (let hi = 0; hi < h; hi++)
        for (let b = 0; b < B; b++) {
          const blk = (hi * B + b) * L; // first row of this (head, window) block in head-major order
          const qb = q.subarray(blk * dh, (blk + L) * dh);
          const kb = k.subarray(blk * dh, (blk + L) * dh);
          const sb = probs.subarray(blk * L, (blk + L) * L);
          kern.gemm(false, true, L, L, dh, qb, kb, sb);
          const pb = pMask ? pDrop.subarray(blk * L, (blk + L) * L) : sb;
          causalSoftmax(sb, m, blk * L, L, scale, pMask ? { rng: dropoutRng!, threshold, keep: 65536 / (65536 - threshold), mask: pMask, out: pb } : undefined, blk * L);
          kern.gemm(
            false,
            false,
            L,
            dh,
            L,
            pb,
            v.subarray(blk * dh, (blk + L) * dh),
            ctxHeads.subarray(blk * dh, (blk + L) * dh),
          );
        }
      const ctx = this.buf(tag('ctx'), N * d);
      fromHeads(ctxHeads, N, h, dh, ctx);
      const attn = this.buf('attn', N * d);
      kern.gemm(false, false, N, d, d, ctx, this.w(`${p}wo`), attn);
      let attnMask: Float32Array | undefined;
      if (rate > 0) {
        attnMask = dropoutInPlace(dropoutRng!, attn, N * d, rate, this.buf(tag('attnMask'), N * d));
      }
      const x1 = this.buf(tag('x1'), N * d);
      addInto(x, attn, x1, N * d);

      const xhat2 = this.buf(tag('xhat2'), N * d);
      const rstd2 = this.buf(tag('rstd2'), N);
      const n2 = this.buf(tag('n2'), N * d);
      layerNorm(x1, N, d, this.w(`${p}ln2_gamma`), this.w(`${p}ln2_beta`), xhat2, rstd2, n2);
      const f1 = this.buf(tag('f1'), N * F);
      kern.gemm(false, false, N, F, d, n2, this.w(`${p}ff1_kernel`), f1);
      this.addBias(f1, N, F, this.w(`${p}ff1_bias`));
      // The ReLU in place: its output's sign is all the backward pass needs of its input.
      const a1 = f1;
      relu(f1, a1, N * F);
      const ff = this.buf('ff', N * d);
      kern.gemm(false, false, N, d, F, a1, this.w(`${p}ff2_kernel`), ff);
      this.addBias(ff, N, d, this.w(`${p}ff2_bias`));
      let ffMask: Float32Array | undefined;
      if (rate > 0) {
        ffMask = dropoutInPlace(dropoutRng!, ff, N * d, rate, this.buf(tag('ffMask'), N * d));
      }
      const x2 = this.buf(tag('x2'), N * d);
      addInto(x1, ff, x2, N * d);
      layers.push({
        x,
        xhat1,
        rstd1,
        n1,
        q,
        k,
        v,
        p: probs,
        pDrop,
        pMask,
        ctx,
        attnMask,
        x1,
        xhat2,
        rstd2,
        n2,
        f1,
        a1,
        ffMask,
      });
      x = x2;
    }

    const xhatf = this.buf('xhatf', N * d);
    const rstdf = this.buf('rstdf', N);
    const nf = this.buf('nf', N * d);
    layerNorm(x, N, d, this.w('lnf_gamma'), this.w('lnf_beta'), xhatf, rstdf, nf);
    const probs = this.buf('probs', N * V);
    kern.gemm(false, false, N, V, d, nf, this.w('output_kernel'), probs);
    this.addBias(probs, N, V, this.w('output_bias'));
    const { nll, correct } = softmaxCrossEntropy(probs, targets, N, V);
    return {
      batch: B,
      length: L,
      loss: nll / N,
      correct,
      inputs,
      targets,
      embMask,
      layers,
      xf: x,
      xhatf,
      rstdf,
      nf,
      probs,
    };
  }

  /**
   * Adds the gradient of `f.loss` (the mean over its targets) with respect to every weight into
   * `grads` (same names and sizes as the weights). Consumes the forward pass's arrays.
   */
  backward(f: TransformerForward, grads: TransformerWeights): void {
    const a = this.architecture;
    const B = f.batch;
    const L = f.length;
    const S = a.seqLength;
    const d = a.dModel;
    const h = a.heads;
    const dh = d / h;
    const F = a.dFF;
    const V = a.vocabSize;
    const N = B * L;
    const kern = this.kernels;
    const scale = 1 / Math.sqrt(dh);
    const g = (name: string): Float32Array => {
      const v = grads.get(name);
      if (!v) throw new ModelError(`No gradient array for "${name}".`, { field: name });
      return v;
    };

    // Softmax cross entropy: dlogits = (p - onehot) / N, in place in probs.
    const dLogits = f.probs;
    const invN = 1 / N;
    for (let r = 0; r < N; r++) {
      const o = r * V;
      dLogits[o + f.targets[r]!]! -= 1;
      for (let c = 0; c < V; c++) dLogits[o + c]! *= invN;
    }
    kern.gemm(true, false, d, V, N, f.nf, dLogits, g('output_kernel'), true);
    this.addColumnSums(dLogits, N, V, g('output_bias'));
    const dn = this.buf('dRowsD', N * d);
    kern.gemm(false, true, N, d, V, dLogits, this.w('output_kernel'), dn);
    const dx = this.buf('dx', N * d);
    dx.fill(0);
    layerNormBackward(dn, f.xhatf, f.rstdf, N, d, this.w('lnf_gamma'), dx, g('lnf_gamma'), g('lnf_beta'));

    const dff = this.buf('dff', N * d);
    const dInner = this.buf('dInner', N * F);
    const dAttn = this.buf('dAttn', N * d);
    const dCtx = this.buf('dCtx', N * d);
    const dCtxHeads = this.buf('dCtxHeads', N * d);
    const dq = this.buf('dq', N * d);
    const dk = this.buf('dk', N * d);
    const dv = this.buf('dv', N * d);
    const dz = this.buf('dz', L * L);
    const dm = this.buf('dRelLogits', h * N * L);
    const dRows = this.buf('dRows', N * d);
    for (let layer = a.layers - 1; layer >= 0; layer--) {
      const p = `layer${layer}_`;
      const c = f.layers[layer]!;
      // Feed-forward branch: x2 = x1 + drop(relu(n2 W1 + b1) W2 + b2).
      if (c.ffMask) mulInto(dx, c.ffMask, dff);
      else dff.set(dx);
      kern.gemm(true, false, F, d, N, c.a1, dff, g(`${p}ff2_kernel`), true);
      this.addColumnSums(dff, N, d, g(`${p}ff2_bias`));
      kern.gemm(false, true, N, F, d, dff, this.w(`${p}ff2_kernel`), dInner);
      reluBackward(c.a1, dInner, N * F);
      kern.gemm(true, false, d, F, N, c.n2, dInner, g(`${p}ff1_kernel`), true);
      this.addColumnSums(dInner, N, F, g(`${p}ff1_bias`));
      kern.gemm(false, true, N, d, F, dInner, this.w(`${p}ff1_kernel`), dRows);
      // dx now means d/dx1: the residual plus the norm's share.
      layerNormBackward(
        dRows,
        c.xhat2,
        c.rstd2,
        N,
        d,
        this.w(`${p}ln2_gamma`),
        dx,
        g(`${p}ln2_gamma`),
        g(`${p}ln2_beta`),
      );

      // Attention branch: x1 = x + drop(ctx Wo).
      if (c.attnMask) mulInto(dx, c.attnMask, dAttn);
      else dAttn.set(dx);
      kern.gemm(true, false, d, d, N, c.ctx, dAttn, g(`${p}wo`), true);
      kern.gemm(false, true, N, d, d, dAttn, this.w(`${p}wo`), dCtx);
      toHeads(dCtx, N, h, dh, dCtxHeads);
      dm.fill(0);
      for (let hi = 0; hi < h; hi++)
        for (let b = 0; b < B; b++) {
          const blk = (hi * B + b) * L;
          const rows = (t: Float32Array): Float32Array => t.subarray(blk * dh, (blk + L) * dh);
          const pb = c.p.subarray(blk * L, (blk + L) * L);
          const pd = c.pDrop.subarray(blk * L, (blk + L) * L);
          const dcb = rows(dCtxHeads);
          // d(pDrop) = dctx V^T; dV = pDrop^T dctx.
          kern.gemm(false, true, L, L, dh, dcb, rows(c.v), dz);
          kern.gemm(true, false, L, dh, L, pd, dcb, rows(dv));
          // Dropout, softmax backward, then the 1/sqrt(dh) scale; the relative part goes to dM by distance.
          causalSoftmaxBackward(pb, dz, dm, blk * L, L, scale, c.pMask, blk * L);
          // logits = q k^T: dq = dz k, dk = dz^T q.
          kern.gemm(false, false, L, dh, L, dz, rows(c.k), rows(dq));
          kern.gemm(true, false, L, dh, L, dz, rows(c.q), rows(dk));
        }
      // Relative logits M_h = Q_h E_h^T: dQ_h += dM_h E_h, dE_h += dM_h^T Q_h.
      const rel = this.w(`${p}rel`);
      const dRel = g(`${p}rel`);
      for (let hi = 0; hi < h; hi++) {
        const dmh = dm.subarray(hi * N * L, (hi + 1) * N * L);
        const eh = rel.subarray((hi * S + S - L) * dh, (hi * S + S) * dh);
        kern.gemm(false, false, N, dh, L, dmh, eh, dq.subarray(hi * N * dh, (hi + 1) * N * dh), true);
        kern.gemm(
          true,
          false,
          L,
          dh,
          N,
          dmh,
          c.q.subarray(hi * N * dh, (hi + 1) * N * dh),
          dRel.subarray((hi * S + S - L) * dh, (hi * S + S) * dh),
          true,
        );
      }
      // Projections: q = n1 Wq etc.
      dRows.fill(0);
      for (const [name, dh_] of [
        ['wq', dq],
        ['wk', dk],
        ['wv', dv],
      ] as const) {
        fromHeads(dh_, N, h, dh, dCtx);
        kern.gemm(true, false, d, d, N, c.n1, dCtx, g(p + name), true);
        kern.gemm(false, true, N, d, d, dCtx, this.w(p + name), dRows, true);
      }
      layerNormBackward(
        dRows,
        c.xhat1,
        c.rstd1,
        N,
        d,
        this.w(`${p}ln1_gamma`),
        dx,
        g(`${p}ln1_gamma`),
        g(`${p}ln1_beta`),
      );
    }

    // Embedding: x0 = drop(E[t] * sqrt(d)).
    if (f.embMask) mulInPlace(dx, f.embMask);
    const dE = g('embedding');
    const root = Math.sqrt(d);
    for (let r = 0; r < N; r++) {
      const t = f.inputs[r]!;
      for (let cc = 0; cc < d; cc++) dE[t * d + cc]! += dx[r * d + cc]! * root;
    }
  }
}
