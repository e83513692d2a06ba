/**
 * The BiLSTM's forward and backward passes (hand-written backpropagation through time) over
 * Float32Arrays, with every matrix product on the kernel layer (`tensor/kernels.ts`: the system
 * BLAS, or a TF.js backend): activations are in time-major order (row t*B + b), the input
 * projection of every time step is one big product, each step multiplies only h·U, and the
 * gradients of all kernels are one product each after the step loop, read in place (transposes
 * are flags to the product, not copies). The element-wise passes are fused kernels on the engine's
 * workspace (`tensor/elementwise.ts`: WebAssembly SIMD where it runs, else TypeScript), whose
 * arrays are reused from one forward pass to the next.
 * The maths is exactly the contract in src/core/common/models/lstm.ts (Keras gate order i, f, c, o).
 */
import type { LstmArchitecture } from '../../../common/models/lstm';
import type { Rng } from '../../../common/random';
import type { Workspace } from '../../tensor/elementwise';
import { elementwise } from '../../tensor/elementwise';
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
  /** Next-token probabilities, [batch, vocabSize] (the caller's to keep). */
  probs: Float32Array;
  /** @internal the workspace frame the arrays below live in. */
  frame: number;
  /** @internal the ids, in the workspace. */
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

/**
 * A BiLSTM over `weights` (not copied: an optimizer may update them between calls), multiplying
 * on `kernels` (default: the provider `selectKernels` chose), with its element-wise passes and
 * working arrays on `workspace` (default: a new one of the process's element-wise provider). A
 * forward pass's caches are valid until the engine's next `forward`.
 */
export class BiLstmEngine {
  constructor(
    readonly architecture: LstmArchitecture,
    readonly weights: LstmWeights,
    readonly kernels: Kernels = activeKernels(),
    readonly workspace: Workspace = elementwise().workspace(),
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
    const ws = this.workspace;
    const frame = ws.frame();
    const idsWs = ws.copy(ids.subarray(0, B * T));
    const layers: LayerCache[] = [];

    let input: Float32Array | undefined;
    let inWidth = a.floatInput ? 1 : a.embedding > 0 ? a.embedding : V;
    if (a.embedding > 0 && !a.floatInput) {
      const E = a.embedding;
      const emb = this.w('embedding');
      input = ws.f32(N * E, false);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++)
          input.set(emb.subarray(ids[b * T + t]! * E, ids[b * T + t]! * E + E), (t * B + b) * E);
    }

    let features: Float32Array = new Float32Array(0);
    let featureMask: Float32Array | undefined;
    a.lstmUnits.forEach((H, l) => {
      const last = l === a.lstmUnits.length - 1;
      const dirs = [0, 1].map((d) => this.runDirection(l, d === 1, input, inWidth, idsWs, B)) as [
        DirectionCache,
        DirectionCache,
      ];
      const layer: LayerCache = { dirs };
      if (input) layer.input = input;
      if (!last) {
        const out = ws.f32(N * 2 * H, false);
        for (let r = 0; r < N; r++) {
          out.set(dirs[0].hidden.subarray(r * H, r * H + H), r * 2 * H);
          out.set(dirs[1].hidden.subarray(r * H, r * H + H), r * 2 * H + H);
        }
        if (train) {
          layer.mask = ws.f32(out.length, false);
          ws.dropout(out, out, layer.mask, a.dropout, dropoutRng);
        }
        input = out;
        inWidth = 2 * H;
      } else {
        features = ws.f32(B * 2 * H, false);
        const fwdLast = (T - 1) * B * H;
        for (let b = 0; b < B; b++) {
          features.set(dirs[0].hidden.subarray(fwdLast + b * H, fwdLast + b * H + H), b * 2 * H);
          features.set(dirs[1].hidden.subarray(b * H, b * H + H), b * 2 * H + H);
        }
        if (train) {
          featureMask = ws.f32(features.length, false);
          ws.dropout(features, features, featureMask, a.dropout, dropoutRng);
        }
      }
      layers.push(layer);
    });

