/**
 * The composer's forward and backward passes (src/core/common/models/composer.ts), written for
 * the kernel layer: activations are Float32Arrays in time-major order (row t*B + b), every matrix
 * product is one `sgemm` (the system BLAS where it loads), and the element-wise work is fused
 * kernels on a workspace (`tensor/elementwise.ts`: WebAssembly SIMD where it runs, else
 * TypeScript) whose arrays are reused from step to step. One training call runs a chunk of `T`
 * tokens of `B` streams: the forward layers start from the state the previous chunk left
 * (truncated backpropagation through time), the look-back LSTM reads the `lookback` tokens up to
 * each position, so every position is a training target and the cost per target does not depend
 * on how much of the piece came before.
 */
import type { ComposerArchitecture } from '../../../common/models/composer';
import type { Rng } from '../../../common/random';
import type { Sgemm } from '../../tensor/blas';
import type { Workspace } from '../../tensor/elementwise';
import { elementwise } from '../../tensor/elementwise';

/** Named weights (or gradients) in `composerWeightShapes` order. */
export type ComposerWeights = Map<string, Float32Array>;

/** The forward layers' carried state: h and c per layer, each [B, H]. */
export interface ComposerState {
  h: Float32Array[];
  c: Float32Array[];
}

/** One chunk of training or scoring data, time-major. */
export interface ComposerChunk {
  /** Streams. */
  batch: number;
  /** Tokens per stream. */
  steps: number;
  /** Input ids x_t, [T*B] (id V = start of piece). */
  inputs: Int32Array;
  /** The `lookback - 1` ids before the chunk per stream, oldest first, [(K-1)*B] (id V where none). */
  history: Int32Array;
  /** Target ids x_{t+1}, [T*B]; -1 where there is none (padding after a piece's end). */
  targets: Int32Array;
}

/** A zeroed chunk of `batch` streams x `steps` tokens for a model reading `lookback` tokens back. */
export function emptyChunk(batch: number, steps: number, lookback: number): ComposerChunk {
  return {
    batch,
    steps,
    inputs: new Int32Array(steps * batch),
    history: new Int32Array((lookback - 1) * batch),
    targets: new Int32Array(steps * batch),
  };
}

interface LayerCache {
  /** The layer's input for layers above the first, [N, Hin]. */
  input?: Float32Array;
  gates: Float32Array;
  cells: Float32Array;
  cellTanh: Float32Array;
  hidden: Float32Array;
  h0: Float32Array;
  c0: Float32Array;
  /** Dropout multipliers on this layer's output (training, below the top layer). */
  mask?: Float32Array;
}

/** What the backward pass needs from a forward pass. */
export interface ComposerForward {
  chunk: ComposerChunk;
  /** Summed NLL of the targets, nats. */
  lossSum: number;
  /** Targets counted. */
  count: number;
  /** Targets whose most likely token was right. */
  correct: number;
  /** The state after the chunk's last step (for the next chunk). */
  state: ComposerState;
  /** Next-token probabilities [T*B, V] (time-major rows; the caller's to keep). */
  probs: Float32Array;
  /** @internal the workspace frame the arrays below live in. */
  frame: number;
  /** @internal */
  layers: LayerCache[];
  /** @internal the inputs and targets, in the workspace. */
  inputs: Int32Array;
  targets: Int32Array;
  /** @internal look-back ids per step, [K][N]. */
  backIds: Int32Array[];
  /** @internal look-back caches per step. */
  back: { gates: Float32Array; cells: Float32Array; cellTanh: Float32Array; hidden: Float32Array }[];
  /** @internal features after dropout. */
  top: Float32Array;
  backFeature: Float32Array;
  topMask?: Float32Array;
  backMask?: Float32Array;
  /** @internal the softmax output [N, V], in the workspace (backward turns it into the logits' gradient). */
  softmax: Float32Array;
}

/**
 * The composer over `weights` (not copied: an optimizer may update them between calls). Its
 * working arrays come from `workspace` (default: a new one of the process's element-wise
 * provider), reused from one forward pass to the next: a forward pass's caches are valid until
 * the engine's next `forward`.
 */
export class ComposerEngine {
  constructor(
    readonly architecture: ComposerArchitecture,
    readonly weights: ComposerWeights,
    private readonly sgemm: Sgemm,
    readonly workspace: Workspace = elementwise().workspace(),
  ) {}

  private w(name: string): Float32Array {
    const w = this.weights.get(name);
    if (!w) throw new Error(`composer weight ${name} is missing`);
    return w;
  }

