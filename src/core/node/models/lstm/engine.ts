/**
 * The BiLSTM's forward and backward passes (hand-written backpropagation through time) over
 * Float32Arrays, with every matrix product on the kernel layer (`tensor/kernels.ts`: the system
 * BLAS, or a TF.js backend): activations are in time-major order (row t*B + b), the input
 * projection of every time step is one big product, each step multiplies only h·U, and the
 * gradients of all kernels are one product each after the step loop, read in place (transposes
 * are flags to the product, not copies).
 * The maths is exactly the contract in src/core/common/models/lstm.ts (Keras gate order i, f, c, o).
 */
import type { LstmArchitecture } from '../../../common/models/lstm';
import type { Rng } from '../../../common/random';
import type { ConstMatrix, Kernels } from '../../tensor/kernels';
import { activeKernels } from '../../tensor/kernels';
import type { LstmWeights } from './weights';

/** One direction of one layer, as the forward pass left it for the backward pass. */
interface DirectionCache {
  /** Activated gates i, f, g, o per row, [T*B, 4H]. */
  gates: Float32Array;
  /** Cell states, [T*B, H]. */
  cells: Float32Array;
  /** tanh of the cell states, [T*B, H]. */
  cellTanh: Float32Array;
  /** Hidden states, [T*B, H]. */
  hidden: Float32Array;
}

interface LayerCache {
  /** The layer's input, [T*B, inWidth] (undefined for layer 0 without an embedding). */
  input?: Float32Array;
  dirs: [DirectionCache, DirectionCache];
  /** Inverted-dropout multipliers on this layer's output (undefined when not training). */
  mask?: Float32Array;
}

/** Everything the backward pass needs from one forward pass. */
export interface ForwardResult {
  /** Windows in the batch. */
  batch: number;
  /** Next-token probabilities, [batch, vocabSize]. */
  probs: Float32Array;
  /** @internal */
  ids: Int32Array;
  /** @internal */
  layers: LayerCache[];
  /** @internal final features [B, 2H] after dropout. */
  features: Float32Array;
  /** @internal */
  featureMask?: Float32Array;
  /** @internal dense pre-activation [B, D]. */
  densePre: Float32Array;
  /** @internal dense output after relu and dropout [B, D]. */
  denseOut: Float32Array;
  /** @internal */
  denseMask?: Float32Array;
}

function dropoutMask(size: number, rate: number, rng: Rng): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < size; i++) mask[i] = rng.next() < rate ? 0 : keep;
  return mask;
}

/**
 * A BiLSTM over `weights` (not copied: an optimizer may update them between calls), multiplying
 * on `kernels` (default: the provider `selectKernels` chose).
 */
export class BiLstmEngine {
  constructor(
    readonly architecture: LstmArchitecture,
    readonly weights: LstmWeights,
    readonly kernels: Kernels = activeKernels(),
  ) {}

  private w(name: string): Float32Array {
    return this.weights.get(name)!;
  }

  /**
   * Runs `batch` windows (`ids[b * window + t]`) forward. With `dropoutRng` it is a training pass
   * (dropout on); without, inference.
   */
  forward(ids: Int32Array, batch: number, dropoutRng?: Rng): ForwardResult {
    const a = this.architecture;
    const T = a.window;
    const B = batch;
    const V = a.vocabSize;
    const N = T * B;
    const train = dropoutRng !== undefined && a.dropout > 0;
    const layers: LayerCache[] = [];

    let input: Float32Array | undefined;
    let inWidth = a.floatInput ? 1 : a.embedding > 0 ? a.embedding : V;
    if (a.embedding > 0 && !a.floatInput) {
      const E = a.embedding;
      const emb = this.w('embedding');
      input = new Float32Array(N * E);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++)
          input.set(emb.subarray(ids[b * T + t]! * E, ids[b * T + t]! * E + E), (t * B + b) * E);
    }

