/**
 * Fits (or refits) the piece memory of a trained composer and writes it into its config.json,
 * for folders trained before training did this itself:
 *   npx tsx scripts/fit-composer-memory.ts <model dir> <remi data dir the model was trained on>
 * The data must be the model's own (same corpus hash): weights are fitted on its training split,
 * the NLL reported on its validation split.
 */
import path from 'node:path';
import { writeJsonAtomic } from '../src/core/node/fs/atomic';
import { loadComposer } from '../src/core/node/models/composer/config';
import { ComposerEngine } from '../src/core/node/models/composer/engine';
import { composerMemoryFor } from '../src/core/node/models/composer/memory';
import { loadTokenDataset } from '../src/core/node/preprocess/dataset';
import { blas } from '../src/core/node/tensor/blas';

const [modelDir, dataDir] = process.argv.slice(2);
if (!modelDir || !dataDir) {
  process.stderr.write('usage: fit-composer-memory.ts <model dir> <remi data dir>\n');
  process.exit(2);
}
const { config, weights } = await loadComposer(modelDir);
const data = await loadTokenDataset(dataDir, 'remi');
if (data.manifest?.corpusHash !== config.corpusHash) {
  process.stderr.write(`fit-composer-memory: ${dataDir} is not the data ${modelDir} was trained on (corpus hash differs).\n`);
  process.exit(2);
}
const provider = blas();
provider.setThreads(1);
const engine = new ComposerEngine(config.architecture, weights, provider.sgemm);
const split = (name: string): Uint16Array[] => data.pieces.filter((p) => p.split === name && p.tokens.length > 1).map((p) => p.tokens);
const started = Date.now();
const memory = composerMemoryFor(engine, config.vocab.tokens, split('train'), split('valid'));
await writeJsonAtomic(path.join(modelDir, 'config.json'), { ...config, memory });
console.log(
  `${modelDir}: memory fitted on ${memory.fittedPieces} training pieces (${memory.fittedTargets} tokens) in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
    `validation NLL ${config.metrics.validNll.toFixed(3)} -> ${memory.validNll.toFixed(3)} nats/token`,
);
console.log('weights', JSON.stringify(memory.weights));
