/**
 * Trains the bundled composer: preprocesses a corpus with the remi tokenizer and runs
 * `trainComposer` with the default preset, printing progress. Usage:
 *   npx tsx scripts/train-composer.ts --corpus ../shared/corpora/piano-midi --out models/composer [--minutes 80] [--resume] [--preset default] [--steps N] [--threads 1]
 * (one BLAS thread is the better choice on a busy machine: the per-step products are narrow)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMPOSER_PRESETS } from '../src/core/common/models/composer';
import { trainComposer } from '../src/core/node/train/trainComposer';
import { loadTokenDataset } from '../src/core/node/preprocess/dataset';
import { preprocess } from '../src/core/node/preprocess/preprocess';

const args = process.argv.slice(2);
const flag = (name: string, fallback?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const corpus = flag('corpus', '../shared/corpora/piano-midi')!;
const out = flag('out', 'models/composer')!;
const presetName = (flag('preset', 'default') ?? 'default') as keyof typeof COMPOSER_PRESETS;
const minutes = Number(flag('minutes', '0'));
const steps = flag('steps');
const threads = Number(flag('threads', '1'));
const dataDir = path.join(out, '..', `${path.basename(out)}-data`);

const pre = await preprocess({ inputPath: corpus, outputPath: dataDir, kinds: ['remi'] });
console.log(`preprocessed ${pre.pieces} pieces in ${pre.seconds.toFixed(1)} s`);
const data = await loadTokenDataset(path.join(dataDir, 'remi'));
const preset = COMPOSER_PRESETS[presetName];
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
process.on('SIGINT', () => controller.abort());
let last = Date.now();
const result = await trainComposer(
  data,
  {
    modelDir: out,
    architecture: preset.architecture,
    training: { ...preset.training, ...(steps ? { steps: Number(steps) } : {}) },
    preset: presetName,
    resume: args.includes('--resume'),
    threads,
    ...(minutes > 0 ? { timeLimitSeconds: minutes * 60 } : {}),
    credits: readFileSync(path.join(corpus, 'ATTRIBUTION.md'), 'utf8').split('\n').find((l) => l.trim() !== '')?.trim() ?? '',
    signal: controller.signal,
    onProgress: (e) => {
      if (e.stage === 'validate' || Date.now() - last > 30_000) {
        last = Date.now();
        console.log(new Date().toISOString(), e.stage, e.done, '/', e.total, e.message, JSON.stringify(e.metrics ?? {}));
      }
    },
  },
).catch((error: unknown) => {
  console.error(String(error));
  process.exit(1);
});
console.log('done', result.stoppedBy, JSON.stringify(result.config.metrics));
