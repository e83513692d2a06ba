/**
 * The Music Transformer (Huang et al. 2018): a decoder-only Transformer over performance
 * events with relative position attention in the memory-efficient "skewing" form. This file
 * is the contract between training (TF.js), ONNX export and inference.
 *
 * Forward pass for token ids x[0..L-1] (pre-norm blocks):
 *   h = embedding[x] * sqrt(dModel)
 *   per layer l:  a = LN(h; ln1);  h = h + Wo · MHA_rel(a);  f = LN(h; ln2);  h = h + W2 · relu(W1 · f + b1) + b2
 *   MHA_rel, per head: logits[i,j] = (q_i · k_j + q_i · E_r[j - i + L_max - 1]) / sqrt(dHead), j <= i (causal)
 *   out = LN(h; lnf) · output_kernel + output_bias  →  softmax over the vocabulary: the next event.
 * E_r holds one learned vector per relative distance -(L_max-1)..0, per head; sequences shorter than
 * L_max use its last L rows.
 */

/** Architecture sizes. */
export interface TransformerArchitecture {
  /** Number of token ids (388 for performance events). */
  vocabSize: number;
  /** Longest sequence (context) the model attends over, in events. */
  seqLength: number;
  /** Number of decoder blocks. */
  layers: number;
  /** Attention heads per block. */
  heads: number;
  /** Model width; must be divisible by `heads`. */
  dModel: number;
  /** Feed-forward inner width. */
  dFF: number;
  /** Dropout rate (0..1) in training. */
  dropout: number;
}

/** How to train (same run features as the LSTM). */
export interface TransformerTrainSettings {
  /** Sequences per step. */
  batchSize: number;
  /** Passes over the training data at most. */
  epochs: number;
  /** Peak learning rate (Adam). */
  learningRate: number;
  /** Linear warm-up steps before cosine decay. */
  warmupSteps: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /** Seed for initialisation, cropping and dropout. */
  seed: number;
  /** Cap on steps per epoch (0 = one pass over random crops covering the data once). */
  maxStepsPerEpoch: number;
  /**
   * Transposition augmentation: each training window is shifted by one of these semitone offsets,
   * drawn per window (a window that would leave the piano stays as written). Absent: [0].
   */
  transpositions?: number[];
}

/** A named preset. */
export interface TransformerPreset {
  architecture: Omit<TransformerArchitecture, 'vocabSize'>;
  training: TransformerTrainSettings;
}

/** Presets: `tiny` for tests, `default` for the bundled model. */
export const TRANSFORMER_PRESETS: Record<'tiny' | 'default', TransformerPreset> = {
  tiny: {
    architecture: { seqLength: 32, layers: 1, heads: 2, dModel: 32, dFF: 64, dropout: 0 },
    training: {
      batchSize: 16,
      epochs: 30,
      learningRate: 0.01,
      warmupSteps: 10,
      patience: 5,
      seed: 1,
      maxStepsPerEpoch: 20,
    },
  },
  // Sized so the engine on one core's BLAS (about 0.3 s a step) trains it in about an hour:
  // 12,000 steps of 16 x 128 events, in all twelve keys; see docs/MODELS.md.
  default: {
    architecture: { seqLength: 128, layers: 3, heads: 4, dModel: 96, dFF: 256, dropout: 0.1 },
    training: {
      batchSize: 16,
      epochs: 30,
      learningRate: 0.002,
      warmupSteps: 200,
      patience: 4,
      seed: 1,
      maxStepsPerEpoch: 400,
      transpositions: [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6],
    },
  },
};

/** Shapes of every weight, by name, in the order of `weights.bin`. */
export function transformerWeightShapes(a: TransformerArchitecture): [name: string, shape: number[]][] {
  const d = a.dModel;
  const dh = d / a.heads;
  const out: [string, number[]][] = [['embedding', [a.vocabSize, d]]];
  for (let l = 0; l < a.layers; l++) {
    const p = `layer${l}_`;
    out.push([`${p}ln1_gamma`, [d]], [`${p}ln1_beta`, [d]]);
    out.push([`${p}wq`, [d, d]], [`${p}wk`, [d, d]], [`${p}wv`, [d, d]], [`${p}wo`, [d, d]]);
    out.push([`${p}rel`, [a.heads, a.seqLength, dh]]);
    out.push([`${p}ln2_gamma`, [d]], [`${p}ln2_beta`, [d]]);
    out.push([`${p}ff1_kernel`, [d, a.dFF]], [`${p}ff1_bias`, [a.dFF]]);
    out.push([`${p}ff2_kernel`, [a.dFF, d]], [`${p}ff2_bias`, [d]]);
  }
  out.push(['lnf_gamma', [d]], ['lnf_beta', [d]]);
  out.push(['output_kernel', [d, a.vocabSize]], ['output_bias', [a.vocabSize]]);
  return out;
}
