/**
 * The BiLSTM of `src/core/common/models/lstm.ts` as an ONNX graph, built in TypeScript.
 *
 * Graph: tokens int32 [batch, window] -> Transpose -> Gather(embedding) (or a one-hot made with
 * Equal + Cast when the architecture has no embedding, or id / vocabSize for the `floatInput`
 * baseline) -> per layer one bidirectional ONNX `LSTM` op -> the last layer's Y_h (each
 * direction's final state: h_fwd at T-1, h_bwd at t=0) -> Gemm + Relu -> Gemm -> Softmax ->
 * probabilities float32 [batch, vocabSize]. `buildLstmStepOnnx` and `buildLstmRestOnnx` cut the
 * same model in two for incremental generation (`incrementalSession.ts`).
 *
 * Keras stores an LSTM kernel as [input, 4H] with gates i, f, c, o and one bias [4H]; ONNX wants
 * W [dirs, 4H, input] and R [dirs, 4H, H] with gates i, o, f, c, and B [dirs, 8H] = (Wb, Rb).
 * `onnxGateBlocks` does that reordering; Rb is zero since Keras has a single bias.
 */
import { ModelError } from '../../common/errors';
import type { LstmArchitecture } from '../../common/models/lstm';
import { lstmWeightShapes } from '../../common/models/lstm';
import { OnnxGraphBuilder } from './graph';

/** Weights by the names `lstmWeightShapes` gives, each a row-major float32 array of that shape. */
export type LstmWeights = ReadonlyMap<string, Float32Array>;

/** Name of the graph's input: token ids, int32 [batch, window]. */
export const ONNX_INPUT = 'tokens';
/** Name of the graph's output: next-token probabilities, float32 [batch, vocabSize]. */
export const ONNX_OUTPUT = 'probabilities';

/** Keras gate index (i, f, c, o) for each ONNX gate slot (i, o, f, c). */
const KERAS_GATE_FOR_ONNX = [0, 3, 1, 2] as const;

/** Checks every weight is present with the size its shape needs; throws `ModelError` naming the first that is not. */
export function checkLstmWeights(architecture: LstmArchitecture, weights: LstmWeights): void {
  for (const [name, shape] of lstmWeightShapes(architecture)) {
    const w = weights.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!w) throw new ModelError(`The LSTM weights lack "${name}".`, { field: name });
    if (w.length !== size)
      throw new ModelError(`The LSTM weight "${name}" has ${w.length} values, but shape [${shape.join(', ')}] needs ${size}.`, { field: name });
  }
}

/**
 * A Keras kernel [inWidth, 4H] (columns in gate order i, f, c, o) transposed to ONNX's
 * [4H, inWidth] with rows in gate order i, o, f, c, written into `out` at `offset`.
 */
export function onnxGateBlocks(kernel: Float32Array, inWidth: number, hidden: number, out: Float32Array, offset: number): void {
  const cols = 4 * hidden;
  for (let slot = 0; slot < 4; slot++) {
    const gate = KERAS_GATE_FOR_ONNX[slot]!;
    for (let j = 0; j < hidden; j++) {
      const row = offset + (slot * hidden + j) * inWidth;
      const col = gate * hidden + j;
      for (let k = 0; k < inWidth; k++) out[row + k] = kernel[k * cols + col]!;
    }
  }
}

/** The bias [4H] (Keras order) reordered to ONNX's [8H] = (Wb in i, o, f, c order, Rb = 0), written at `offset`. */
function onnxBias(bias: Float32Array, hidden: number, out: Float32Array, offset: number): void {
  for (let slot = 0; slot < 4; slot++) {
    const gate = KERAS_GATE_FOR_ONNX[slot]!;
    out.set(bias.subarray(gate * hidden, (gate + 1) * hidden), offset + slot * hidden);
  }
}

/** Export settings. */
export interface LstmOnnxOptions {
  /** Stored in the file's metadata_props. */
  metadata?: Record<string, string>;
}

/**
 * Adds the encoding of time-major token ids `idsT` [time, batch] as the first layer's input
 * [time, batch, width]: embedding rows, a one-hot (no embedding), or id / vocabSize (`floatInput`).
 */
