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
 * Element-wise passes (layer norm, the attention softmax, bias + ReLU, dropout with the residual
 * adds, the head permutations, the output softmax) run on the engine's element-wise workspace
 * (`tensor/elementwise.ts`: WebAssembly SIMD where it runs, else TypeScript). On WebAssembly SIMD
 * the working arrays live in the workspace's memory, handed out again each forward pass, so the
 * kernels run in place and the matrix products read and write the same arrays; on TypeScript they
 * are ordinary arrays kept between steps of the same batch size.
 */
import { ModelError } from '../../../common/errors';
import type { Rng } from '../../../common/random';
import type { TransformerArchitecture } from '../../../common/models/transformer';
import type { Workspace } from '../../tensor/elementwise';
import { elementwise } from '../../tensor/elementwise';
import type { Kernels } from '../../tensor/kernels';
import { activeKernels } from '../../tensor/kernels';

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
  /** @internal the pass's number (`TransformerEngine` refuses a backward pass over arrays a later forward pass reused). */
  pass: number;
}

/**
 * A Music Transformer over `weights` (not copied), multiplying on `kernels` (default: the provider
 * `selectKernels` chose).
 */
export class TransformerEngine {
  /** The TypeScript workspace's arrays, kept between passes. */
  private readonly pool = new Map<string, Float32Array>();
  /** The WebAssembly workspace's arrays of the current pass (its memory is handed out again each pass). */
  private readonly frame = new Map<string, Float32Array | Int32Array>();
  /** In the workspace's memory: its arrays are handed out per pass. */
  private readonly resident: boolean;
  private onesColumn = new Float32Array(0);
  private pass = 0;

  constructor(
    readonly architecture: TransformerArchitecture,
    readonly weights: TransformerWeights,
    readonly kernels: Kernels = activeKernels(),
    readonly workspace: Workspace = elementwise().workspace(),
  ) {
    if (architecture.dModel % architecture.heads !== 0)
      throw new ModelError(
        `The model width (${architecture.dModel}) must be divisible by the number of heads (${architecture.heads}).`,
        { field: 'heads' },
      );
    this.resident = workspace.kind === 'wasm-simd';
  }

  private w(name: string): Float32Array {
    const v = this.weights.get(name);
    if (!v) throw new ModelError(`The model has no weight named "${name}".`, { field: name });
    return v;
  }

  /** A column of `rows` ones, for bias sums as products. */
  private ones(rows: number): Float32Array {
    if (this.onesColumn.length !== rows) this.onesColumn = new Float32Array(rows).fill(1);
    return this.onesColumn;
  }

  /** into[cols] += the column sums of x[rows x cols]: ones^T · x on BLAS, the workspace's row sums elsewhere. */
  private addColumnSums(x: Float32Array, rows: number, cols: number, into: Float32Array): void {
    if (this.kernels.provider === 'blas') this.kernels.gemm(false, false, 1, cols, rows, this.ones(rows), x, into, true);
    else this.workspace.addRows(x, undefined, 0, rows, cols, into);
  }

  /** Starts a forward pass: the arrays of the one before may be handed out again. */
  private begin(): number {
    if (this.resident) {
      this.workspace.frame();
      this.frame.clear();
    }
    return ++this.pass;
  }

  /** A working array of this pass (same name and size: the same array, contents stale). */
  private buf(name: string, size: number): Float32Array {
    if (this.resident) {
      let b = this.frame.get(name) as Float32Array | undefined;
      if (!b || b.length !== size) this.frame.set(name, (b = this.workspace.f32(size, false)));
      return b;
    }
    let b = this.pool.get(name);
    if (!b || b.length !== size) this.pool.set(name, (b = new Float32Array(size)));
    return b;
  }

  /** An Int32Array like `buf`. */
  private ints(name: string, size: number): Int32Array {
    let b = this.frame.get(name) as Int32Array | undefined;
    if (!b || b.length !== size) this.frame.set(name, (b = this.resident ? this.workspace.i32(size) : new Int32Array(size)));
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
    const ws = this.workspace;
    const scale = 1 / Math.sqrt(dh);
    const pass = this.begin();

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
      embMask = this.buf('embMask', N * d);
      ws.residualDropout(x, undefined, undefined, x, N, d, { rng: dropoutRng!, rate, mask: embMask });
    }

