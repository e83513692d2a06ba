/**
 * The composer's forward and backward passes (src/core/common/models/composer.ts), written for
 * the kernel layer: activations are Float32Arrays in time-major order (row t*B + b), every matrix
 * product is one `sgemm` (the system BLAS where it loads), and the element-wise work is plain
 * loops. One training call runs a chunk of `T` tokens of `B` streams: the forward layers start
 * from the state the previous chunk left (truncated backpropagation through time), the look-back
 * LSTM reads the `lookback` tokens up to each position, so every position is a training target
 * and the cost per target does not depend on how much of the piece came before.
 */
import type { ComposerArchitecture } from '../../../common/models/composer';
import type { Rng } from '../../../common/random';
import type { Sgemm } from '../../tensor/blas';

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
  /** @internal */
  layers: LayerCache[];
  /** @internal look-back ids per step, [K][N]. */
  backIds: Int32Array[];
  /** @internal look-back caches per step. */
  back: { gates: Float32Array; cells: Float32Array; cellTanh: Float32Array; hidden: Float32Array }[];
  /** @internal features after dropout. */
  top: Float32Array;
  backFeature: Float32Array;
  topMask?: Float32Array;
  backMask?: Float32Array;
  /** @internal softmax output [N, V]. */
  probs: Float32Array;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function tanh(x: number): number {
  return 1 - 2 / (Math.exp(2 * x) + 1);
}

/**
 * Activates `rows` rows of gate pre-activations in place (i, f, o sigmoid; g tanh) and writes the
 * cell, its tanh and the hidden state. `cPrev` undefined means a zero previous cell.
 */
function cellForward(
  gates: Float32Array,
  cPrev: Float32Array | undefined,
  cells: Float32Array,
  cellTanh: Float32Array,
  hidden: Float32Array,
  rows: number,
  H: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * H;
    const c0 = r * H;
    for (let u = 0; u < H; u++) {
      const i = sigmoid(gates[g0 + u]!);
      const f = sigmoid(gates[g0 + H + u]!);
      const g = tanh(gates[g0 + 2 * H + u]!);
      const o = sigmoid(gates[g0 + 3 * H + u]!);
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

/**
 * One step back through a cell for `rows` rows: from dh (gradient on h) and dcNext (on c from the
 * step after), writes the gate pre-activation gradients into dz and dc_prev into dcNext.
 */
function cellBackward(
  gates: Float32Array,
  cellTanh: Float32Array,
  cPrev: Float32Array | undefined,
  dh: Float32Array,
  dcNext: Float32Array,
  dz: Float32Array,
  rows: number,
  H: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * H;
    const c0 = r * H;
    for (let u = 0; u < H; u++) {
      const i = gates[g0 + u]!;
      const f = gates[g0 + H + u]!;
      const g = gates[g0 + 2 * H + u]!;
      const o = gates[g0 + 3 * H + u]!;
      const ct = cellTanh[c0 + u]!;
      const d = dh[c0 + u]!;
      const dc = d * o * (1 - ct * ct) + dcNext[c0 + u]!;
      const cp = cPrev ? cPrev[c0 + u]! : 0;
      dz[g0 + u] = dc * g * i * (1 - i);
      dz[g0 + H + u] = dc * cp * f * (1 - f);
      dz[g0 + 2 * H + u] = dc * i * (1 - g * g);
      dz[g0 + 3 * H + u] = d * ct * o * (1 - o);
      dcNext[c0 + u] = dc * f;
    }
  }
}

function gatherRows(table: Float32Array, ids: Int32Array, width: number, bias: Float32Array, out: Float32Array): void {
  for (let n = 0; n < ids.length; n++) {
    const src = ids[n]! * width;
    const dst = n * width;
    for (let k = 0; k < width; k++) out[dst + k] = table[src + k]! + bias[k]!;
  }
}

function scatterAddRows(grad: Float32Array, ids: Int32Array, width: number, dz: Float32Array): void {
  for (let n = 0; n < ids.length; n++) {
    const dst = ids[n]! * width;
    const src = n * width;
    for (let k = 0; k < width; k++) grad[dst + k]! += dz[src + k]!;
  }
}

function addColumnSums(grad: Float32Array, m: Float32Array, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let k = 0; k < width; k++) grad[k]! += m[o + k]!;
  }
}

function dropoutMask(size: number, rate: number, rng: Rng): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < size; i++) mask[i] = rng.next() < rate ? 0 : keep;
  return mask;
}

