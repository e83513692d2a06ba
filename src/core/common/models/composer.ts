/**
 * The composer: a bidirectional LSTM whose context is the whole piece at a cost per token that
 * does not grow with it. This file is the contract between training, inference and the folder
 * format; all must read weights the same way.
 *
 * For the token x_t (ids 0..V-1; id V is "before the piece", fed first and used as padding):
 *   forward: LSTM layers carried through the piece from its first token (state never reset
 *     inside a piece): layer 0 reads row x_t of `fwd0_input` (an embedding folded into the gate
 *     projection), layer l > 0 reads h^{l-1}_t through `fwd{l}_kernel`;
 *   backward: one LSTM that reads the last `lookback` tokens newest first,
 *     x_t, x_{t-1}, ..., x_{t-lookback+1} (id V before the piece), from a zero state; its final
 *     state summarises the recent past read backwards, as a BiLSTM's backward direction does;
 *   both: z = input row + h_prev · recurrent + bias, gates in Keras order i, f, c, o;
 *     c = f*c_prev + i*tanh(z_c); h = o*tanh(c);
 *   logits = [h^top_t, hb_t] · out_kernel + out_bias; softmax: the distribution of x_{t+1}.
 * Dropout (training only) on the features and between forward layers.
 */

/** Architecture sizes. */
export interface ComposerArchitecture {
  /** Tells this folder from the windowed BiLSTM. */
  kind: 'composer';
  /** Token ids (the vocabulary's length); id `vocabSize` is the start/padding id. */
  vocabSize: number;
  /** Units of each forward layer, first to last. */
  forwardUnits: number[];
  /** Units of the backward (look-back) LSTM. */
  backwardUnits: number;
  /** Tokens the backward LSTM reads, newest first. */
  lookback: number;
  /** Dropout rate (0..1) in training. */
  dropout: number;
}

/** How to train. */
export interface ComposerTrainSettings {
  /** Parallel streams (pieces) per step. */
  batchSize: number;
  /** Tokens per stream per step (truncated backpropagation through time; the state carries on). */
  chunkTokens: number;
  /** Optimizer steps to run, at most. */
  steps: number;
  /** Initial learning rate (Adam). */
  learningRate: number;
  /** Cosine decay to 10% over `steps`, after a short warm-up. */
  schedule: 'constant' | 'cosine';
  /** Gradients are scaled down past this global L2 norm (0 = never). */
  clipNorm: number;
  /** Transpositions in semitones drawn per piece (each piece is played in these keys where the piano allows). */
  transpositions: number[];
  /** Steps between validations and checkpoints. */
  validateEvery: number;
  /** Tokens of each validation piece scored at each validation (0 = all; the final score is always all). */
  validTokens: number;
  /** Seed for initialisation, the order of pieces, transpositions and dropout. */
  seed: number;
}

/**
 * The composer's sampling defaults, chosen on the validation pieces (docs/MODELS.md): a little
 * sharper than the model as trained keeps the key and the register better (10-s scale consistency
 * overlap 0.51 -> 0.56 at temperature 0.9; pitch range nearer the corpus) without copying.
 */
export const COMPOSER_SAMPLING = { temperature: 0.9, topP: 0.9 } as const;

/** A named preset. */
export interface ComposerPreset {
  architecture: Omit<ComposerArchitecture, 'vocabSize'>;
  training: ComposerTrainSettings;
}

const ALL_KEYS = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6];

/** The composer presets as the CLI and the app name them (beside the windowed `tiny`, `small`, `default`, `seed`), and the preset each stands for. */
export const COMPOSER_PRESET_NAMES = { composer: 'default', 'composer-small': 'small', 'composer-tiny': 'tiny' } as const;
/** A composer preset's CLI / app name. */
export type ComposerPresetName = keyof typeof COMPOSER_PRESET_NAMES;

/** Whether `name` is a composer preset's CLI / app name. */
export function isComposerPresetName(name: string): name is ComposerPresetName {
  return Object.hasOwn(COMPOSER_PRESET_NAMES, name);
}

/** The preset a CLI / app name stands for. */
export function composerPreset(name: ComposerPresetName): ComposerPreset {
  return COMPOSER_PRESETS[COMPOSER_PRESET_NAMES[name]];
}

/** `tiny` for tests, `small` for a quick model, `default` for the bundled one. */
export const COMPOSER_PRESETS: Record<'tiny' | 'small' | 'default', ComposerPreset> = {
  tiny: {
    architecture: { kind: 'composer', forwardUnits: [32], backwardUnits: 16, lookback: 4, dropout: 0 },
    training: {
      batchSize: 4,
      chunkTokens: 32,
      steps: 60,
      learningRate: 0.01,
      schedule: 'constant',
      clipNorm: 1,
      transpositions: [0],
      validateEvery: 30,
      validTokens: 0,
      seed: 1,
    },
  },
  small: {
    architecture: { kind: 'composer', forwardUnits: [192], backwardUnits: 64, lookback: 6, dropout: 0.1 },
    training: {
      batchSize: 16,
      chunkTokens: 96,
      steps: 1500,
      learningRate: 0.004,
      schedule: 'cosine',
      clipNorm: 1,
      transpositions: ALL_KEYS,
      validateEvery: 250,
      validTokens: 1024,
      seed: 1,
    },
  },
  default: {
    architecture: { kind: 'composer', forwardUnits: [512], backwardUnits: 128, lookback: 8, dropout: 0.1 },
    training: {
      batchSize: 32,
      chunkTokens: 128,
      steps: 4000,
      learningRate: 0.002,
      schedule: 'cosine',
      clipNorm: 1,
      transpositions: ALL_KEYS,
      validateEvery: 200,
      validTokens: 1536,
      seed: 1,
    },
  },
};

/** Shapes of every weight, by name; the order here is the order in `weights.bin`. */
export function composerWeightShapes(a: ComposerArchitecture): [name: string, shape: number[]][] {
  const out: [string, number[]][] = [];
  const rows = a.vocabSize + 1;
  a.forwardUnits.forEach((h, l) => {
    if (l === 0) out.push(['fwd0_input', [rows, 4 * h]]);
    else out.push([`fwd${l}_kernel`, [a.forwardUnits[l - 1]!, 4 * h]]);
    out.push([`fwd${l}_recurrent`, [h, 4 * h]]);
    out.push([`fwd${l}_bias`, [4 * h]]);
  });
  const hb = a.backwardUnits;
  out.push(['bwd_input', [rows, 4 * hb]], ['bwd_recurrent', [hb, 4 * hb]], ['bwd_bias', [4 * hb]]);
  const top = a.forwardUnits[a.forwardUnits.length - 1]!;
  out.push(['out_kernel', [top + hb, a.vocabSize]], ['out_bias', [a.vocabSize]]);
  return out;
}
