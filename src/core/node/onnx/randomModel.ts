/**
 * A complete LSTM model folder with seeded random weights, for tests and benchmarks that need a
 * model of a given size without training one. Its vocabulary's tokens are supplied by the caller
 * (real tokens make the output decodable) and every token is counted once.
 */
import path from 'node:path';
import type { LstmArchitecture } from '../../common/models/lstm';
import { lstmWeightShapes } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import type { TokenizerKind } from '../../common/tokenize/types';
import { writeJsonAtomic } from '../fs/atomic';
import { LSTM_MODEL_FORMAT, LSTM_MODEL_VERSION, type LstmModelConfig } from '../models/lstm/config';
import { saveLstmWeights } from '../models/lstm/weights';

/**
 * Writes `dir/config.json` and `dir/weights.{bin,json}`. LSTM and embedding weights are uniform in
 * ±0.6, dense and output weights in ±2, so the next-token distribution is far from uniform.
 */
export async function writeRandomLstmModel(
  dir: string,
  architecture: LstmArchitecture,
  tokens: readonly string[],
  options: { seed?: number; kind?: TokenizerKind; dtype?: 'float32' | 'float16' } = {},
): Promise<string> {
  const rng = new Rng(options.seed ?? 1);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of lstmWeightShapes(architecture)) {
    const scale = name.startsWith('lstm') || name === 'embedding' ? 0.6 : 2;
    weights.set(name, Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => (rng.next() * 2 - 1) * scale));
  }
  await saveLstmWeights(dir, architecture, weights, options.dtype ?? 'float32');
  const kind = options.kind ?? 'notes';
  const config = {
    format: LSTM_MODEL_FORMAT,
    version: LSTM_MODEL_VERSION,
    architecture,
    tokenizer: { kind },
    // As buildVocabulary does: an '<unk>' first token is the unknown id.
    vocab: { kind, tokens: [...tokens], counts: tokens.map(() => 1), ...(tokens[0] === '<unk>' ? { unknownId: 0 } : {}) },
    corpusHash: '',
    training: {},
    metrics: {},
    createdAt: new Date().toISOString(),
  } as unknown as LstmModelConfig;
  await writeJsonAtomic(path.join(dir, 'config.json'), config);
  return dir;
}