function addEncoding(g: OnnxGraphBuilder, a: LstmArchitecture, weights: LstmWeights, idsT: string): { x: string; inWidth: number } {
  if (a.floatInput) {
    // The original tool's baseline input: each id as one float, id / vocabSize.
    const [asFloat] = g.addNode('Cast', [idsT], 1, { to: 1 });
    g.addFloatInitializer('vocab_size', new Float32Array([a.vocabSize]), []);
    const [scaled] = g.addNode('Div', [asFloat!, 'vocab_size']);
    g.addInt64Initializer('float_axes', [-1], [1]);
    const [x] = g.addNode('Unsqueeze', [scaled!, 'float_axes']);
    return { x: x!, inWidth: 1 };
  }
  if (a.embedding > 0) {
    g.addFloatInitializer('embedding', weights.get('embedding')!, [a.vocabSize, a.embedding]);
    const [x] = g.addNode('Gather', ['embedding', idsT], 1, { axis: 0 });
    return { x: x!, inWidth: a.embedding };
  }
  // One-hot without a V x V identity initializer: compare each id with 0..V-1.
  const ids = Array.from({ length: a.vocabSize }, (_, i) => i);
  g.addInt64Initializer('unsqueeze_axes', [-1], [1]);
  const [expanded] = g.addNode('Unsqueeze', [idsT, 'unsqueeze_axes']);
  const range64 = g.addInt64Initializer('vocab_range64', ids, [a.vocabSize]);
  const [range] = g.addNode('Cast', [range64], 1, { to: 6 });
  const [equal] = g.addNode('Equal', [expanded!, range!]);
  const [x] = g.addNode('Cast', [equal!], 1, { to: 1 });
  return { x: x!, inWidth: a.vocabSize };
}

/** Adds the graph input `tokens` (int32 [batch, window]) and its encoding [window, batch, width]. */
function addEncodedTokens(g: OnnxGraphBuilder, a: LstmArchitecture, weights: LstmWeights): { x: string; inWidth: number } {
  g.addInput({ name: ONNX_INPUT, elemType: 'int32', shape: ['batch', a.window] });
  // The ONNX LSTM op reads [time, batch, features]; transposing the ids is cheaper than the embeddings.
  const [idsT] = g.addNode('Transpose', [ONNX_INPUT], 1, { perm: [1, 0] });
  return addEncoding(g, a, weights, idsT!);
}

/** Input width of layer `layer`'s kernels. */
function layerInWidth(a: LstmArchitecture, layer: number): number {
  if (layer > 0) return 2 * a.lstmUnits[layer - 1]!;
  return a.floatInput ? 1 : a.embedding > 0 ? a.embedding : a.vocabSize;
}

/**
 * Adds W, R and B initializers for the given directions of layer `layer`, stacked in that order
 * (ONNX's layout: [dirs, 4H, in], [dirs, 4H, H], [dirs, 8H]); returns their names.
 */
function addLayerWeights(g: OnnxGraphBuilder, a: LstmArchitecture, weights: LstmWeights, layer: number, dirs: readonly ('fwd' | 'bwd')[]): string[] {
  const h = a.lstmUnits[layer]!;
  const inWidth = layerInWidth(a, layer);
  const n = dirs.length;
  const W = new Float32Array(n * 4 * h * inWidth);
  const R = new Float32Array(n * 4 * h * h);
  const B = new Float32Array(n * 8 * h);
  dirs.forEach((dir, d) => {
    onnxGateBlocks(weights.get(`lstm${layer}_${dir}_kernel`)!, inWidth, h, W, d * 4 * h * inWidth);
    onnxGateBlocks(weights.get(`lstm${layer}_${dir}_recurrent`)!, h, h, R, d * 4 * h * h);
    onnxBias(weights.get(`lstm${layer}_${dir}_bias`)!, h, B, d * 8 * h);
  });
  const tag = n === 2 ? `lstm${layer}` : `lstm${layer}_${dirs[0]}`;
  g.addFloatInitializer(`${tag}_W`, W, [n, 4 * h, inWidth]);
  g.addFloatInitializer(`${tag}_R`, R, [n, 4 * h, h]);
  g.addFloatInitializer(`${tag}_B`, B, [n, 8 * h]);
  return [`${tag}_W`, `${tag}_R`, `${tag}_B`];
}

/** Adds dense + ReLU + output + softmax on `x` [batch, 2H] and declares the `probabilities` output. */
function addHead(g: OnnxGraphBuilder, a: LstmArchitecture, weights: LstmWeights, x: string): void {
  const inWidth = 2 * a.lstmUnits[a.lstmUnits.length - 1]!;
  g.addFloatInitializer('dense_kernel', weights.get('dense_kernel')!, [inWidth, a.denseUnits]);
  g.addFloatInitializer('dense_bias', weights.get('dense_bias')!, [a.denseUnits]);
  g.addFloatInitializer('output_kernel', weights.get('output_kernel')!, [a.denseUnits, a.vocabSize]);
  g.addFloatInitializer('output_bias', weights.get('output_bias')!, [a.vocabSize]);
  const [dense] = g.addNode('Gemm', [x, 'dense_kernel', 'dense_bias']);
  const [hidden] = g.addNode('Relu', [dense!]);
  const [logits] = g.addNode('Gemm', [hidden!, 'output_kernel', 'output_bias']);
  g.addNode('Softmax', [logits!], [ONNX_OUTPUT], { axis: -1 });
  g.addOutput({ name: ONNX_OUTPUT, elemType: 'float32', shape: ['batch', a.vocabSize] });
}

