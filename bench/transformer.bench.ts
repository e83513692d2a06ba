/**
 * Music Transformer figures: training throughput of the default preset (the hand-written engine on
 * each kernel provider, beside PyTorch in the same run, and the TF.js autodiff it replaced),
 * incremental decoding (cached keys/values, TypeScript) against recomputing the whole window per
 * event (onnxruntime and TF.js), and the time to refine a 60-second piece (model + render + master).
 */
import * as tf from '@tensorflow/tfjs';
import { master } from '../src/core/common/audio/master';
import {
  TRANSFORMER_PRESETS,
  transformerWeightShapes,
  type TransformerArchitecture,
} from '../src/core/common/models/transformer';
import { TransformerDecoder } from '../src/core/common/models/transformerDecoder';
import { Rng } from '../src/core/common/random';
import { emptySong } from '../src/core/common/song/song';
import { TransformerEngine } from '../src/core/node/models/transformer/engine';
import { MusicTransformer } from '../src/core/node/models/transformer/model';
import type { TransformerTrainingData } from '../src/core/node/train/trainTransformer';
import { trainTransformer } from '../src/core/node/train/trainTransformer';
import { performanceTokens } from '../src/core/common/tokenize/performance';
import { blas } from '../src/core/node/tensor/blas';
import { elementwise } from '../src/core/node/tensor/elementwise';
import type { Kernels } from '../src/core/node/tensor/kernels';
import { blasKernels, tfjsKernels } from '../src/core/node/tensor/kernels';
import { Optimizer } from '../src/core/node/train/optimizer';
import { refineSong } from '../src/core/node/refine/refine';
import { buildTransformerOnnx, openOnnxTransformer } from '../src/core/node/onnx/exportTransformer';
import { createRenderer } from '../src/core/node/render/render';
import { selectTensorBackend } from '../src/core/node/tensor/backend';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPeer, torchMissing } from './peers';
import type { BenchRow } from './run';

