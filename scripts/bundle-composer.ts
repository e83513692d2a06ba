/**
 * Copies a trained composer into resources/models/composer (or `--to`): config.json, the
 * training log and float16 weights (half the size; generation and scoring read them as float32).
 *   npx tsx scripts/bundle-composer.ts <trained model dir> [--to resources/models/composer]
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { composerWeightShapes } from '../src/core/common/models/composer';
import { flattenWeights, loadComposer } from '../src/core/node/models/composer/config';
import { saveWeights } from '../src/core/node/models/weights';

const [from, ...rest] = process.argv.slice(2);
const ti = rest.indexOf('--to');
const to = ti >= 0 ? rest[ti + 1]! : path.join('resources', 'models', 'composer');
const { config, weights } = await loadComposer(from!);
await fs.mkdir(to, { recursive: true });
await saveWeights(to, composerWeightShapes(config.architecture), flattenWeights(config.architecture, weights), 'float16');
await fs.copyFile(path.join(from!, 'training-log.jsonl'), path.join(to, 'training-log.jsonl'));
await fs.writeFile(path.join(to, 'config.json'), JSON.stringify({ ...config, weightsDtype: 'float16' }, null, 2) + '\n');
console.log(`bundled ${from} into ${to} (step ${config.metrics.steps}, held-out ${config.metrics.validNll.toFixed(3)} nats/token, ${config.metrics.validScope})`);