/**
 * Adds bidirectional layers `from`.. on `x` [T, batch, in]: every layer but the last outputs
 * concat(h_fwd_t, h_bwd_t) [T, batch, 2H]; the last, concat(h_fwd after T-1, h_bwd after 0) [batch, 2H].
 */
function addBidirectionalLayers(g: OnnxGraphBuilder, a: LstmArchitecture, weights: LstmWeights, x: string, from: number): string {
  for (let l = from; l < a.lstmUnits.length; l++) {
    const h = a.lstmUnits[l]!;
    const inputs = [x, ...addLayerWeights(g, a, weights, l, ['fwd', 'bwd'])];
    const attrs = { direction: 'bidirectional', hidden_size: h };
    if (l < a.lstmUnits.length - 1) {
      // Y is [T, 2, B, H]; the next layer wants concat(h_fwd_t, h_bwd_t): [T, B, 2H].
      const [y] = g.addNode('LSTM', inputs, [`lstm${l}_Y`], attrs);
      const [yt] = g.addNode('Transpose', [y!], 1, { perm: [0, 2, 1, 3] });
      const shape = g.addInt64Initializer(`lstm${l}_seq_shape`, [0, 0, 2 * h], [3]);
      [x] = g.addNode('Reshape', [yt!, shape]) as [string];
    } else {
      // Y_h is [2, B, H]: the forward state after t = T-1 and the backward state after t = 0.
      const [, yh] = g.addNode('LSTM', inputs, ['', `lstm${l}_Y_h`], attrs);
      const [yht] = g.addNode('Transpose', [yh!], 1, { perm: [1, 0, 2] });
      const shape = g.addInt64Initializer(`lstm${l}_final_shape`, [0, 2 * h], [2]);
      [x] = g.addNode('Reshape', [yht!, shape]) as [string];
    }
  }
  return x;
}

/** The `.onnx` bytes of the model with these weights: one graph, one bidirectional LSTM op per layer. */
export function buildLstmOnnx(architecture: LstmArchitecture, weights: LstmWeights, options: LstmOnnxOptions = {}): Uint8Array {
  checkLstmWeights(architecture, weights);
  const g = new OnnxGraphBuilder('cadenza_bilstm');
  const { x } = addEncodedTokens(g, architecture, weights);
  addHead(g, architecture, weights, addBidirectionalLayers(g, architecture, weights, x, 0));
  return g.toBytes({
    docString: 'Cadenza notes BiLSTM: next-token probabilities for a window of token ids.',
    metadata: { architecture: JSON.stringify(architecture), ...(options.metadata ?? {}) },
  });
}

/** Names of the inputs and outputs of the two graphs of incremental generation (`incrementalSession.ts`). */
export const STEP_IO = {
  /** Step graph: the token every chain of a row reads, int32 [batch]. */
  token: 'token',
  /** Step graph: hidden and cell states before the step, float32 [chains, batch, H] (zeros for a new chain). */
  h0: 'h0',
  c0: 'c0',
  /** Step graph: hidden and cell states after the step, float32 [chains, batch, H]; h is also the chain's output. */
  h: 'h',
  c: 'c',
  /** Rest graph: the first layer's forward outputs over the window, float32 [window, batch, H]. */
  forward0: 'forward0',
} as const;

/**
 * The first graph of incremental generation: one step of the first layer's forward LSTM for many
 * chains at once. Every chain of a row reads the same token, so its input projection is computed
 * once per row and broadcast; only the recurrent product is per chain, and it is one
 * matrix-matrix product for all of them. Written as plain ops (the LSTM op would project the
 * same input once per chain): z = x·kernel + bias + h0·recurrent, gates i, f, c, o (Keras order),
 * c = σ(f)·c0 + σ(i)·tanh(g), h = σ(o)·tanh(c).
 */
