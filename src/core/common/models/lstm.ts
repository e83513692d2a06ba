/**
 * The notes-and-chords BiLSTM: its configuration, presets and weight layout. This file is the
 * contract between training (TF.js), ONNX export and inference; all three must read weights
 * the same way.
 *
 * Forward pass, for a window of `window` token ids x[0..T-1]:
 *   e_t = embedding[x_t]                                   (one-hot x bias-free Dense on wasm)
 *   (embedding 0: e_t = one-hot(x_t), so e_t · kernel is row x_t of the first kernel;
 *    floatInput: e_t = [x_t / vocabSize], a single float, the original tool's baseline design)
 *   for each layer l: forward and backward LSTM over e (or the previous layer's output)
 *     z = in_t · kernel + h_{t-1} · recurrent + bias;  gates in Keras order i, f, c, o:
 *     i = σ(z_i), f = σ(z_f), g = tanh(z_c), o = σ(z_o);  c_t = f*c_{t-1} + i*g;  h_t = o*tanh(c_t)
 *     layers before the last output the sequence concat(h_fwd_t, h_bwd_t) (2H per step);
 *     the last layer outputs concat(h_fwd_{T-1}, h_bwd_0) (each direction's final state).
 *   hidden = relu(dense.kernel · that + dense.bias);  (dropout in training only)
 *   logits = output.kernel · hidden + output.bias;  p = softmax(logits): the next token.
 */

/** Architecture sizes. */
export interface LstmArchitecture {
  /** Number of token ids (the vocabulary's length). */
  vocabSize: number;
  /** Tokens the model reads to predict the next one. */
  window: number;
  /** Embedding width (0 = feed the one-hot directly into the first LSTM, as small models may). */
  embedding: number;
  /** Units per direction of each BiLSTM layer, first to last. */
  lstmUnits: number[];
  /** Width of the ReLU layer before the softmax. */
  denseUnits: number;
  /** Dropout rate (0..1) used in training after each BiLSTM layer and after the dense layer. */
  dropout: number;
  /**
   * The original tool's input design, kept only as a baseline to measure against: each token id
   * enters as one float, id / vocabSize, so the first kernel is [1, 4H] and `embedding` must be 0.
   */
  floatInput?: boolean;
}

/** How to train. */
export interface LstmTrainSettings {
  /** Windows per step. */
  batchSize: number;
  /** Passes over the training windows, at most (early stopping may end sooner). */
  epochs: number;
  /** Optimizer. The original tool used Adamax with 0.01. */
  optimizer: 'adam' | 'adamax';
  /** Initial learning rate. */
  learningRate: number;
  /** Learning-rate schedule: constant, or cosine decay to 10% over the run. */
  schedule: 'constant' | 'cosine';
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /** Seed for initialisation, shuffling and dropout. */
  seed: number;
  /** Stride between training windows in tokens (1 = every position). */
  stride: number;
  /** Cap on training steps per epoch (0 = no cap), so big corpora give regular checkpoints. */
  maxStepsPerEpoch: number;
  /** Validation windows scored each epoch, spread evenly over the held-out pieces (0 = all). Default 4096. */
  validWindows?: number;
  /** Gradients are scaled down when their global L2 norm exceeds this (0 = never). Default 5. */
  clipNorm?: number;
}

/** A named preset: architecture (without vocabSize, which comes from the data) and settings. */
export interface LstmPreset {
  architecture: Omit<LstmArchitecture, 'vocabSize'>;
  training: LstmTrainSettings;
}

const baseTraining: LstmTrainSettings = {
  batchSize: 32,
  epochs: 20,
  optimizer: 'adam',
  learningRate: 0.003,
  schedule: 'cosine',
  patience: 3,
  seed: 1,
  stride: 1,
  maxStepsPerEpoch: 0,
};

/** Presets: `tiny` for tests, `small` for benchmarks, `default` for the bundled model, `seed` = the original sizes. */
export const LSTM_PRESETS: Record<'tiny' | 'small' | 'default' | 'seed', LstmPreset> = {
  tiny: {
    architecture: { window: 16, embedding: 16, lstmUnits: [32], denseUnits: 32, dropout: 0 },
    // For trying the pipeline: 10 epochs of at most 200 steps, well under a minute on 30 pieces
    // (uncapped, 30 pieces are about 6,000 steps an epoch, which took half an hour).
    training: {
      ...baseTraining,
      batchSize: 16,
      epochs: 10,
      maxStepsPerEpoch: 200,
      learningRate: 0.01,
      patience: 5,
      validWindows: 1024,
    },
  },
  small: {
    architecture: { window: 64, embedding: 64, lstmUnits: [128], denseUnits: 128, dropout: 0.2 },
    training: { ...baseTraining },
  },
  default: {
    // Sized to train well within an hour or so of CPU: the corpus (about 1M tokens) is seen less than
    // once, so dropout is light; 32 tokens are about 14 note/chord events of context. One layer of 256
    // beat two of 192 in the same 42 minutes of training (held-out 4.056 vs 4.432 nats/token) and
    // generates faster (docs/MODELS.md, the bundled model).
    architecture: { window: 32, embedding: 96, lstmUnits: [256], denseUnits: 192, dropout: 0.1 },
    training: { ...baseTraining, batchSize: 128, stride: 2, maxStepsPerEpoch: 200, validWindows: 2048 },
  },
  seed: {
    architecture: { window: 40, embedding: 0, lstmUnits: [512, 256], denseUnits: 256, dropout: 0.3 },
    training: {
      ...baseTraining,
      batchSize: 64,
      optimizer: 'adamax',
      learningRate: 0.01,
      schedule: 'constant',
    },
  },
};

/** Shapes of every weight, by name; the order here is the order in `weights.bin`. */
export function lstmWeightShapes(a: LstmArchitecture): [name: string, shape: number[]][] {
  const out: [string, number[]][] = [];
  let inWidth = a.floatInput ? 1 : a.embedding > 0 ? a.embedding : a.vocabSize;
  if (a.embedding > 0) out.push(['embedding', [a.vocabSize, a.embedding]]);
  a.lstmUnits.forEach((h, l) => {
    for (const dir of ['fwd', 'bwd']) {
      out.push([`lstm${l}_${dir}_kernel`, [inWidth, 4 * h]]);
      out.push([`lstm${l}_${dir}_recurrent`, [h, 4 * h]]);
      out.push([`lstm${l}_${dir}_bias`, [4 * h]]);
    }
    inWidth = 2 * h;
  });
  out.push(['dense_kernel', [inWidth, a.denseUnits]]);
  out.push(['dense_bias', [a.denseUnits]]);
  out.push(['output_kernel', [a.denseUnits, a.vocabSize]]);
  out.push(['output_bias', [a.vocabSize]]);
  return out;
}