  /** A zero state for `batch` streams. */
  zeroState(batch: number): ComposerState {
    return {
      h: this.architecture.forwardUnits.map((H) => new Float32Array(batch * H)),
      c: this.architecture.forwardUnits.map((H) => new Float32Array(batch * H)),
    };
  }

  /**
   * Runs a chunk forward from `state` (not modified). With `dropoutRng` it is a training pass.
   * Scores every target (loss, accuracy) and keeps what `backward` needs.
   */
  forward(chunk: ComposerChunk, state: ComposerState, dropoutRng?: Rng): ComposerForward {
    const a = this.architecture;
    const { batch: B, steps: T } = chunk;
    const N = B * T;
    const V = a.vocabSize;
    const K = a.lookback;
    const train = dropoutRng !== undefined && a.dropout > 0;
    const gemm = this.sgemm;
    const ws = this.workspace;
    const frame = ws.frame();
    const inputs = ws.copy(chunk.inputs);
    const targets = ws.copy(chunk.targets);

    // Forward layers, carried state. Layer 0's input projection is a row of fwd0_input per token,
    // added by the cell kernel (no gathered copy of it); the bias is added there too.
    const layers: LayerCache[] = [];
    let input: Float32Array | undefined;
    let inWidth = 0;
    a.forwardUnits.forEach((H, l) => {
      const G = 4 * H;
      const gates = ws.f32(N * G, false);
      const bias = ws.copy(this.w(`fwd${l}_bias`));
      const table = l === 0 ? ws.copy(this.w('fwd0_input')) : undefined;
      if (l > 0)
        gemm(false, false, N, G, inWidth, 1, input!, inWidth, this.w(`fwd${l}_kernel`), G, 0, gates, G);
      const U = this.w(`fwd${l}_recurrent`);
      const cells = ws.f32(N * H, false);
      const cellTanh = ws.f32(N * H, false);
      const hidden = ws.f32(N * H, false);
      const h0 = ws.copy(state.h[l]!);
      const c0 = ws.copy(state.c[l]!);
      for (let t = 0; t < T; t++) {
        const gt = gates.subarray(t * B * G, (t + 1) * B * G);
        const hPrev = t === 0 ? h0 : hidden.subarray((t - 1) * B * H, t * B * H);
        const cPrev = t === 0 ? c0 : cells.subarray((t - 1) * B * H, t * B * H);
        gemm(false, false, B, G, H, 1, hPrev, H, U, G, l === 0 ? 0 : 1, gt, G);
        const r0 = t * B * H;
        ws.cellForward({
          gates: gt,
          hasProduct: true,
          ...(table ? { table, ids: inputs.subarray(t * B) } : {}),
          bias,
          cPrev,
          cells: cells.subarray(r0),
          cellTanh: cellTanh.subarray(r0),
          hidden: hidden.subarray(r0),
          rows: B,
          units: H,
        });
      }
      const layer: LayerCache = { gates, cells, cellTanh, hidden, h0, c0 };
      if (input) layer.input = input;
      layers.push(layer);
      if (l < a.forwardUnits.length - 1) {
        let out = hidden;
        if (train) {
          layer.mask = ws.f32(N * H, false);
          out = ws.f32(N * H, false);
          ws.dropout(hidden, out, layer.mask, a.dropout, dropoutRng);
        }
        input = out;
        inWidth = H;
      }
    });
    const top = layers[layers.length - 1]!;
    const Ht = a.forwardUnits[a.forwardUnits.length - 1]!;
    const stateOut: ComposerState = {
      h: layers.map((L, l) => L.hidden.slice((T - 1) * B * a.forwardUnits[l]!, T * B * a.forwardUnits[l]!)),
      c: layers.map((L, l) => L.cells.slice((T - 1) * B * a.forwardUnits[l]!, T * B * a.forwardUnits[l]!)),
    };

    // Look-back LSTM over the last K tokens of every position, newest first.
    const Hb = a.backwardUnits;
    const Gb = 4 * Hb;
    const backIds: Int32Array[] = [];
    const back: ComposerForward['back'] = [];
    const Ub = this.w('bwd_recurrent');
    const backTable = ws.copy(this.w('bwd_input'));
    const backBias = ws.copy(this.w('bwd_bias'));
    for (let j = 0; j < K; j++) {
      const ids = ws.i32(N);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const p = t - j;
          ids[t * B + b] =
            p >= 0 ? chunk.inputs[p * B + b]! : p >= -(K - 1) ? chunk.history[(K - 1 + p) * B + b]! : V;
        }
      backIds.push(ids);
      const gates = ws.f32(N * Gb, false);
      const prev = back[j - 1];
      if (prev) gemm(false, false, N, Gb, Hb, 1, prev.hidden, Hb, Ub, Gb, 0, gates, Gb);
      const cells = ws.f32(N * Hb, false);
      const cellTanh = ws.f32(N * Hb, false);
      const hidden = ws.f32(N * Hb, false);
      ws.cellForward({
        gates,
        hasProduct: prev !== undefined,
        table: backTable,
        ids,
        bias: backBias,
        ...(prev ? { cPrev: prev.cells } : {}),
        cells,
        cellTanh,
        hidden,
        rows: N,
        units: Hb,
      });
      back.push({ gates, cells, cellTanh, hidden });
    }