    const F = 2 * a.lstmUnits[a.lstmUnits.length - 1]!;
    const D = a.denseUnits;
    const densePre = ws.f32(B * D, false);
    const k = this.kernels;
    k.gemm(false, false, B, D, F, features, this.w('dense_kernel'), densePre);
    const denseBias = this.w('dense_bias');
    const denseOut = ws.f32(B * D, false);
    let denseMask: Float32Array | undefined;
    if (train) ws.dropout(undefined, undefined, (denseMask = ws.f32(B * D, false)), a.dropout, dropoutRng);
    for (let i = 0; i < B * D; i++) {
      const v = (densePre[i]! += denseBias[i % D]!);
      denseOut[i] = v > 0 ? (denseMask ? v * denseMask[i]! : v) : 0;
    }
    const probs = ws.f32(B * V, false);
    k.gemm(false, false, B, V, D, denseOut, this.w('output_kernel'), probs);
    ws.softmaxRows(probs, this.w('output_bias'), B, V, ws.i32(B));
    const result: ForwardResult = { batch: B, probs: probs.slice(), frame, ids: idsWs, layers, features, densePre, denseOut };
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

    // The input's contribution for every time step at once: one product; a one-hot input is a row
    // of the kernel per token instead, which the cell kernel adds itself (as it adds the bias).
    // Each step then adds h·U into its block of `gates` and activates it in place.
    const ws = this.workspace;
    const oneHot = !input && !a.floatInput;
    const gates = ws.f32(N * G, false);
    if (input) this.kernels.gemm(false, false, N, G, inWidth, input, kernel, gates);
    else if (a.floatInput)
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const row = (t * B + b) * G;
          const x = ids[b * T + t]! / a.vocabSize;
          for (let j = 0; j < G; j++) gates[row + j] = x * kernel[j]!;
        }
    const table = oneHot ? ws.copy(kernel) : undefined;
    const biasWs = ws.copy(bias);

    const cells = ws.f32(N * H, false);
    const cellTanh = ws.f32(N * H, false);
    const hidden = ws.f32(N * H, false);
    const recurrent = this.kernels.constant(this.w(`${prefix}_recurrent`), H, G);
    try {
      for (let s = 0; s < T; s++) {
        const t = backward ? T - 1 - s : s;
        const tp = backward ? t + 1 : t - 1;
        const rec = s > 0;
        const block = gates.subarray(t * B * G, (t + 1) * B * G);
        // A one-hot step's block holds nothing before its recurrent product, so that overwrites it.
        if (rec) this.kernels.gemmConst(hidden.subarray(tp * B * H, (tp + 1) * B * H), B, recurrent, block, !oneHot);
        ws.cellForward({
          gates: block,
          hasProduct: !oneHot || rec,
          ...(table ? { table, ids: ids.subarray(t), idStride: T } : {}),
          bias: biasWs,
          ...(rec ? { cPrev: cells.subarray(tp * B * H, (tp + 1) * B * H) } : {}),
          cells: cells.subarray(t * B * H),
          cellTanh: cellTanh.subarray(t * B * H),
          hidden: hidden.subarray(t * B * H),
          rows: B,
          units: H,
        });
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
    const ws = this.workspace;
    if (fwd.frame !== ws.current) throw new Error('BiLstmEngine.backward needs the latest forward pass: a later forward pass has reused its arrays.');

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
    ws.addRows(dLogits, undefined, 0, B, V, grads.get('output_bias')!);
    const dDense = new Float32Array(B * D);
    k.gemm(false, true, B, D, V, dLogits, this.w('output_kernel'), dDense);
    for (let i = 0; i < B * D; i++)
      dDense[i] = fwd.densePre[i]! > 0 ? dDense[i]! * (fwd.denseMask ? fwd.denseMask[i]! : 1) : 0;

    // Dense layer.
    k.gemm(true, false, F, D, B, fwd.features, dDense, grads.get('dense_kernel')!, true);
    ws.addRows(dDense, undefined, 0, B, D, grads.get('dense_bias')!);
    const dFeatures = ws.f32(B * F, false);
    k.gemm(false, true, B, F, D, dDense, this.w('dense_kernel'), dFeatures);
    if (fwd.featureMask) ws.mul(dFeatures, fwd.featureMask, dFeatures);

    // The last layer's output is each direction's final state: fwd at t = T-1, bwd at t = 0.
    let dOut = ws.f32(T * B * F);
    for (let b = 0; b < B; b++) {
      dOut.set(dFeatures.subarray(b * F, b * F + Hlast), ((T - 1) * B + b) * F);
      dOut.set(dFeatures.subarray(b * F + Hlast, b * F + F), b * F + Hlast);
    }
    for (let l = L - 1; l >= 0; l--) {
      const layer = fwd.layers[l]!;
      const H = a.lstmUnits[l]!;
      const inWidth = l > 0 ? 2 * a.lstmUnits[l - 1]! : a.floatInput ? 1 : a.embedding > 0 ? a.embedding : V;
      const needInputGrad = l > 0 || (a.embedding > 0 && !a.floatInput);
      const dInput = needInputGrad ? ws.f32(T * B * inWidth) : undefined;
      for (let d = 0; d < 2; d++)
        this.backDirection(l, d === 1, layer, dOut, 2 * H, d * H, fwd.ids, B, inWidth, dInput, grads);
      if (l > 0) {
        const below = fwd.layers[l - 1]!;
        if (below.mask) ws.mul(dInput!, below.mask, dInput!);
        dOut = dInput!;
      } else if (dInput) {
        // Row (t, b) of dInput belongs to token ids[b * T + t]: step t's B rows read ids from t, T apart.
        const E = a.embedding;
        const dEmb = ws.f32(grads.get('embedding')!.length);
        for (let t = 0; t < T; t++) ws.addRows(dInput.subarray(t * B * E), fwd.ids.subarray(t), T, B, E, dEmb);
        ws.addRows(dEmb, undefined, 0, 1, dEmb.length, grads.get('embedding')!);
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
    const ws = this.workspace;
    const oneHot = !layer.input && !a.floatInput;
    const dz = ws.f32(N * G, false);
    const dh = ws.f32(B * H);
    const dc = ws.f32(B * H);
    const dBias = ws.f32(G);
    const dTable = oneHot ? ws.f32(grads.get(`${prefix}_kernel`)!.length) : undefined;
    const k = this.kernels;
    // U is stored H x 4H; the step loop multiplies by its transpose.
    const recurrentT: ConstMatrix = k.constant(this.w(`${prefix}_recurrent`), G, H, true);
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = backward ? T - 1 - s : s;
        const tp = backward ? t + 1 : t - 1;
        ws.cellBackward({
          gates: gates.subarray(t * B * G),
          cellTanh: cellTanh.subarray(t * B * H),
          ...(s > 0 ? { cPrev: cells.subarray(tp * B * H, (tp + 1) * B * H) } : {}),
          dh,
          dhAdd: dOut.subarray(t * B * outWidth + outOffset),
          dhAddStride: outWidth,
          dcNext: dc,
          dz: dz.subarray(t * B * G, (t + 1) * B * G),
          dBias,
          ...(dTable ? { dTable, ids: ids.subarray(t), idStride: T } : {}),
          rows: B,
          units: H,
        });
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
    ws.addRows(dBias, undefined, 0, 1, G, grads.get(`${prefix}_bias`)!);

    const dKernel = grads.get(`${prefix}_kernel`)!;
    if (layer.input) {
      k.gemm(true, false, inWidth, G, N, layer.input, dz, dKernel, true);
      k.gemm(false, true, N, inWidth, G, dz, this.w(`${prefix}_kernel`), dInput!, true);
    } else if (dTable) ws.addRows(dTable, undefined, 0, 1, dTable.length, dKernel);
    else
      // Float input: the kernel's gradient is the sum of dz rows times each row's input value.
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const x = ids[b * T + t]! / a.vocabSize;
          const src = (t * B + b) * G;
          for (let j = 0; j < G; j++) dKernel[j]! += x * dz[src + j]!;
        }
  }
}

