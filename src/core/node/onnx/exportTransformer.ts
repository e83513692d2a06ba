/**
 * ONNX export of the Music Transformer, built in TypeScript with `OnnxGraphBuilder`: the same
 * forward pass as the TF.js model (src/core/node/models/transformer/model.ts), relative attention
 * in the skewing form included (MatMul with the relative embeddings, Pad, Reshape, Slice).
 * Input `tokens` int32 [batch, seqLength]; output `probabilities` float32 [batch, seqLength,
 * vocabSize]: row t is the distribution of the event after position t.
 */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../common/errors';
import type { TransformerArchitecture } from '../../common/models/transformer';
import { splitTransformerWeights } from '../../common/models/transformerDecoder';
import { OnnxGraphBuilder } from './graph';

/** Name of the graph's input. */
export const TRANSFORMER_ONNX_INPUT = 'tokens';
/** Name of the graph's output. */
export const TRANSFORMER_ONNX_OUTPUT = 'probabilities';

/** Builds the `.onnx` bytes of a transformer from flat weights in layout order. */
export function buildTransformerOnnx(a: TransformerArchitecture, flat: Float32Array): Uint8Array {
  const w = splitTransformerWeights(a, flat);
  const g = new OnnxGraphBuilder('cadenza_music_transformer');
  const L = a.seqLength;
  const d = a.dModel;
  const h = a.heads;
  const dh = d / h;
  const init = (name: string, dims: number[], data = w.get(name)!): string => g.addFloatInitializer(name, data, dims);
  const scalar = (name: string, value: number): string => g.addFloatInitializer(name, Float32Array.of(value), []);
  const ints = (name: string, values: number[]): string => g.addInt64Initializer(name, values, [values.length]);

  g.addInput({ name: TRANSFORMER_ONNX_INPUT, elemType: 'int32', shape: ['batch', L] });
  const mask = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) mask[i * L + j] = -1e9;
  init('causal_mask', [L, L], mask);
  scalar('embed_scale', Math.sqrt(d));
  scalar('attn_scale', 1 / Math.sqrt(dh));
  ints('heads_shape', [0, L, h, dh]);
  ints('model_shape', [0, L, d]);
  ints('skew_pads', [0, 0, 0, 1, 0, 0, 0, 0]);
  ints('skew_shape', [0, h, L + 1, L]);
  ints('skew_start', [1]);
  ints('skew_end', [L + 1]);
  ints('skew_axis', [2]);

  const [embedded] = g.addNode('Gather', [init('embedding', [a.vocabSize, d]), TRANSFORMER_ONNX_INPUT], 1, { axis: 0 });
  let [x] = g.addNode('Mul', [embedded!, 'embed_scale']);
  const layerNorm = (input: string, prefix: string): string =>
    g.addNode('LayerNormalization', [input, init(`${prefix}_gamma`, [d]), init(`${prefix}_beta`, [d])], 1, {
      axis: -1,
      epsilon: { float: 1e-5 },
    })[0]!;
  for (let l = 0; l < a.layers; l++) {
    const p = `layer${l}_`;
    const n1 = layerNorm(x!, `${p}ln1`);
    const heads = (name: string): string => {
      const [m] = g.addNode('MatMul', [n1, init(p + name, [d, d])]);
      const [r] = g.addNode('Reshape', [m!, 'heads_shape']);
      return g.addNode('Transpose', [r!], 1, { perm: [0, 2, 1, 3] })[0]!;
    };
    const q = heads('wq');
    const k = heads('wk');
    const v = heads('wv');
    const [kT] = g.addNode('Transpose', [k], 1, { perm: [0, 1, 3, 2] });
    const [content] = g.addNode('MatMul', [q, kT!]);
    // E_r transposed once here to [heads, dHead, L], so the graph multiplies without a Transpose node.
    const rel = w.get(`${p}rel`)!;
    const relT = new Float32Array(h * dh * L);
    for (let hh = 0; hh < h; hh++)
      for (let r = 0; r < L; r++) for (let k2 = 0; k2 < dh; k2++) relT[(hh * dh + k2) * L + r] = rel[(hh * L + r) * dh + k2]!;
    const [qe] = g.addNode('MatMul', [q, init(`${p}rel_t`, [h, dh, L], relT)]);
    const [padded] = g.addNode('Pad', [qe!, 'skew_pads']);
    const [reshaped] = g.addNode('Reshape', [padded!, 'skew_shape']);
    const [skewed] = g.addNode('Slice', [reshaped!, 'skew_start', 'skew_end', 'skew_axis']);
    const [sum] = g.addNode('Add', [content!, skewed!]);
    const [scaled] = g.addNode('Mul', [sum!, 'attn_scale']);
    const [masked] = g.addNode('Add', [scaled!, 'causal_mask']);
    const [attention] = g.addNode('Softmax', [masked!], 1, { axis: -1 });
    const [context] = g.addNode('MatMul', [attention!, v]);
    const [ct] = g.addNode('Transpose', [context!], 1, { perm: [0, 2, 1, 3] });
    const [merged] = g.addNode('Reshape', [ct!, 'model_shape']);
    const [projected] = g.addNode('MatMul', [merged!, init(`${p}wo`, [d, d])]);
    [x] = g.addNode('Add', [x!, projected!]);
    const n2 = layerNorm(x!, `${p}ln2`);
    const [f1] = g.addNode('MatMul', [n2, init(`${p}ff1_kernel`, [d, a.dFF])]);
    const [b1] = g.addNode('Add', [f1!, init(`${p}ff1_bias`, [a.dFF])]);
    const [relu] = g.addNode('Relu', [b1!]);
    const [f2] = g.addNode('MatMul', [relu!, init(`${p}ff2_kernel`, [a.dFF, d])]);
    const [b2] = g.addNode('Add', [f2!, init(`${p}ff2_bias`, [d])]);
    [x] = g.addNode('Add', [x!, b2!]);
  }
  const nf = layerNorm(x!, 'lnf');
  const [logits] = g.addNode('MatMul', [nf, init('output_kernel', [d, a.vocabSize])]);
  const [biased] = g.addNode('Add', [logits!, init('output_bias', [a.vocabSize])]);
  g.addNode('Softmax', [biased!], [TRANSFORMER_ONNX_OUTPUT], { axis: -1 });
  g.addOutput({ name: TRANSFORMER_ONNX_OUTPUT, elemType: 'float32', shape: ['batch', L, a.vocabSize] });
  return g.toBytes({ docString: 'Cadenza Music Transformer (relative attention, skewing)', metadata: { seqLength: String(L) } });
}

