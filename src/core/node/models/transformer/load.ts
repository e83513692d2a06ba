/** Loads a Music Transformer model folder (config.json + weights) for inference. */
import path from 'node:path';
import { ModelError } from '../../../common/errors';
import { transformerWeightShapes } from '../../../common/models/transformer';
import { TransformerDecoder } from '../../../common/models/transformerDecoder';
import { readJson } from '../../fs/atomic';
import { resourcesDir } from '../../paths';
import { readWeights } from '../weights';
import type { TransformerConfig } from './config';

/** A loaded transformer: its config and flat weights; make decoders from it. */
export interface LoadedTransformer {
  /** The folder it was read from. */
  dir: string;
  config: TransformerConfig;
  /** Weights in layout order, float32. */
  weights: Float32Array;
  /** A fresh incremental decoder (each has its own cache). */
  decoder(): TransformerDecoder;
}

/** The bundled default transformer's folder. */
export function bundledTransformerPath(): string {
  return path.join(resourcesDir(), 'models', 'transformer');
}

/** Reads a transformer model folder; throws `ModelError` naming the folder when it is not one. */
export async function loadTransformer(dir: string = bundledTransformerPath()): Promise<LoadedTransformer> {
  let config: TransformerConfig;
  try {
    config = await readJson<TransformerConfig>(path.join(dir, 'config.json'));
  } catch (error) {
    throw new ModelError(`${dir} is not a transformer model folder: its config.json is missing or unreadable.`, {
      path: dir,
      cause: error,
    });
  }
  if (config.format !== 'cadenza-transformer')
    throw new ModelError(
      config.format === 'cadenza-lstm'
        ? `${dir} holds a BiLSTM (for generation), not a Music Transformer.`
        : `${dir} is not a transformer model folder: its config.json does not say "cadenza-transformer".`,
      { path: dir },
    );
  const weights = await readWeights(dir, transformerWeightShapes(config.architecture));
  return { dir, config, weights, decoder: () => new TransformerDecoder(config.architecture, weights) };
}