/** The composer over `weights` (not copied: an optimizer may update them between calls). */
export class ComposerEngine {
  constructor(
    readonly architecture: ComposerArchitecture,
    readonly weights: ComposerWeights,
    private readonly sgemm: Sgemm,
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

    // Forward layers, carried state.
    const layers: LayerCache[] = [];
    let input: Float32Array | undefined;
    let inWidth = 0;
    a.forwardUnits.forEach((H, l) => {
      const G = 4 * H;
      const gates = new Float32Array(N * G);
      const bias = this.w(`fwd${l}_bias`);
      if (l === 0) gatherRows(this.w('fwd0_input'), chunk.inputs, G, bias, gates);
      else {
        gemm(false, false, N, G, inWidth, 1, input!, inWidth, this.w(`fwd${l}_kernel`), G, 0, gates, G);
        for (let n = 0; n < N; n++) for (let k = 0; k < G; k++) gates[n * G + k]! += bias[k]!;
      }
      const U = this.w(`fwd${l}_recurrent`);
      const cells = new Float32Array(N * H);
      const cellTanh = new Float32Array(N * H);
      const hidden = new Float32Array(N * H);
      const h0 = state.h[l]!;
      const c0 = state.c[l]!;
      for (let t = 0; t < T; t++) {
        const gt = gates.subarray(t * B * G, (t + 1) * B * G);
        const hPrev = t === 0 ? h0 : hidden.subarray((t - 1) * B * H, t * B * H);
        const cPrev = t === 0 ? c0 : cells.subarray((t - 1) * B * H, t * B * H);
        gemm(false, false, B, G, H, 1, hPrev, H, U, G, 1, gt, G);
        cellForward(gt, cPrev, cells.subarray(t * B * H), cellTanh.subarray(t * B * H), hidden.subarray(t * B * H), B, H);
      }
      const layer: LayerCache = { gates, cells, cellTanh, hidden, h0, c0 };
      if (input) layer.input = input;
      layers.push(layer);
      if (l < a.forwardUnits.length - 1) {
        let out = hidden;
        if (train) {
          layer.mask = dropoutMask(N * H, a.dropout, dropoutRng);
          out = new Float32Array(N * H);
          for (let i = 0; i < N * H; i++) out[i] = hidden[i]! * layer.mask[i]!;
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
    for (let j = 0; j < K; j++) {
      const ids = new Int32Array(N);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const p = t - j;
          ids[t * B + b] = p >= 0 ? chunk.inputs[p * B + b]! : p >= -(K - 1) ? chunk.history[(K - 1 + p) * B + b]! : V;
        }
      backIds.push(ids);
      const gates = new Float32Array(N * Gb);
      gatherRows(this.w('bwd_input'), ids, Gb, this.w('bwd_bias'), gates);
      const prev = back[j - 1];
      if (prev) gemm(false, false, N, Gb, Hb, 1, prev.hidden, Hb, Ub, Gb, 1, gates, Gb);
      const cells = new Float32Array(N * Hb);
      const cellTanh = new Float32Array(N * Hb);
      const hidden = new Float32Array(N * Hb);
      cellForward(gates, prev?.cells, cells, cellTanh, hidden, N, Hb);
      back.push({ gates, cells, cellTanh, hidden });
    }

    // Features, dropout, output.
    let topFeature = top.hidden;
    let backFeature = back[K - 1]!.hidden;
    let topMask: Float32Array | undefined;
    let backMask: Float32Array | undefined;
    if (train) {
      topMask = dropoutMask(N * Ht, a.dropout, dropoutRng);
      backMask = dropoutMask(N * Hb, a.dropout, dropoutRng);
      topFeature = topFeature.map((v, i) => v * topMask![i]!);
      backFeature = backFeature.map((v, i) => v * backMask![i]!);
    }
    const Wo = this.w('out_kernel');
    const probs = new Float32Array(N * V);
    const bo = this.w('out_bias');
    for (let n = 0; n < N; n++) probs.set(bo, n * V);
    gemm(false, false, N, V, Ht, 1, topFeature, Ht, Wo, V, 1, probs, V);
    gemm(false, false, N, V, Hb, 1, backFeature, Hb, Wo.subarray(Ht * V), V, 1, probs, V);
    let lossSum = 0;
    let count = 0;
    let correct = 0;
    for (let n = 0; n < N; n++) {
      const o = n * V;
      let max = -Infinity;
      let arg = 0;
      for (let v = 0; v < V; v++)
        if (probs[o + v]! > max) {
          max = probs[o + v]!;
          arg = v;
        }
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(probs[o + v]! - max);
        probs[o + v] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let v = 0; v < V; v++) probs[o + v]! *= inv;
      const target = chunk.targets[n]!;
      if (target >= 0) {
        lossSum -= Math.log(Math.max(probs[o + target]!, 1e-30));
        count++;
        if (arg === target) correct++;
      }
    }
    return {
      chunk,
      lossSum,
      count,
      correct,
      state: stateOut,
      layers,
      backIds,
      back,
      top: topFeature,
      backFeature,
      ...(topMask ? { topMask } : {}),
      ...(backMask ? { backMask } : {}),
      probs,
    };
  }

  /**
   * Adds the gradient of the mean loss over the chunk's `count` targets (or over `normalizer`
   * targets when given) into `grads`, and returns that mean loss.
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
    const g = (name: string): Float32Array => grads.get(name)!;
    if (normalizer === 0) return 0;

    // Output layer: dlogits = (p - onehot) / normalizer on rows with a target.
    const dl = f.probs;
    const scale = 1 / normalizer;
    for (let n = 0; n < N; n++) {
      const o = n * V;
      const target = f.chunk.targets[n]!;
      if (target < 0) {
        dl.fill(0, o, o + V);
        continue;
      }
      for (let v = 0; v < V; v++) dl[o + v]! *= scale;
      dl[o + target]! -= scale;
    }
    const Wo = this.w('out_kernel');
    const dWo = g('out_kernel');
    gemm(true, false, Ht, V, N, 1, f.top, Ht, dl, V, 1, dWo, V);
    gemm(true, false, Hb, V, N, 1, f.backFeature, Hb, dl, V, 1, dWo.subarray(Ht * V), V);
    addColumnSums(g('out_bias'), dl, N, V);
    const dTop = new Float32Array(N * Ht);
    gemm(false, true, N, Ht, V, 1, dl, V, Wo, V, 0, dTop, Ht);
    const dBack = new Float32Array(N * Hb);
    gemm(false, true, N, Hb, V, 1, dl, V, Wo.subarray(Ht * V), V, 0, dBack, Hb);
    if (f.topMask) for (let i = 0; i < dTop.length; i++) dTop[i]! *= f.topMask[i]!;
    if (f.backMask) for (let i = 0; i < dBack.length; i++) dBack[i]! *= f.backMask[i]!;

    // Look-back LSTM, from its last step to its first.
    const Ub = this.w('bwd_recurrent');
    const dUb = g('bwd_recurrent');
    const dc = new Float32Array(N * Hb);
    const dz = new Float32Array(N * Gb);
    let dh = dBack;
    for (let j = K - 1; j >= 0; j--) {
      const step = f.back[j]!;
      const prev = f.back[j - 1];
      cellBackward(step.gates, step.cellTanh, prev?.cells, dh, dc, dz, N, Hb);
      addColumnSums(g('bwd_bias'), dz, N, Gb);
      scatterAddRows(g('bwd_input'), f.backIds[j]!, Gb, dz);
      if (prev) {
        gemm(true, false, Hb, Gb, N, 1, prev.hidden, Hb, dz, Gb, 1, dUb, Gb);
        const next = new Float32Array(N * Hb);
        gemm(false, true, N, Hb, Gb, 1, dz, Gb, Ub, Gb, 0, next, Hb);
        dh = next;
      }
    }

    // Forward layers, top to bottom, each back through its T steps.
    let dH = dTop;
    for (let l = a.forwardUnits.length - 1; l >= 0; l--) {
      const H = a.forwardUnits[l]!;
      const G = 4 * H;
      const L = f.layers[l]!;
      const U = this.w(`fwd${l}_recurrent`);
      const dZ = new Float32Array(N * G);
      const dhNext = new Float32Array(B * H);
      const dcNext = new Float32Array(B * H);
      const dhStep = new Float32Array(B * H);
      for (let t = T - 1; t >= 0; t--) {
        const r0 = t * B * H;
        for (let i = 0; i < B * H; i++) dhStep[i] = dH[r0 + i]! + dhNext[i]!;
        const cPrev = t === 0 ? L.c0 : L.cells.subarray((t - 1) * B * H, t * B * H);
        const dzt = dZ.subarray(t * B * G, (t + 1) * B * G);
        cellBackward(L.gates.subarray(t * B * G), L.cellTanh.subarray(r0), cPrev, dhStep, dcNext, dzt, B, H);
        gemm(false, true, B, H, G, 1, dzt, G, U, G, 0, dhNext, H);
      }
      const hPrev = new Float32Array(N * H);
      hPrev.set(L.h0, 0);
      hPrev.set(L.hidden.subarray(0, (T - 1) * B * H), B * H);
      gemm(true, false, H, G, N, 1, hPrev, H, dZ, G, 1, g(`fwd${l}_recurrent`), G);
      addColumnSums(g(`fwd${l}_bias`), dZ, N, G);
      if (l === 0) scatterAddRows(g('fwd0_input'), f.chunk.inputs, G, dZ);
      else {
        const Hin = a.forwardUnits[l - 1]!;
        gemm(true, false, Hin, G, N, 1, L.input!, Hin, dZ, G, 1, g(`fwd${l}_kernel`), G);
        const dIn = new Float32Array(N * Hin);
        gemm(false, true, N, Hin, G, 1, dZ, G, this.w(`fwd${l}_kernel`), G, 0, dIn, Hin);
        const mask = f.layers[l - 1]!.mask;
        if (mask) for (let i = 0; i < dIn.length; i++) dIn[i]! *= mask[i]!;
        dH = dIn;
      }
    }
    return f.lossSum / normalizer;
  }
}
