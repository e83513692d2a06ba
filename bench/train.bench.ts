/**
 * Training throughput of the BiLSTM: ms per optimizer step and targets (windows) per second for
 * two fixed configurations, on every kernel provider present (`blas`, TF.js backends), with each
 * way of using the cores (one thread; BLAS threads inside the products; data-parallel worker
 * threads), beside the PyTorch peer (`../shared/peers/torch_lstm_bench.py`, 2 threads) run in the
 * same run. Each of our figures is the mean of a second epoch of a few steps (the first warms up
 * the JIT and the kernels); the peer's is its median step.
 *
 * Narrow it with CADENZA_BENCH_BACKENDS=blas,wasm, CADENZA_BENCH_CONFIGS=small,
 * CADENZA_BENCH_THREADS=1,2; CADENZA_BENCH_PEER=0 skips PyTorch; CADENZA_BENCH_LAYERS=1 adds TF.js
 * layers (the straightforward implementation) on `small`.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LstmArchitecture, LstmTrainSettings } from '../src/core/common/models/lstm';
import { LSTM_PRESETS } from '../src/core/common/models/lstm';
import { selectTensorBackend } from '../src/core/node/tensor/backend';
import type { KernelRequest } from '../src/core/node/tensor/kernels';
import { selectKernels } from '../src/core/node/tensor/kernels';
import { motifDataset } from '../src/core/node/train/testing';
import { readTrainingLog } from '../src/core/node/train/log';
import { trainLstm } from '../src/core/node/train/trainLstm';
import { runPeer, torchMissing } from './peers';
import type { BenchRow } from './run';

interface Config {
  name: 'small' | 'seed';
  architecture: Omit<LstmArchitecture, 'vocabSize'>;
  vocabSize: number;
  batchSize: number;
  /** The peer's configuration of the same shape. */
  peer: string;
}

const CONFIGS: Config[] = [
  {
    name: 'small',
    architecture: { window: 64, embedding: 64, lstmUnits: [128], denseUnits: 128, dropout: 0.2 },
    vocabSize: 128,
    batchSize: 32,
    peer: 'small_emb',
  },
  {
    name: 'seed',
    architecture: { window: 40, embedding: 0, lstmUnits: [512, 256], denseUnits: 256, dropout: 0.3 },
    vocabSize: 223,
    batchSize: 64,
    peer: 'seed_b64',
  },
];

/** One way of using `threads` cores: threads inside each BLAS product, or data-parallel workers. */
interface ThreadPlan {
  threads: number;
  workers: number;
  blasThreads: number;
  label: string;
}

async function available(): Promise<Exclude<KernelRequest, 'auto'>[]> {
  const out: Exclude<KernelRequest, 'auto'>[] = [];
  // The pure-JS `cpu` backend takes minutes on `seed`: ask for it by name.
  const wanted = (process.env.CADENZA_BENCH_BACKENDS ?? 'blas,tensorflow-gpu,tensorflow,wasm').split(',');
  for (const b of ['blas', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    if (!wanted.includes(b)) continue;
    try {
      await selectKernels(b);
      out.push(b);
    } catch {
      /* not on this machine */
    }
  }
  return out;
}

function plans(provider: string): ThreadPlan[] {
  const list = (process.env.CADENZA_BENCH_THREADS ?? '1,2').split(',').map(Number);
  const out: ThreadPlan[] = [];
  for (const n of list) {
    if (n === 1) out.push({ threads: 1, workers: 1, blasThreads: 1, label: '1 thread' });
    else {
      if (provider === 'blas') out.push({ threads: n, workers: 1, blasThreads: n, label: `${n} BLAS threads` });
      out.push({ threads: n, workers: n, blasThreads: 1, label: `${n} worker threads` });
    }
  }
  return out;
}

async function engineMsPerStep(c: Config, backend: KernelRequest, plan: ThreadPlan, steps: number): Promise<number> {
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
    await trainLstm(data, {
      modelDir: dir,
      architecture: c.architecture,
      training,
      backend,
      threads: plan.workers,
      blasThreads: plan.blasThreads,
    });
    const epochs = (await readTrainingLog(path.join(dir, 'training-log.jsonl'))).filter((e) => e.type === 'epoch');
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
  const providers = await available();
  const configs = CONFIGS.filter((c) => process.env.CADENZA_BENCH_CONFIGS?.split(',').includes(c.name) ?? true);
  const noPeer = process.env.CADENZA_BENCH_PEER === '0' ? 'CADENZA_BENCH_PEER=0' : torchMissing();
  const load = (): string => os.loadavg()[0]!.toFixed(1);
  for (const c of configs) {
    // The peer first, then ours, in the same run: the ratio is what means something.
    let peerMs: number | undefined;
    if (noPeer) rows.push({ name: `train ${c.name} PyTorch peer`, value: NaN, unit: 'ms/step', note: `not run: ${noPeer}` });
    else {
      const peer = runPeer('torch_lstm_bench.py', { BENCH_CONFIGS: c.peer, BENCH_THREADS: '2', BENCH_STEPS: c.name === 'small' ? '10' : '5' });
      const t = (peer.train as Record<string, { ms_step_median: number }>)[c.peer]!;
      peerMs = t.ms_step_median;
      rows.push({
        name: `train ${c.name} PyTorch ${String(peer.torch)} (${c.peer}), 2 threads`,
        value: peerMs,
        unit: 'ms/step',
        note: `${((c.batchSize * 1000) / peerMs).toFixed(0)} targets/s; load avg ${load()}`,
        json: {
          stage: 'train',
          config: c.name,
          implementation: `pytorch ${String(peer.torch)}`,
          provider: 'pytorch',
          threads: 2,
          msPerStep: peerMs,
          targetsPerSecond: (c.batchSize * 1000) / peerMs,
          peerMsPerStep: peerMs,
          loadAverage: os.loadavg()[0],
        },
      });
    }
    for (const provider of providers) {
      const steps = provider === 'cpu' ? 2 : c.name === 'small' ? 8 : provider === 'blas' ? 4 : 2;
      for (const plan of provider === 'cpu' ? plans(provider).slice(0, 1) : plans(provider)) {
        const ms = await engineMsPerStep(c, provider, plan, steps);
        const tps = (c.batchSize * 1000) / ms;
        const ratio = peerMs !== undefined ? `; ${(peerMs / ms).toFixed(2)}x PyTorch's targets/s` : '';
        rows.push({
          name: `train ${c.name} BiLSTM engine, ${provider}, ${plan.label}`,
          value: ms,
          unit: 'ms/step',
          note: `${tps.toFixed(0)} targets/s${ratio}; load avg ${load()}`,
          json: {
            stage: 'train',
            config: c.name,
            implementation: 'cadenza engine',
            provider,
            threads: plan.threads,
            workers: plan.workers,
            blasThreads: plan.blasThreads,
            msPerStep: ms,
            targetsPerSecond: tps,
            peerMsPerStep: peerMs ?? null,
            loadAverage: os.loadavg()[0],
          },
        });
      }
    }
    if (c.name === 'small' && process.env.CADENZA_BENCH_LAYERS === '1') {
      await selectTensorBackend('wasm');
      const ms = await layersMsPerStep(c, 2);
      rows.push({ name: `train ${c.name} TF.js layers (reference), wasm`, value: ms, unit: 'ms/step', note: `load avg ${load()}` });
    }
  }
  return rows;
}