    const layers: LayerCache[] = [];
    for (let layer = 0; layer < a.layers; layer++) {
      const p = `layer${layer}_`;
      const tag = (s: string): string => `${layer}:${s}`;
      const xhat1 = this.buf(tag('xhat1'), N * d);
      const rstd1 = this.buf(tag('rstd1'), N);
      const n1 = this.buf(tag('n1'), N * d);
      ws.layerNorm(x, N, d, this.w(`${p}ln1_gamma`), this.w(`${p}ln1_beta`), xhat1, rstd1, n1);
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
        ws.permuteHeads(tmp, into, N, h, dh, false);
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
      const ctxHeads = this.buf('ctxHeads', N * d);
      for (let hi = 0; hi < h; hi++)
        for (let b = 0; b < B; b++) {
          const blk = (hi * B + b) * L; // first row of this (head, window) block in head-major order
          const qb = q.subarray(blk * dh, (blk + L) * dh);
          const kb = k.subarray(blk * dh, (blk + L) * dh);
          const sb = probs.subarray(blk * L, (blk + L) * L);
          kern.gemm(false, true, L, L, dh, qb, kb, sb);
          const pb = pMask ? pDrop.subarray(blk * L, (blk + L) * L) : sb;
          ws.causalSoftmax(
            sb,
            m.subarray(blk * L, (blk + L) * L),
            L,
            scale,
            pMask ? { rng: dropoutRng!, rate, mask: pMask.subarray(blk * L, (blk + L) * L), out: pb } : undefined,
          );
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
      ws.permuteHeads(ctxHeads, ctx, N, h, dh, true);
      const attn = this.buf('attn', N * d);
      kern.gemm(false, false, N, d, d, ctx, this.w(`${p}wo`), attn);
      const attnMask = rate > 0 ? this.buf(tag('attnMask'), N * d) : undefined;
      const x1 = this.buf(tag('x1'), N * d);
      ws.residualDropout(attn, undefined, x, x1, N, d, attnMask && { rng: dropoutRng!, rate, mask: attnMask });

      const xhat2 = this.buf(tag('xhat2'), N * d);
      const rstd2 = this.buf(tag('rstd2'), N);
      const n2 = this.buf(tag('n2'), N * d);
      ws.layerNorm(x1, N, d, this.w(`${p}ln2_gamma`), this.w(`${p}ln2_beta`), xhat2, rstd2, n2);
      const f1 = this.buf(tag('f1'), N * F);
      kern.gemm(false, false, N, F, d, n2, this.w(`${p}ff1_kernel`), f1);
      // Bias and ReLU in place: the output's sign is all the backward pass needs of the input.
      ws.biasRelu(f1, this.w(`${p}ff1_bias`), N, F);
      const a1 = f1;
      const ff = this.buf('ff', N * d);
      kern.gemm(false, false, N, d, F, a1, this.w(`${p}ff2_kernel`), ff);
      const ffMask = rate > 0 ? this.buf(tag('ffMask'), N * d) : undefined;
      const x2 = this.buf(tag('x2'), N * d);
      ws.residualDropout(ff, this.w(`${p}ff2_bias`), x1, x2, N, d, ffMask && { rng: dropoutRng!, rate, mask: ffMask });
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
    ws.layerNorm(x, N, d, this.w('lnf_gamma'), this.w('lnf_beta'), xhatf, rstdf, nf);
    const probs = this.buf('probs', N * V);
    kern.gemm(false, false, N, V, d, nf, this.w('output_kernel'), probs);
    // The output softmax with its bias; the target's logit is read first for its log-likelihood.
    const bias = this.w('output_bias');
    const picked = new Float64Array(N);
    for (let r = 0; r < N; r++) {
      const t = targets[r]!;
      if (!(t >= 0 && t < V))
        throw new ModelError(`Token id ${t} is outside the vocabulary of ${V}.`, { field: 'tokens' });
      picked[r] = Math.fround(probs[r * V + t]! + bias[t]!);
    }
    const argmax = this.ints('argmax', N);
    const stats = this.buf('softmaxStats', 2 * N);
    ws.softmaxRows(probs, bias, N, V, argmax, stats);
    let nll = 0;
    let correct = 0;
    for (let r = 0; r < N; r++) {
      nll += Math.log(stats[2 * r + 1]!) - (picked[r]! - stats[2 * r]!);
      if (argmax[r] === targets[r]) correct++;
    }
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
      pass,
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
    const ws = this.workspace;
    const scale = 1 / Math.sqrt(dh);
    if (f.pass !== this.pass)
      throw new Error('TransformerEngine.backward needs the latest forward pass: a later forward pass has reused its arrays.');
    const g = (name: string): Float32Array => {
      const v = grads.get(name);
      if (!v) throw new ModelError(`No gradient array for "${name}".`, { field: name });
      return v;
    };

    // Softmax cross entropy: dlogits = (p - onehot) / N, in place in probs.
    const dLogits = f.probs;
    ws.crossEntropyGrad(dLogits, f.targets, N, V, 1 / N);
    kern.gemm(true, false, d, V, N, f.nf, dLogits, g('output_kernel'), true);
    this.addColumnSums(dLogits, N, V, g('output_bias'));
    const dn = this.buf('dRowsD', N * d);
    kern.gemm(false, true, N, d, V, dLogits, this.w('output_kernel'), dn);
    const dx = this.buf('dx', N * d);
    ws.zero(dx);
    ws.layerNormBackward(dn, f.xhatf, f.rstdf, N, d, this.w('lnf_gamma'), dx, g('lnf_gamma'), g('lnf_beta'));

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
      if (c.ffMask) ws.mul(dx, c.ffMask, dff);
      else dff.set(dx);
      kern.gemm(true, false, F, d, N, c.a1, dff, g(`${p}ff2_kernel`), true);
      this.addColumnSums(dff, N, d, g(`${p}ff2_bias`));
      kern.gemm(false, true, N, F, d, dff, this.w(`${p}ff2_kernel`), dInner);
      ws.reluGrad(c.a1, dInner, N * F);
      kern.gemm(true, false, d, F, N, c.n2, dInner, g(`${p}ff1_kernel`), true);
      this.addColumnSums(dInner, N, F, g(`${p}ff1_bias`));
      kern.gemm(false, true, N, d, F, dInner, this.w(`${p}ff1_kernel`), dRows);
      // dx now means d/dx1: the residual plus the norm's share.
      ws.layerNormBackward(
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
      if (c.attnMask) ws.mul(dx, c.attnMask, dAttn);
      else dAttn.set(dx);
      kern.gemm(true, false, d, d, N, c.ctx, dAttn, g(`${p}wo`), true);
      kern.gemm(false, true, N, d, d, dAttn, this.w(`${p}wo`), dCtx);
      ws.permuteHeads(dCtx, dCtxHeads, N, h, dh, false);
      ws.zero(dm);
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
          ws.causalSoftmaxBackward(
            pb,
            dz,
            dm.subarray(blk * L, (blk + L) * L),
            L,
            scale,
            c.pMask?.subarray(blk * L, (blk + L) * L),
          );
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
      ws.zero(dRows);
      for (const [name, dh_] of [
        ['wq', dq],
        ['wk', dk],
        ['wv', dv],
      ] as const) {
        ws.permuteHeads(dh_, dCtx, N, h, dh, true);
        kern.gemm(true, false, d, d, N, c.n1, dCtx, g(p + name), true);
        kern.gemm(false, true, N, d, d, dCtx, this.w(p + name), dRows, true);
      }
      ws.layerNormBackward(
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
    if (f.embMask) ws.mul(dx, f.embMask, dx);
    const dE = g('embedding');
    const root = Math.sqrt(d);
    for (let r = 0; r < N; r++) {
      const t = f.inputs[r]!;
      for (let cc = 0; cc < d; cc++) dE[t * d + cc]! += dx[r * d + cc]! * root;
    }
  }
}