export function buildLstmStepOnnx(architecture: LstmArchitecture, weights: LstmWeights): Uint8Array {
  checkLstmWeights(architecture, weights);
  const a = architecture;
  const h = a.lstmUnits[0]!;
  const g = new OnnxGraphBuilder('cadenza_bilstm_forward_step');
  g.addInput({ name: STEP_IO.token, elemType: 'int32', shape: ['batch'] });
  g.addInput({ name: STEP_IO.h0, elemType: 'float32', shape: ['chains', 'batch', h] });
  g.addInput({ name: STEP_IO.c0, elemType: 'float32', shape: ['chains', 'batch', h] });
  const inWidth = layerInWidth(a, 0);
  g.addFloatInitializer('kernel', weights.get('lstm0_fwd_kernel')!, [inWidth, 4 * h]);
  g.addFloatInitializer('recurrent', weights.get('lstm0_fwd_recurrent')!, [h, 4 * h]);
  g.addFloatInitializer('bias', weights.get('lstm0_fwd_bias')!, [4 * h]);
  let projected: string;
  if (a.embedding === 0 && !a.floatInput) {
    // A one-hot times the kernel is the kernel's row for that id.
    [projected] = g.addNode('Gather', ['kernel', STEP_IO.token], 1, { axis: 0 }) as [string];
  } else {
    // The token as a one-step sequence [1, batch], encoded as the whole graph encodes it, projected once per row.
    const axes = g.addInt64Initializer('time_axis', [0], [1]);
    const [idsT] = g.addNode('Unsqueeze', [STEP_IO.token, axes]);
    const { x } = addEncoding(g, a, weights, idsT!);
    [projected] = g.addNode('MatMul', [x, 'kernel']) as [string];
  }
  const [input] = g.addNode('Add', [projected, 'bias']);
  const [recurrent] = g.addNode('MatMul', [STEP_IO.h0, 'recurrent']);
  const [z] = g.addNode('Add', [recurrent!, input!]);
  const [zi, zf, zg, zo] = g.addNode('Split', [z!], 4, { axis: -1 });
  const [i] = g.addNode('Sigmoid', [zi!]);
  const [f] = g.addNode('Sigmoid', [zf!]);
  const [cand] = g.addNode('Tanh', [zg!]);
  const [o] = g.addNode('Sigmoid', [zo!]);
  const [kept] = g.addNode('Mul', [f!, STEP_IO.c0]);
  const [added] = g.addNode('Mul', [i!, cand!]);
  g.addNode('Add', [kept!, added!], [STEP_IO.c]);
  const [squashed] = g.addNode('Tanh', [STEP_IO.c]);
  g.addNode('Mul', [o!, squashed!], [STEP_IO.h]);
  g.addOutput({ name: STEP_IO.h, elemType: 'float32', shape: ['chains', 'batch', h] });
  g.addOutput({ name: STEP_IO.c, elemType: 'float32', shape: ['chains', 'batch', h] });
  return g.toBytes({ docString: 'Cadenza notes BiLSTM: one step of the first-layer forward chains.', metadata: { architecture: JSON.stringify(a) } });
}

/**
 * The second graph of incremental generation: everything but the first layer's forward
 * direction. Inputs: `tokens` [batch, window] and `forward0` [window, batch, H] (that
 * direction's outputs over the window, from the chains); output: next-token probabilities.
 */
export function buildLstmRestOnnx(architecture: LstmArchitecture, weights: LstmWeights): Uint8Array {
  checkLstmWeights(architecture, weights);
  const a = architecture;
  const h = a.lstmUnits[0]!;
  const g = new OnnxGraphBuilder('cadenza_bilstm_rest');
  const { x } = addEncodedTokens(g, a, weights);
  g.addInput({ name: STEP_IO.forward0, elemType: 'float32', shape: [a.window, 'batch', h] });
  const inputs = [x, ...addLayerWeights(g, a, weights, 0, ['bwd'])];
  // A reverse op writes Y in time order ([T, 1, B, H]) and its Y_h ([1, B, H]) is the state after t = 0.
  const [y, yh] = g.addNode('LSTM', inputs, ['lstm0_bwd_Y', 'lstm0_bwd_Y_h'], { direction: 'reverse', hidden_size: h });
  let features: string;
  if (a.lstmUnits.length > 1) {
    const axes = g.addInt64Initializer('direction_axis', [1], [1]);
    const [backward] = g.addNode('Squeeze', [y!, axes]);
    const [both] = g.addNode('Concat', [STEP_IO.forward0, backward!], 1, { axis: 2 });
    features = addBidirectionalLayers(g, a, weights, both!, 1);
  } else {
    // One layer: its output is concat(forward after T-1, backward after 0).
    const lastStep = g.addInt64Initializer('last_step', [a.window - 1], []);
    const [forwardLast] = g.addNode('Gather', [STEP_IO.forward0, lastStep], 1, { axis: 0 });
    const axes = g.addInt64Initializer('direction_axis', [0], [1]);
    const [backwardFirst] = g.addNode('Squeeze', [yh!, axes]);
    [features] = g.addNode('Concat', [forwardLast!, backwardFirst!], 1, { axis: 1 }) as [string];
  }
  addHead(g, a, weights, features);
  return g.toBytes({ docString: 'Cadenza notes BiLSTM: all but the first-layer forward chains.', metadata: { architecture: JSON.stringify(a) } });
}