/** An onnxruntime session for an exported transformer. */
export interface OnnxTransformerSession {
  /** Probabilities [batch, seqLength, vocabSize] for `tokens` [batch, seqLength] row-major. */
  predict(tokens: Int32Array, batchSize: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Opens an exported transformer from a file path or bytes; throws `ModelError` when onnxruntime refuses it. */
export async function openOnnxTransformer(source: string | Uint8Array, a: TransformerArchitecture): Promise<OnnxTransformerSession> {
  let session: ort.InferenceSession;
  try {
    session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' })
        : await ort.InferenceSession.create(source, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  } catch (error) {
    throw new ModelError(`onnxruntime could not load ${typeof source === 'string' ? source : 'the exported transformer'}: ${(error as Error).message.split('\n')[0]}.`, {
      cause: error,
    });
  }
  return {
    async predict(tokens, batchSize) {
      if (tokens.length !== batchSize * a.seqLength)
        throw new ModelError(`The transformer reads ${a.seqLength} events per sequence, but got ${tokens.length} for a batch of ${batchSize}.`);
      const input = new ort.Tensor('int32', tokens, [batchSize, a.seqLength]);
      const result = await session.run({ [TRANSFORMER_ONNX_INPUT]: input });
      const out = result[TRANSFORMER_ONNX_OUTPUT]!;
      const data = (out.data as Float32Array).slice();
      input.dispose();
      out.dispose();
      return data;
    },
    async dispose() {
      await session.release();
    },
  };
}