    // Features, dropout, output.
    let topFeature = top.hidden;
    let backFeature = back[K - 1]!.hidden;
    let topMask: Float32Array | undefined;
    let backMask: Float32Array | undefined;
    if (train) {
      topMask = ws.f32(N * Ht, false);
      backMask = ws.f32(N * Hb, false);
      const topOut = ws.f32(N * Ht, false);
      const backOut = ws.f32(N * Hb, false);
      ws.dropout(topFeature, topOut, topMask, a.dropout, dropoutRng);
      ws.dropout(backFeature, backOut, backMask, a.dropout, dropoutRng);
      topFeature = topOut;
      backFeature = backOut;
    }
    const Wo = this.w('out_kernel');
    const softmax = ws.f32(N * V, false);
    gemm(false, false, N, V, Ht, 1, topFeature, Ht, Wo, V, 0, softmax, V);
    gemm(false, false, N, V, Hb, 1, backFeature, Hb, Wo.subarray(Ht * V), V, 1, softmax, V);
    const argmax = ws.i32(N);
    ws.softmaxRows(softmax, this.w('out_bias'), N, V, argmax);
    let lossSum = 0;
    let count = 0;
    let correct = 0;
    for (let n = 0; n < N; n++) {
      const target = chunk.targets[n]!;
      if (target >= 0) {
        lossSum -= Math.log(Math.max(softmax[n * V + target]!, 1e-30));
        count++;
        if (argmax[n] === target) correct++;
      }
    }
    return {
      chunk,
      lossSum,
      count,
      correct,
      state: stateOut,
      probs: softmax.slice(),
      frame,
      layers,
      inputs,
      targets,
      backIds,
      back,
      top: topFeature,
      backFeature,
      ...(topMask ? { topMask } : {}),
      ...(backMask ? { backMask } : {}),
      softmax,
    };
  }

  /**
   * Adds the gradient of the mean loss over the chunk's `count` targets (or over `normalizer`
   * targets when given) into `grads`, and returns that mean loss. `f` must be this engine's
   * latest forward pass (a later one reuses its arrays).
   */
  backward(f: ComposerForward, grads: ComposerWeights, normalizer = f.count): number {
    const a = this.architecture;
    const { batch: B, steps: T } = f.chunk;
    const N = B * T;
    const V = a.vocabSize;
    const K = a.lookback;
    const Ht = a.forwardUnits[a.forwardUnits.length - 1]!;
    const Hb = a.backwardUnits;
    const Gb = 4 * Hb;
    const gemm = this.sgemm;
    const ws = this.workspace;
    const g = (name: string): Float32Array => grads.get(name)!;
    if (f.frame !== ws.current)
      throw new Error(
        'ComposerEngine.backward needs the latest forward pass: a later forward pass has reused its arrays.',
      );
    if (normalizer === 0) return 0;

    // Output layer: dlogits = (p - onehot) / normalizer on rows with a target.
    const dl = f.softmax;
    ws.crossEntropyGrad(dl, f.targets, N, V, 1 / normalizer);
    const Wo = this.w('out_kernel');
    const dWo = g('out_kernel');
    gemm(true, false, Ht, V, N, 1, f.top, Ht, dl, V, 1, dWo, V);
    gemm(true, false, Hb, V, N, 1, f.backFeature, Hb, dl, V, 1, dWo.subarray(Ht * V), V);
    ws.addRows(dl, undefined, 0, N, V, g('out_bias'));
    const dTop = ws.f32(N * Ht, false);
    gemm(false, true, N, Ht, V, 1, dl, V, Wo, V, 0, dTop, Ht);
    const dBack = ws.f32(N * Hb, false);
    gemm(false, true, N, Hb, V, 1, dl, V, Wo.subarray(Ht * V), V, 0, dBack, Hb);
    if (f.topMask) ws.mul(dTop, f.topMask, dTop);
    if (f.backMask) ws.mul(dBack, f.backMask, dBack);

    // Look-back LSTM, from its last step to its first. The bias and input-row gradients are summed
    // by the cell kernel into workspace arrays, then added into `grads` once.
    const Ub = this.w('bwd_recurrent');
    const dUb = g('bwd_recurrent');
    const dBackBias = ws.f32(Gb);
    const dBackTable = ws.f32(g('bwd_input').length);
    const dc = ws.f32(N * Hb);
    const dz = ws.f32(N * Gb, false);
    const dhBuffers = [ws.f32(N * Hb, false), ws.f32(N * Hb, false)];
    let dh = dBack;
    for (let j = K - 1; j >= 0; j--) {
      const step = f.back[j]!;
      const prev = f.back[j - 1];
      ws.cellBackward({
        gates: step.gates,
        cellTanh: step.cellTanh,
        ...(prev ? { cPrev: prev.cells } : {}),
        dh,
        dcNext: dc,
        dz,
        dBias: dBackBias,
        dTable: dBackTable,
        ids: f.backIds[j]!,
        rows: N,
        units: Hb,
      });
      if (prev) {
        gemm(true, false, Hb, Gb, N, 1, prev.hidden, Hb, dz, Gb, 1, dUb, Gb);
        const next = dhBuffers[j % 2]!;
        gemm(false, true, N, Hb, Gb, 1, dz, Gb, Ub, Gb, 0, next, Hb);
        dh = next;
      }
    }
    ws.addRows(dBackBias, undefined, 0, 1, Gb, g('bwd_bias'));
    ws.addRows(dBackTable, undefined, 0, 1, dBackTable.length, g('bwd_input'));

    // Forward layers, top to bottom, each back through its T steps.
    let dH = dTop;
    for (let l = a.forwardUnits.length - 1; l >= 0; l--) {
      const H = a.forwardUnits[l]!;
      const G = 4 * H;
      const L = f.layers[l]!;
      const U = this.w(`fwd${l}_recurrent`);
      const dZ = ws.f32(N * G, false);
      const dhNext = ws.f32(B * H);
      const dcNext = ws.f32(B * H);
      const dBias = ws.f32(G);
      const dTable = l === 0 ? ws.f32(g('fwd0_input').length) : undefined;
      for (let t = T - 1; t >= 0; t--) {
        const r0 = t * B * H;
        const cPrev = t === 0 ? L.c0 : L.cells.subarray((t - 1) * B * H, t * B * H);
        const dzt = dZ.subarray(t * B * G, (t + 1) * B * G);
        ws.cellBackward({
          gates: L.gates.subarray(t * B * G),
          cellTanh: L.cellTanh.subarray(r0),
          cPrev,
          dh: dhNext,
          dhAdd: dH.subarray(r0),
          dcNext,
          dz: dzt,
          dBias,
          ...(dTable ? { dTable, ids: f.inputs.subarray(t * B) } : {}),
          rows: B,
          units: H,
        });
        gemm(false, true, B, H, G, 1, dzt, G, U, G, 0, dhNext, H);
      }
      // The previous states of rows t*B.. are h0 for t = 0, else the hidden rows one block earlier.
      const dU = g(`fwd${l}_recurrent`);
      gemm(true, false, H, G, B, 1, L.h0, H, dZ, G, 1, dU, G);
      if (T > 1) gemm(true, false, H, G, (T - 1) * B, 1, L.hidden, H, dZ.subarray(B * G), G, 1, dU, G);
      ws.addRows(dBias, undefined, 0, 1, G, g(`fwd${l}_bias`));
      if (dTable) ws.addRows(dTable, undefined, 0, 1, dTable.length, g('fwd0_input'));
      else {
        const Hin = a.forwardUnits[l - 1]!;
        gemm(true, false, Hin, G, N, 1, L.input!, Hin, dZ, G, 1, g(`fwd${l}_kernel`), G);
        const dIn = ws.f32(N * Hin, false);
        gemm(false, true, N, Hin, G, 1, dZ, G, this.w(`fwd${l}_kernel`), G, 0, dIn, Hin);
        const mask = f.layers[l - 1]!.mask;
        if (mask) ws.mul(dIn, mask, dIn);
        dH = dIn;
      }
    }
    return f.lossSum / normalizer;
  }
}
