/**
 * Where the app keeps things in its data folder. The corpus store owns `corpus/`; the rest is
 * written by the app's jobs, each output moved into place whole when its job succeeds.
 *
 *   corpus/                 the corpus store (src/core/node/corpus)
 *   dataset/<kind>/         preprocessed data (remi, notes, performance)
 *   models/<runId>/         one training run = one model folder (config.json once finished, checkpoint/ to resume)
 *   models/<runId>/run.json what the app asked for (name, preset, epochs planned, created)
 *   models/default.json     { id } of the model `generate` uses when none is named
 *   generated/<jobId>/      pieces from one generate job (.mid + .json sidecars)
 *   renders/<jobId>/        WAVs from one synthesize job
 *   refined/<jobId>/        refined MIDI + mastered WAV + sidecar from one refine job
 *   evaluations/<jobId>/    report.json + report.html
 *   previews/               MIDI rendered with the SoundFont for playback (a cache: src/app/preview.ts)
 *   uploads/  exports/      files brought in (browser mode) and copied out
 *   tmp/jobs/<jobId>/       staging of running jobs (deleted when they end)
 *   takes.json              each piece's latest render and refinement (links to the files above)
 *   jobs.json settings.json job history and settings
 */
import path from 'node:path';
import { resourcesDir } from '../core/node/paths';

/** Paths of one data folder. */
export function dataLayout(dataDir: string) {
  return {
    corpusBlobs: path.join(dataDir, 'corpus', 'blobs'),
    dataset: path.join(dataDir, 'dataset'),
    models: path.join(dataDir, 'models'),
    model: (id: string) => path.join(dataDir, 'models', id),
    defaultModelFile: path.join(dataDir, 'models', 'default.json'),
    generated: (jobId: string) => path.join(dataDir, 'generated', jobId),
    renders: (jobId: string) => path.join(dataDir, 'renders', jobId),
    refined: (jobId: string) => path.join(dataDir, 'refined', jobId),
    evaluations: (jobId: string) => path.join(dataDir, 'evaluations', jobId),
    previews: path.join(dataDir, 'previews'),
  };
}

/** The model shipped with the app (absent in a checkout without it). */
export const BUNDLED_MODEL_ID = 'bundled';

/** Folder of the bundled composer (the default model). */
export function bundledModelDir(): string {
  return path.join(resourcesDir(), 'models', 'composer');
}

/** What the app records about a training run beside the model (`run.json`). */
export interface RunRecord {
  id: string;
  name: string;
  preset: string;
  epochsPlanned: number;
  createdAt: string;
  /** Settings that must stay the same on resume (the checkpoint's fingerprint covers them). */
  maxStepsPerEpoch: number;
  seed: number;
  /** The tensor backend the last session trained on. */
  backend?: string;
  /** The element-wise kernels it ran ('wasm-simd' or 'js'). */
  elementwise?: string;
}
