/**
 * Training throughput of the BiLSTM: ms per optimizer step and targets (windows) per second for
 * two fixed configurations, on every tensor backend this machine has, with 1 and 2 threads, plus
 * TF.js layers (the straightforward implementation) as the reference point. Each figure is the
 * mean of a second epoch of a few steps (the first warms up the JIT and the kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LstmArchitecture, LstmTrainSettings } from '../src/core/common/models/lstm';
import { LSTM_PRESETS } from '../src/core/common/models/lstm';
import type { BackendRequest } from '../src/core/node/tensor/backend';
import { selectTensorBackend } from '../src/core/node/tensor/backend';
import { motifDataset } from '../src/core/node/train/testing';
import { readTrainingLog } from '../src/core/node/train/log';
import { trainLstm } from '../src/core/node/train/trainLstm';
import type { BenchRow } from './run';

interface Config {
  name: 'small' | 'seed';
  architecture: Omit<LstmArchitecture, 'vocabSize'>;
  vocabSize: number;
  batchSize: number;
  /** Reference: PyTorch 1.13, 2 threads, this machine (from the issue). */
  referenceMs: number;
}

const CONFIGS: Config[] = [
  {
    name: 'small',
    architecture: { window: 64, embedding: 64, lstmUnits: [128], denseUnits: 128, dropout: 0.2 },
    vocabSize: 128,
    batchSize: 32,
    referenceMs: 46,
  },
  {
    name: 'seed',
    architecture: { window: 40, embedding: 0, lstmUnits: [512, 256], denseUnits: 256, dropout: 0.3 },
    vocabSize: 223,
    batchSize: 64,
    referenceMs: 503,
  },
];

async function available(): Promise<BackendRequest[]> {
  const out: BackendRequest[] = [];
  // CADENZA_BENCH_BACKENDS=wasm,cpu limits the backends tried (the pure-JS one takes minutes on `seed`).
  const wanted = process.env.CADENZA_BENCH_BACKENDS?.split(',');
  for (const b of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    if (wanted && !wanted.includes(b)) continue;
    try {
      await selectTensorBackend(b);
      out.push(b);
    } catch {
      /* not on this machine */
    }
  }
  return out;
}

async function engineMsPerStep(
  c: Config,
  backend: BackendRequest,
  threads: number,
  steps: number,
): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-bench-train-'));
  try {
    const training: LstmTrainSettings = {
      ...LSTM_PRESETS.small.training,
      batchSize: c.batchSize,
      epochs: 2,
      patience: 5,
      maxStepsPerEpoch: steps,
      validWindows: 16,
    };
    const data = motifDataset({ vocabSize: c.vocabSize, pieces: 8, length: 1500 });
    await trainLstm(data, { modelDir: dir, architecture: c.architecture, training, backend, threads });
    const epochs = (await readTrainingLog(path.join(dir, 'training-log.jsonl'))).filter(
      (e) => e.type === 'epoch',
    );
    // The second epoch: the first includes JIT warm-up and kernel set-up.
    return epochs[epochs.length - 1]!.msPerStep as number;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** TF.js layers: one-hot into a bias-free Dense (the Embedding gradient is missing on wasm), Bidirectional LSTM, Dense, softmax. */
async function layersMsPerStep(c: Config, steps: number): Promise<number> {
  const a = c.architecture;
  const model = tf.sequential();
  if (a.embedding > 0)
    model.add(tf.layers.dense({ units: a.embedding, useBias: false, inputShape: [a.window, c.vocabSize] }));
  a.lstmUnits.forEach((u, i) =>
    model.add(
      tf.layers.bidirectional({
        layer: tf.layers.lstm({ units: u, returnSequences: i < a.lstmUnits.length - 1 }),
        ...(i === 0 && a.embedding === 0 ? { inputShape: [a.window, c.vocabSize] } : {}),
      }),
    ),
  );
  model.add(tf.layers.dropout({ rate: a.dropout }));
  model.add(tf.layers.dense({ units: a.denseUnits, activation: 'relu' }));
  model.add(tf.layers.dense({ units: c.vocabSize, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const ids = tf.randomUniform([c.batchSize, a.window], 0, c.vocabSize, 'int32');
  const x = tf.oneHot(ids, c.vocabSize).toFloat();
  const y = tf.oneHot(tf.randomUniform([c.batchSize], 0, c.vocabSize, 'int32'), c.vocabSize).toFloat();
  await model.trainOnBatch(x, y);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const ms = (performance.now() - t0) / steps;
  tf.dispose([ids, x, y]);
  model.dispose();
  return ms;
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const backends = await available();
  const load = os.loadavg()[0]!.toFixed(1);
  // CADENZA_BENCH_CONFIGS=small limits the configurations measured.
  const configs = CONFIGS.filter(
    (c) => process.env.CADENZA_BENCH_CONFIGS?.split(',').includes(c.name) ?? true,
  );
  for (const c of configs) {
    for (const backend of backends) {
      // The pure-JS backend is so slow that a couple of steps tell the story.
      const steps = backend === 'cpu' ? 2 : c.name === 'small' ? 8 : 4;
      // CADENZA_BENCH_THREADS=1,2,4 sets the thread counts measured (default 1 and 2, this machine's cores).
      const threadList = (process.env.CADENZA_BENCH_THREADS ?? '1,2').split(',').map(Number);
      for (const threads of backend === 'cpu' ? [1] : threadList) {
        const ms = await engineMsPerStep(c, backend, threads, steps);
        rows.push(
          {
            name: `train ${c.name} BiLSTM engine, ${backend}, ${threads} thread(s)`,
            value: ms,
            unit: 'ms/step',
            note: `reference ${c.referenceMs} ms/step; load avg ${load}`,
          },
          {
            name: `train ${c.name} BiLSTM engine, ${backend}, ${threads} thread(s)`,
            value: (c.batchSize * 1000) / ms,
            unit: 'targets/s',
          },
        );
      }
    }
    if (c.name === 'small' && backends.includes('wasm')) {
      await selectTensorBackend('wasm');
      const ms = await layersMsPerStep(c, 2);
      rows.push({
        name: `train ${c.name} TF.js layers (reference), wasm`,
        value: ms,
        unit: 'ms/step',
        note: `load avg ${load}`,
      });
    }
  }
  return rows;
}
