/**
 * Copies a trained transformer model folder into resources/models/transformer (config, weights,
 * log, a fresh ONNX export of the best weights), leaving the checkpoint behind.
 * Usage: npx tsx scripts/package-transformer.mts <model folder> [preprocessed data folder]
 * With the data folder, a config without `trainingPieces` gets them from the data's index (so
 * `evaluate --model` knows which pieces the model saw).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { transformerWeightShapes } from '../src/core/common/models/transformer';
import { writeFileAtomic } from '../src/core/node/fs/atomic';
import type { TransformerConfig } from '../src/core/node/models/transformer/config';
import { readWeights } from '../src/core/node/models/weights';
import { buildTransformerOnnx } from '../src/core/node/onnx/exportTransformer';
import { bundledTransformerPath } from '../src/core/node/models/transformer/load';
import { loadTokenDataset } from '../src/core/node/preprocess/dataset';
import { piecesByHash } from '../src/core/node/models/pieces';

const source = process.argv[2];
if (!source) throw new Error('Usage: npx tsx scripts/package-transformer.mts <model folder>');
const target = bundledTransformerPath();
await fs.mkdir(target, { recursive: true });
const config = JSON.parse(await fs.readFile(path.join(source, 'config.json'), 'utf8')) as TransformerConfig;
config.credits =
  'Trained on the piano-midi.de collection sequenced by Bernd Krueger (http://www.piano-midi.de), CC BY-SA 3.0 DE; this model is shared under the same licence.';
if (!config.trainingPieces && process.argv[3]) {
  const pieces = piecesByHash(await loadTokenDataset(process.argv[3], 'performance'), 'train');
  if (pieces) config.trainingPieces = pieces;
}
for (const f of ['weights.bin', 'weights.json', 'training-log.jsonl']) await fs.copyFile(path.join(source, f), path.join(target, f));
await writeFileAtomic(path.join(target, 'config.json'), JSON.stringify(config, null, 2) + '\n');
const weights = await readWeights(target, transformerWeightShapes(config.architecture));
await writeFileAtomic(path.join(target, 'model.onnx'), buildTransformerOnnx(config.architecture, weights));
console.log(`packaged ${source} -> ${target}: valid NLL ${config.metrics.validNll?.toFixed(3)}, unigram ${config.metrics.unigramNll?.toFixed(3)}, ${config.metrics.steps} steps`);
