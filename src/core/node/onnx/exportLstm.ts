/**
 * The BiLSTM of `src/core/common/models/lstm.ts` as an ONNX graph, built in TypeScript.
 *
 * Graph: tokens int32 [batch, window] -> Transpose -> Gather(embedding) (or a one-hot made with
 * Equal + Cast when the architecture has no embedding, or id / vocabSize for the `floatInput`
 * baseline) -> per layer one bidirectional ONNX `LSTM`
 * op (or two unidirectional ops) -> the last layer's Y_h (each direction's final state: h_fwd at T-1, h_bwd at t=0)
 * -> Gemm + Relu -> Gemm -> Softmax -> probabilities float32 [batch, vocabSize].
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
  /**
   * One unidirectional LSTM op per direction instead of one bidirectional op (default false): the
   * same maths; with a parallel session the two directions run at once, which pays only on an idle
   * multi-core machine (see bench/generate.bench.ts).
   */
  splitDirections?: boolean;
}

/** The `.onnx` bytes of the model with these weights. */
export function buildLstmOnnx(architecture: LstmArchitecture, weights: LstmWeights, options: LstmOnnxOptions = {}): Uint8Array {
  checkLstmWeights(architecture, weights);
  const split = options.splitDirections ?? false;
  const metadata = options.metadata ?? {};
  const a = architecture;
  const g = new OnnxGraphBuilder('cadenza_bilstm');
  const w = (name: string): Float32Array => weights.get(name)!;

  g.addInput({ name: ONNX_INPUT, elemType: 'int32', shape: ['batch', a.window] });
  // The ONNX LSTM op reads [time, batch, features]; transposing the ids is cheaper than the embeddings.
  const [idsT] = g.addNode('Transpose', [ONNX_INPUT], 1, { perm: [1, 0] });
  let x: string;
  let inWidth: number;
  if (a.floatInput) {
    // The original tool's baseline input: each id as one float, id / vocabSize.
    const [asFloat] = g.addNode('Cast', [idsT!], 1, { to: 1 });
    g.addFloatInitializer('vocab_size', new Float32Array([a.vocabSize]), []);
    const [scaled] = g.addNode('Div', [asFloat!, 'vocab_size']);
    g.addInt64Initializer('float_axes', [-1], [1]);
    [x] = g.addNode('Unsqueeze', [scaled!, 'float_axes']);
    inWidth = 1;
  } else if (a.embedding > 0) {
    g.addFloatInitializer('embedding', w('embedding'), [a.vocabSize, a.embedding]);
    [x] = g.addNode('Gather', ['embedding', idsT!], 1, { axis: 0 });
    inWidth = a.embedding;
  } else {
    // One-hot without a V x V identity initializer: compare each id with 0..V-1.
    const ids = Array.from({ length: a.vocabSize }, (_, i) => i);
    g.addInt64Initializer('unsqueeze_axes', [-1], [1]);
    const [expanded] = g.addNode('Unsqueeze', [idsT!, 'unsqueeze_axes']);
    const range64 = g.addInt64Initializer('vocab_range64', ids, [a.vocabSize]);
    const [range] = g.addNode('Cast', [range64], 1, { to: 6 });
    const [equal] = g.addNode('Equal', [expanded!, range!]);
    [x] = g.addNode('Cast', [equal!], 1, { to: 1 });
    inWidth = a.vocabSize;
  }

  a.lstmUnits.forEach((h, l) => {
    const last = l === a.lstmUnits.length - 1;
    if (split) {
      // Two independent unidirectional ops, which onnxruntime's parallel executor can run on two cores.
      const finals: string[] = [];
      const seqs: string[] = [];
      (['fwd', 'bwd'] as const).forEach((dir) => {
        const W = new Float32Array(4 * h * inWidth);
        const R = new Float32Array(4 * h * h);
        const B = new Float32Array(8 * h);
        onnxGateBlocks(w(`lstm${l}_${dir}_kernel`), inWidth, h, W, 0);
        onnxGateBlocks(w(`lstm${l}_${dir}_recurrent`), h, h, R, 0);
        onnxBias(w(`lstm${l}_${dir}_bias`), h, B, 0);
        g.addFloatInitializer(`lstm${l}_${dir}_W`, W, [1, 4 * h, inWidth]);
        g.addFloatInitializer(`lstm${l}_${dir}_R`, R, [1, 4 * h, h]);
        g.addFloatInitializer(`lstm${l}_${dir}_B`, B, [1, 8 * h]);
        const inputs = [x, `lstm${l}_${dir}_W`, `lstm${l}_${dir}_R`, `lstm${l}_${dir}_B`];
        const attrs = { direction: dir === 'fwd' ? 'forward' : 'reverse', hidden_size: h };
        // A reverse op still writes Y in original time order, and its Y_h is the state after t = 0.
        if (last) finals.push(g.addNode('LSTM', inputs, ['', `lstm${l}_${dir}_Y_h`], attrs)[1]!);
        else seqs.push(g.addNode('LSTM', inputs, [`lstm${l}_${dir}_Y`], attrs)[0]!);
      });
      if (last) {
        // [1, B, H] twice -> [1, B, 2H] -> [B, 2H].
        const [cat] = g.addNode('Concat', finals, 1, { axis: -1 });
        const axes = g.addInt64Initializer(`lstm${l}_final_axes`, [0], [1]);
        [x] = g.addNode('Squeeze', [cat!, axes]);
      } else {
        // [T, 1, B, H] twice -> [T, 1, B, 2H] -> [T, B, 2H].
        const [cat] = g.addNode('Concat', seqs, 1, { axis: -1 });
        const axes = g.addInt64Initializer(`lstm${l}_seq_axes`, [1], [1]);
        [x] = g.addNode('Squeeze', [cat!, axes]);
      }
      inWidth = 2 * h;
      return;
    }
    const W = new Float32Array(2 * 4 * h * inWidth);
    const R = new Float32Array(2 * 4 * h * h);
    const B = new Float32Array(2 * 8 * h);
    (['fwd', 'bwd'] as const).forEach((dir, d) => {
      onnxGateBlocks(w(`lstm${l}_${dir}_kernel`), inWidth, h, W, d * 4 * h * inWidth);
      onnxGateBlocks(w(`lstm${l}_${dir}_recurrent`), h, h, R, d * 4 * h * h);
      onnxBias(w(`lstm${l}_${dir}_bias`), h, B, d * 8 * h);
    });
    g.addFloatInitializer(`lstm${l}_W`, W, [2, 4 * h, inWidth]);
    g.addFloatInitializer(`lstm${l}_R`, R, [2, 4 * h, h]);
    g.addFloatInitializer(`lstm${l}_B`, B, [2, 8 * h]);
    const inputs = [x, `lstm${l}_W`, `lstm${l}_R`, `lstm${l}_B`];
    const attrs = { direction: 'bidirectional', hidden_size: h };
    if (!last) {
      // Y is [T, 2, B, H]; the next layer wants concat(h_fwd_t, h_bwd_t): [T, B, 2H].
      const [y] = g.addNode('LSTM', inputs, [`lstm${l}_Y`], attrs);
      const [yt] = g.addNode('Transpose', [y!], 1, { perm: [0, 2, 1, 3] });
      const shape = g.addInt64Initializer(`lstm${l}_seq_shape`, [0, 0, 2 * h], [3]);
      [x] = g.addNode('Reshape', [yt!, shape]);
    } else {
      // Y_h is [2, B, H]: the forward state after t = T-1 and the backward state after t = 0.
      const [, yh] = g.addNode('LSTM', inputs, ['', `lstm${l}_Y_h`], attrs);
      const [yht] = g.addNode('Transpose', [yh!], 1, { perm: [1, 0, 2] });
      const shape = g.addInt64Initializer(`lstm${l}_final_shape`, [0, 2 * h], [2]);
      [x] = g.addNode('Reshape', [yht!, shape]);
    }
    inWidth = 2 * h;
  });

  g.addFloatInitializer('dense_kernel', w('dense_kernel'), [inWidth, a.denseUnits]);
  g.addFloatInitializer('dense_bias', w('dense_bias'), [a.denseUnits]);
  g.addFloatInitializer('output_kernel', w('output_kernel'), [a.denseUnits, a.vocabSize]);
  g.addFloatInitializer('output_bias', w('output_bias'), [a.vocabSize]);
  const [dense] = g.addNode('Gemm', [x!, 'dense_kernel', 'dense_bias']);
  const [hidden] = g.addNode('Relu', [dense!]);
  const [logits] = g.addNode('Gemm', [hidden!, 'output_kernel', 'output_bias']);
  g.addNode('Softmax', [logits!], [ONNX_OUTPUT], { axis: -1 });
  g.addOutput({ name: ONNX_OUTPUT, elemType: 'float32', shape: ['batch', a.vocabSize] });

  return g.toBytes({
    docString: 'Cadenza notes BiLSTM: next-token probabilities for a window of token ids.',
    metadata: { architecture: JSON.stringify(a), ...metadata },
  });
}