    let features = new Float32Array(0);
    let featureMask: Float32Array | undefined;
    a.lstmUnits.forEach((H, l) => {
      const last = l === a.lstmUnits.length - 1;
      const dirs = [0, 1].map((d) => this.runDirection(l, d === 1, input, inWidth, ids, B)) as [
        DirectionCache,
        DirectionCache,
      ];
      const layer: LayerCache = { dirs };
      if (input) layer.input = input;
      if (!last) {
        const out = new Float32Array(N * 2 * H);
        for (let r = 0; r < N; r++) {
          out.set(dirs[0].hidden.subarray(r * H, r * H + H), r * 2 * H);
          out.set(dirs[1].hidden.subarray(r * H, r * H + H), r * 2 * H + H);
        }
        if (train) {
          layer.mask = dropoutMask(out.length, a.dropout, dropoutRng);
          for (let i = 0; i < out.length; i++) out[i]! *= layer.mask[i]!;
        }
        input = out;
        inWidth = 2 * H;
      } else {
        features = new Float32Array(B * 2 * H);
        const fwdLast = (T - 1) * B * H;
        for (let b = 0; b < B; b++) {
          features.set(dirs[0].hidden.subarray(fwdLast + b * H, fwdLast + b * H + H), b * 2 * H);
          features.set(dirs[1].hidden.subarray(b * H, b * H + H), b * 2 * H + H);
        }
        if (train) {
          featureMask = dropoutMask(features.length, a.dropout, dropoutRng);
          for (let i = 0; i < features.length; i++) features[i]! *= featureMask[i]!;
        }
      }
      layers.push(layer);
    });