const time = async (f: () => unknown | Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

/** One training step of the engine (forward, backward, Adam) on `kernels`, in ms (median of `steps`). */
function engineStepMs(
  arch: TransformerArchitecture,
  flat: Float32Array,
  kernels: Kernels,
  tokens: Int32Array,
  batch: number,
  steps: number,
): number {
  const params = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, shape] of transformerWeightShapes(arch)) {
    const size = shape.reduce((x, y) => x * y, 1);
    params.set(name, flat.slice(offset, offset + size));
    offset += size;
  }
  const grads = new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  const engine = new TransformerEngine(arch, params, kernels);
  const optimizer = new Optimizer('adam', params);
  const targets = tokens.map((t) => (t + 1) % arch.vocabSize);
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    for (const g of grads.values()) g.fill(0);
    engine.backward(engine.forward(tokens, targets, batch, arch.seqLength, new Rng(i)), grads);
    optimizer.apply(params, grads, 1e-3);
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!;
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const choice = await selectTensorBackend('auto');
  const arch: TransformerArchitecture = { ...TRANSFORMER_PRESETS.default.architecture, vocabSize: 388 };
  const model = MusicTransformer.create(arch, 1);
  const batch = TRANSFORMER_PRESETS.default.training.batchSize;
  const rng = new Rng(1);
  const tokens = Int32Array.from({ length: batch * arch.seqLength }, () => rng.int(388));
  // The PyTorch peer of the same preset first, in the same run (CADENZA_BENCH_PEER=0 skips it).
  const noPeer = process.env.CADENZA_BENCH_PEER === '0' ? 'CADENZA_BENCH_PEER=0' : torchMissing();
  let peerMs: number | undefined;
  if (noPeer)
    rows.push({
      name: 'transformer train step, PyTorch peer',
      value: NaN,
      unit: 'ms/step',
      note: `not run: ${noPeer}`,
    });
  else {
    const peer = runPeer('torch_transformer_bench.py', {
      BENCH_CONFIGS: 'default',
      BENCH_THREADS: '2',
      BENCH_STEPS: '10',
    });
    peerMs = (peer.results as { ms_per_step: number }[])[0]!.ms_per_step;
    const tps = (batch * arch.seqLength * 1000) / peerMs;
    rows.push({
      name: `transformer train step, default preset, PyTorch ${String(peer.torch)}, 2 threads`,
      value: peerMs,
      unit: 'ms/step',
      note: `${tps.toFixed(0)} targets/s; load avg ${os.loadavg()[0]!.toFixed(1)}`,
      json: {
        stage: 'transformer',
        config: 'default',
        implementation: `pytorch ${String(peer.torch)}`,
        provider: 'pytorch',
        threads: 2,
        msPerStep: peerMs,
        targetsPerSecond: tps,
        peerMsPerStep: peerMs,
        loadAverage: os.loadavg()[0],
      },
    });
  }
  const flat0 = await model.toFlat();
  // The engine on every provider present: the system BLAS with 1 and 2 threads, and tfjs-wasm.
  const providers: [string, Kernels, number][] = [];
  const native = blas();
  if (native.kind === 'blas') {
    providers.push(['blas', blasKernels(native), 1], ['blas', blasKernels(native), 2]);
  } else
    rows.push({
      name: 'transformer train step, BLAS',
      value: NaN,
      unit: 'ms/step',
      note: `not run: ${native.reason}`,
    });
  providers.push([choice.kind, tfjsKernels(choice.kind), 1]);
  for (const [name, kernels, threads] of providers) {
    kernels.setThreads(threads);
    const steps = name === 'blas' ? 10 : 3;
    const ms = engineStepMs(arch, flat0, kernels, tokens, batch, steps);
    const tps = (batch * arch.seqLength * 1000) / ms;
    const ratio = peerMs !== undefined ? `; ${(peerMs / ms).toFixed(2)}x PyTorch's targets/s` : '';
    rows.push({
      name: `transformer train step, default preset, batch ${batch} x ${arch.seqLength}, engine on ${name}, ${threads} thread${threads > 1 ? 's' : ''}`,
      value: ms,
      unit: 'ms/step',
      note: `${tps.toFixed(0)} targets/s${ratio}; ${elementwise().kind} element-wise; load avg ${os.loadavg()[0]!.toFixed(1)}`,
      json: {
        stage: 'transformer',
        config: 'default',
        implementation: 'cadenza engine',
        provider: name,
        elementwise: elementwise().kind,
        threads,
        msPerStep: ms,
        targetsPerSecond: tps,
        peerMsPerStep: peerMs ?? null,
        loadAverage: os.loadavg()[0],
      },
    });
    if (name === 'blas') kernels.setThreads(1);
  }
  // The whole training step as `train-transformer` runs it (loop, Adam, augmentation), on 1 and 2
  // threads (data parallel), on random tokens.
  const dataRng = new Rng(5);
  const piece = (n: number): Uint16Array => Uint16Array.from({ length: n }, () => dataRng.int(388));
  const data: TransformerTrainingData = {
    vocab: { kind: 'performance', tokens: performanceTokens(), counts: new Array(388).fill(1) },
    pieces: [
      ...Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, split: 'train' as const, tokens: piece(4000) })),
      { id: 'v', split: 'valid' as const, tokens: piece(600) },
    ],
  };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-bench-transformer-'));
  try {
    for (const threads of [1, 2]) {
      const modelPath = path.join(dir, `t${threads}`);
      await trainTransformer(data, { modelPath, preset: 'default', training: { epochs: 1, maxStepsPerEpoch: 40, warmupSteps: 5 }, threads, maxValidWindows: 1 });
      const log = (await fs.readFile(path.join(modelPath, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const epoch = log.find((r) => r.type === 'epoch')!;
      const ms = epoch.msPerStep as number;
      const ratio = peerMs !== undefined ? `; ${(peerMs / ms).toFixed(2)}x PyTorch's targets/s` : '';
      rows.push({
        name: `transformer training step (train-transformer), default preset, ${String(log[0]!.backend)}, ${threads} thread${threads > 1 ? 's' : ''}`,
        value: ms,
        unit: 'ms/step',
        note: `${((batch * arch.seqLength * 1000) / ms).toFixed(0)} targets/s${ratio}; load avg ${os.loadavg()[0]!.toFixed(1)}`,
        json: { stage: 'transformer', config: 'default', implementation: 'cadenza train-transformer', provider: log[0]!.backend, threads, msPerStep: ms, peerMsPerStep: peerMs ?? null, loadAverage: os.loadavg()[0] },
      });
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }

  // The TF.js autodiff reference the engine replaced, for the record (one step: it is slow).
  const x = tf.tensor2d(tokens, [batch, arch.seqLength], 'int32');
  const y = tf.tensor2d(
    tokens.map((t) => (t + 1) % 388),
    [batch, arch.seqLength],
    'int32',
  );
  const optimizer = tf.train.adam(1e-3);
  const step = (): void => {
    const loss = optimizer.minimize(() => model.loss(x, y, true), true, model.variables())!;
    loss.dataSync();
    loss.dispose();
  };
  step();
  const autodiffMs = await time(step);
  rows.push({
    name: 'transformer train step, TF.js autodiff (the reference, no longer the training path)',
    value: autodiffMs,
    unit: 'ms/step',
    note: `${choice.backend}; load avg ${os.loadavg()[0]!.toFixed(1)}`,
    json: {
      stage: 'transformer',
      config: 'default',
      implementation: 'cadenza tfjs autodiff',
      provider: choice.kind,
      threads: 1,
      msPerStep: autodiffMs,
      peerMsPerStep: peerMs ?? null,
      loadAverage: os.loadavg()[0],
    },
  });
  x.dispose();
  y.dispose();
  optimizer.dispose();

  const flat = await model.toFlat();
  const events = 256;
  const decoder = new TransformerDecoder(arch, flat);
  const decodeMs = await time(() => {
    for (let i = 0; i < events; i++) decoder.step(tokens[i]!);
  });
  rows.push({
    name: `incremental decoding (cached keys/values), ${events} events`,
    value: decodeMs / events,
    unit: 'ms/event',
    note: 'TypeScript',
  });
  const session = await openOnnxTransformer(buildTransformerOnnx(arch, flat), arch);
  const window = tokens.subarray(0, arch.seqLength);
  await session.predict(window, 1);
  const onnxMs =
    (await time(async () => {
      for (let i = 0; i < 20; i++) await session.predict(window, 1);
    })) / 20;
  rows.push({ name: 'full-window recompute per event (onnxruntime)', value: onnxMs, unit: 'ms/event' });
  await session.dispose();
  const tfjsMs =
    (await time(() => {
      for (let i = 0; i < 3; i++)
        tf.tidy(() => model.logits(tf.tensor2d(window, [1, arch.seqLength], 'int32')).dataSync());
    })) / 3;
  rows.push({
    name: 'full-window recompute per event (TF.js)',
    value: tfjsMs,
    unit: 'ms/event',
    note: choice.backend,
  });
  model.dispose();

  // A 60-second, flat, grid-timed piece like the generator writes: 4 notes a second.
  const song = emptySong(480);
  for (let i = 0; i < 240; i++) {
    const t = i * 240;
    song.notes.push({
      pitch: 48 + rng.int(36),
      velocity: 80,
      startTicks: t,
      endTicks: t + 220,
      track: 0,
      channel: 0,
    });
  }
  const loaded = {
    dir: 'bench',
    config: { vocab: { tokens: [], counts: [] } } as never,
    weights: flat,
    decoder: () => new TransformerDecoder(arch, flat),
  };
  const renderer = await createRenderer({ engine: 'auto' });
  let refined = song;
  const refineMs = await time(() => {
    refined = refineSong(song, loaded, { seed: 1 }).song;
  });
  let rendered: Awaited<ReturnType<typeof renderer.renderSong>> | undefined;
  const renderMs = await time(async () => {
    rendered = await renderer.renderSong(refined);
  });
  const masterMs = await time(() => master(rendered!));
  renderer.dispose();
  rows.push({ name: 'refine a 60 s piece: transformer re-performance', value: refineMs / 1000, unit: 's' });
  rows.push({
    name: 'refine a 60 s piece: render',
    value: renderMs / 1000,
    unit: 's',
    note: renderer.engine,
  });
  rows.push({
    name: 'refine a 60 s piece: master (loudness, true-peak limiter)',
    value: masterMs / 1000,
    unit: 's',
  });
  rows.push({
    name: 'refine a 60 s piece: total',
    value: (refineMs + renderMs + masterMs) / 1000,
    unit: 's',
  });
  return rows;
}