    const F = 2 * a.lstmUnits[a.lstmUnits.length - 1]!;
    const D = a.denseUnits;
    const densePre = new Float32Array(B * D);
    const k = this.kernels;
    k.gemm(false, false, B, D, F, features, this.w('dense_kernel'), densePre);
    const denseBias = this.w('dense_bias');
    const denseOut = new Float32Array(B * D);
    let denseMask: Float32Array | undefined;
    if (train) denseMask = dropoutMask(B * D, a.dropout, dropoutRng);
    for (let i = 0; i < B * D; i++) {
      const v = (densePre[i]! += denseBias[i % D]!);
      denseOut[i] = v > 0 ? (denseMask ? v * denseMask[i]! : v) : 0;
    }
    const probs = new Float32Array(B * V);
    k.gemm(false, false, B, V, D, denseOut, this.w('output_kernel'), probs);
    const outBias = this.w('output_bias');
    for (let b = 0; b < B; b++) {
      const row = probs.subarray(b * V, b * V + V);
      let max = -Infinity;
      for (let v = 0; v < V; v++) {
        row[v]! += outBias[v]!;
        if (row[v]! > max) max = row[v]!;
      }
      let sum = 0;
      for (let v = 0; v < V; v++) sum += row[v] = Math.exp(row[v]! - max);
      for (let v = 0; v < V; v++) row[v]! /= sum;
    }
    const result: ForwardResult = { batch: B, probs, ids, layers, features, densePre, denseOut };
    if (featureMask) result.featureMask = featureMask;
    if (denseMask) result.denseMask = denseMask;
    return result;
  }

  private runDirection(
    l: number,
    backward: boolean,
    input: Float32Array | undefined,
    inWidth: number,
    ids: Int32Array,
    B: number,
  ): DirectionCache {
    const a = this.architecture;
    const T = a.window;
    const H = a.lstmUnits[l]!;
    const G = 4 * H;
    const N = T * B;
    const prefix = `lstm${l}_${backward ? 'bwd' : 'fwd'}`;
    const kernel = this.w(`${prefix}_kernel`);
    const bias = this.w(`${prefix}_bias`);

    // The input's contribution for every time step at once: one product (or a row lookup for one-hot).
    // `gates` first holds the pre-activations without the bias (input projection; each step adds h·U
    // into its block), then the loop adds the bias and activates them in place: one pass, not two.
    const gates = new Float32Array(N * G);
    if (input) this.kernels.gemm(false, false, N, G, inWidth, input, kernel, gates);
    else
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const row = (t * B + b) * G;
          const id = ids[b * T + t]!;
          if (a.floatInput) {
            const x = id / a.vocabSize;
            for (let j = 0; j < G; j++) gates[row + j] = x * kernel[j]!;
          } else gates.set(kernel.subarray(id * G, id * G + G), row);
        }

    const cells = new Float32Array(N * H);
    const cellTanh = new Float32Array(N * H);
    const hidden = new Float32Array(N * H);
    const recurrent = this.kernels.constant(this.w(`${prefix}_recurrent`), H, G);
    try {
      for (let s = 0; s < T; s++) {
        const t = backward ? T - 1 - s : s;
        const tp = backward ? t + 1 : t - 1;
        const rec = s > 0;
        if (rec) this.kernels.gemmConst(hidden.subarray(tp * B * H, (tp + 1) * B * H), B, recurrent, gates.subarray(t * B * G, (t + 1) * B * G), true);
        for (let b = 0; b < B; b++) {
          const xr = (t * B + b) * G;
          const hr = (t * B + b) * H;
          const pr = (tp * B + b) * H;
          // sigmoid and tanh written out (tanh from exp: faster than Math.tanh in V8, and saturates
          // correctly at both ends).
          for (let j = 0; j < H; j++) {
            const i = 1 / (1 + Math.exp(-(gates[xr + j]! + bias[j]!)));
            const f = 1 / (1 + Math.exp(-(gates[xr + H + j]! + bias[H + j]!)));
            const g = 1 - 2 / (Math.exp(2 * (gates[xr + 2 * H + j]! + bias[2 * H + j]!)) + 1);
            const o = 1 / (1 + Math.exp(-(gates[xr + 3 * H + j]! + bias[3 * H + j]!)));
            const c = (rec ? f * cells[pr + j]! : 0) + i * g;
            const tc = 1 - 2 / (Math.exp(2 * c) + 1);
            gates[xr + j] = i;
            gates[xr + H + j] = f;
            gates[xr + 2 * H + j] = g;
            gates[xr + 3 * H + j] = o;
            cells[hr + j] = c;
            cellTanh[hr + j] = tc;
            hidden[hr + j] = o * tc;
          }
        }
      }
    } finally {
      this.kernels.release(recurrent);
    }
    return { gates, cells, cellTanh, hidden };
  }

  /**
   * Mean cross-entropy of `targets` (one per window) under `fwd`, and its gradient for every
   * weight, added into `grads` (same names and sizes as the weights). Returns the loss in nats.
   */
  backward(fwd: ForwardResult, targets: Int32Array, grads: LstmWeights): number {
    const a = this.architecture;
    const T = a.window;
    const B = fwd.batch;
    const V = a.vocabSize;
    const D = a.denseUnits;
    const L = a.lstmUnits.length;
    const Hlast = a.lstmUnits[L - 1]!;
    const F = 2 * Hlast;

    let loss = 0;
    const dLogits = new Float32Array(B * V);
    for (let b = 0; b < B; b++) {
      const target = targets[b]!;
      loss -= Math.log(Math.max(fwd.probs[b * V + target]!, 1e-30));
      for (let v = 0; v < V; v++) dLogits[b * V + v] = (fwd.probs[b * V + v]! - (v === target ? 1 : 0)) / B;
    }
    loss /= B;

    // Output layer.
    const k = this.kernels;
    k.gemm(true, false, D, V, B, fwd.denseOut, dLogits, grads.get('output_kernel')!, true);
    addColumnSums(dLogits, B, V, grads.get('output_bias')!);
    const dDense = new Float32Array(B * D);
    k.gemm(false, true, B, D, V, dLogits, this.w('output_kernel'), dDense);
    for (let i = 0; i < B * D; i++)
      dDense[i] = fwd.densePre[i]! > 0 ? dDense[i]! * (fwd.denseMask ? fwd.denseMask[i]! : 1) : 0;

    // Dense layer.
    k.gemm(true, false, F, D, B, fwd.features, dDense, grads.get('dense_kernel')!, true);
    addColumnSums(dDense, B, D, grads.get('dense_bias')!);
    const dFeatures = new Float32Array(B * F);
    k.gemm(false, true, B, F, D, dDense, this.w('dense_kernel'), dFeatures);
    if (fwd.featureMask) for (let i = 0; i < B * F; i++) dFeatures[i]! *= fwd.featureMask[i]!;

    // The last layer's output is each direction's final state: fwd at t = T-1, bwd at t = 0.
    let dOut = new Float32Array(T * B * F);
    for (let b = 0; b < B; b++) {
      dOut.set(dFeatures.subarray(b * F, b * F + Hlast), ((T - 1) * B + b) * F);
      dOut.set(dFeatures.subarray(b * F + Hlast, b * F + F), b * F + Hlast);
    }
    for (let l = L - 1; l >= 0; l--) {
      const layer = fwd.layers[l]!;
      const H = a.lstmUnits[l]!;
      const inWidth = l > 0 ? 2 * a.lstmUnits[l - 1]! : a.floatInput ? 1 : a.embedding > 0 ? a.embedding : V;
      const needInputGrad = l > 0 || (a.embedding > 0 && !a.floatInput);
      const dInput = needInputGrad ? new Float32Array(T * B * inWidth) : undefined;
      for (let d = 0; d < 2; d++)
        this.backDirection(l, d === 1, layer, dOut, 2 * H, d * H, fwd.ids, B, inWidth, dInput, grads);
      if (l > 0) {
        const below = fwd.layers[l - 1]!;
        if (below.mask) for (let i = 0; i < dInput!.length; i++) dInput![i]! *= below.mask[i]!;
        dOut = dInput!;
      } else if (dInput) {
        const E = a.embedding;
        const dEmb = grads.get('embedding')!;
        for (let t = 0; t < T; t++)
          for (let b = 0; b < B; b++) {
            const id = fwd.ids[b * T + t]!;
            const src = (t * B + b) * E;
            for (let e = 0; e < E; e++) dEmb[id * E + e]! += dInput[src + e]!;
          }
      }
    }
    return loss;
  }

  private backDirection(
    l: number,
    backward: boolean,
    layer: LayerCache,
    dOut: Float32Array,
    outWidth: number,
    outOffset: number,
    ids: Int32Array,
    B: number,
    inWidth: number,
    dInput: Float32Array | undefined,
    grads: LstmWeights,
  ): void {
    const a = this.architecture;
    const T = a.window;
    const H = a.lstmUnits[l]!;
    const G = 4 * H;
    const N = T * B;
    const prefix = `lstm${l}_${backward ? 'bwd' : 'fwd'}`;
    const { gates, cells, cellTanh, hidden } = layer.dirs[backward ? 1 : 0];
    const dz = new Float32Array(N * G);
    const dh = new Float32Array(B * H);
    const dc = new Float32Array(B * H);
    const k = this.kernels;
    // U is stored H x 4H; the step loop multiplies by its transpose.
    const recurrentT: ConstMatrix = k.constant(this.w(`${prefix}_recurrent`), G, H, true);
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = backward ? T - 1 - s : s;
        const tp = backward ? t + 1 : t - 1;
        for (let b = 0; b < B; b++) {
          const r = t * B + b;
          const gr = r * G;
          const pr = (tp * B + b) * H;
          for (let j = 0; j < H; j++) {
            const k = b * H + j;
            const dhT = dh[k]! + dOut[r * outWidth + outOffset + j]!;
            const i = gates[gr + j]!;
            const f = gates[gr + H + j]!;
            const g = gates[gr + 2 * H + j]!;
            const o = gates[gr + 3 * H + j]!;
            const tc = cellTanh[r * H + j]!;
            const dcT = dc[k]! + dhT * o * (1 - tc * tc);
            const cPrev = s > 0 ? cells[pr + j]! : 0;
            dz[gr + j] = dcT * g * i * (1 - i);
            dz[gr + H + j] = dcT * cPrev * f * (1 - f);
            dz[gr + 2 * H + j] = dcT * i * (1 - g * g);
            dz[gr + 3 * H + j] = dhT * tc * o * (1 - o);
            dc[k] = dcT * f;
          }
        }
        if (s > 0) k.gemmConst(dz.subarray(t * B * G, (t + 1) * B * G), B, recurrentT, dh);
      }
    } finally {
      k.release(recurrentT);
    }

    // Recurrent kernel: the sum over steps of h_prev^T · dz is one product over all rows, since in
    // time-major order the previous states of rows t*B.. are the rows one block of B earlier (forward)
    // or later (backward); the step with no previous state is left out.
    const M = (T - 1) * B;
    const gU = grads.get(`${prefix}_recurrent`)!;
    if (M > 0) {
      if (backward) k.gemm(true, false, H, G, M, hidden.subarray(B * H), dz.subarray(0, M * G), gU, true);
      else k.gemm(true, false, H, G, M, hidden.subarray(0, M * H), dz.subarray(B * G), gU, true);
    }
    addColumnSums(dz, N, G, grads.get(`${prefix}_bias`)!);

    const dKernel = grads.get(`${prefix}_kernel`)!;
    if (layer.input) {
      k.gemm(true, false, inWidth, G, N, layer.input, dz, dKernel, true);
      k.gemm(false, true, N, inWidth, G, dz, this.w(`${prefix}_kernel`), dInput!, true);
    } else {
      // One-hot or float input: the kernel's gradient is a scatter of dz rows, no product needed.
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const id = ids[b * T + t]!;
          const src = (t * B + b) * G;
          if (a.floatInput) {
            const x = id / a.vocabSize;
            for (let j = 0; j < G; j++) dKernel[j]! += x * dz[src + j]!;
          } else for (let j = 0; j < G; j++) dKernel[id * G + j]! += dz[src + j]!;
        }
    }
  }
}

function addColumnSums(m: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c]! += m[o + c]!;
  }
}
