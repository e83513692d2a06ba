/**
 * Transformer training speed on the GPU path (webgpu: the whole step on the device) against the
 * CPU engine, through the shared training loop, on synthetic tokens. Prints one JSON line per run:
 * targets/s and ms/step of the second epoch (the first compiles the GPU's shaders), with the
 * adapter's name. Not a `*.bench.ts`: on a machine without a GPU the webgpu run is lavapipe, slow.
 *
 *   npx tsx bench/gpu-train.ts --backend webgpu --arch 10m --steps 20
 *   npx tsx bench/gpu-train.ts --backend blas --arch 10m --steps 5
 *   npx tsx bench/gpu-train.ts --model lstm --backend webgpu --arch seed --steps 20
 *
 * `bench/gpu.sh` bundles it (`prepare`) and runs it on a machine without Node.js (`device`).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TransformerArchitecture } from '../src/core/common/models/transformer';
import { TRANSFORMER_PRESETS } from '../src/core/common/models/transformer';
import { Rng } from '../src/core/common/random';
import { DeviceTransformerTrainable } from '../src/core/node/train/deviceTransformer';
import { initialTransformerWeights } from '../src/core/node/models/transformer/initialWeights';
import { runTrainingLoop } from '../src/core/node/train/loop';
import { activateWebGpu, describeAdapter } from '../src/core/node/tensor/webgpu';
import type { LstmArchitecture } from '../src/core/common/models/lstm';
import { LSTM_PRESETS } from '../src/core/common/models/lstm';
import { DeviceLstmTrainable } from '../src/core/node/train/deviceLstm';
import { initLstmWeights } from '../src/core/node/models/lstm/weights';
import { buildWindows, windowsOf } from '../src/core/node/train/windows';

/** Architectures measured: the tests' `tiny`, the bundled `default`, and one of about 10 M weights (the issue's). */
const ARCHES: Record<string, Omit<TransformerArchitecture, 'vocabSize'>> = {
  tiny: { ...TRANSFORMER_PRESETS.tiny.architecture, dropout: 0 },
  default: { ...TRANSFORMER_PRESETS.default.architecture, dropout: 0 },
  '10m': { seqLength: 256, layers: 3, heads: 8, dModel: 512, dFF: 2048, dropout: 0 },
};
const VOCAB = 388;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Pieces of rising runs (learnable, so the loss is meaningful), enough for `windows` windows. */
function pieces(L: number, windows: number): { train: Uint16Array[]; valid: Uint16Array[] } {
  const rng = new Rng(3);
  const piece = (n: number): Uint16Array => Uint16Array.from({ length: n }, (_, i) => (rng.int(8) === 0 ? rng.int(VOCAB) : (i * 7) % VOCAB));
  return { train: Array.from({ length: 4 }, () => piece(Math.ceil((windows / 4 + 2) * (L / 2)) + L)), valid: [piece(2 * L + 1)] };
}

/** The windowed BiLSTM (`--model lstm`, presets tiny/small/default/seed): one JSON line, as for the transformer. */
async function mainLstm(backend: string, archName: string, steps: number, batch: number): Promise<void> {
  const preset = LSTM_PRESETS[archName as keyof typeof LSTM_PRESETS];
  if (!preset) throw new Error(`--arch must be one of ${Object.keys(LSTM_PRESETS).join(', ')} with --model lstm`);
  const V = 128;
  const architecture: LstmArchitecture = { ...preset.architecture, dropout: 0, vocabSize: V };
  const rng = new Rng(5);
  const piece = (n: number): Uint16Array => Uint16Array.from({ length: n }, (_, i) => (rng.int(8) === 0 ? rng.int(V) : (i * 5) % V));
  const train = [piece(steps * batch + architecture.window + 1)];
  const valid = [piece(architecture.window + 64)];
  const loop = { ...preset.training, batchSize: batch, epochs: 2, maxStepsPerEpoch: steps, patience: 10, schedule: 'cosine' as const };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-gpu-bench-'));
  const started = performance.now();
  const params = initLstmWeights(architecture, 1);
  const weights = [...params.values()].reduce((n, p) => n + p.length, 0);
  let device: string;
  let record: { steps: number; msPerStep: number; targetsPerSecond: number; trainLoss: number };
  if (backend === 'webgpu') {
    device = describeAdapter(await activateWebGpu());
    const trainable = new DeviceLstmTrainable(architecture, params, buildWindows(train, architecture.window), buildWindows(valid, architecture.window), batch, loop.optimizer);
    try {
      const r = await runTrainingLoop(trainable, loop, { checkpointDir: path.join(dir, 'checkpoint'), logFile: path.join(dir, 'log.jsonl'), fingerprint: 'bench' });
      record = r.history[r.history.length - 1]!;
    } finally {
      trainable.dispose();
    }
  } else {
    const { trainLstm } = await import('../src/core/node/train/trainLstm');
    const tokens = Array.from({ length: V }, (_, i) => `T${i}`);
    const r = await trainLstm(
      { vocab: { kind: 'notes', tokens, counts: new Array(V).fill(1) }, pieces: [{ id: 't', split: 'train', tokens: train[0]! }, { id: 'v', split: 'valid', tokens: valid[0]! }] } as never,
      { modelDir: dir, architecture: { ...preset.architecture, dropout: 0 }, training: loop, backend: backend as 'blas' },
    );
    device = `${r.backend.name} (${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'})`;
    const log = (await fs.readFile(path.join(dir, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as typeof record & { type: string });
    record = log.filter((x) => x.type === 'epoch').pop()!;
  }
  const e = record;
  console.log(JSON.stringify({ bench: 'lstm-train', backend, device, arch: archName, weights, batch, window: architecture.window, steps: e.steps, msPerStep: Number(e.msPerStep.toFixed(1)), targetsPerSecond: Math.round(e.targetsPerSecond), trainLoss: Number(e.trainLoss.toFixed(4)), seconds: Number(((performance.now() - started) / 1000).toFixed(1)), node: process.version }));
  await fs.rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const backend = flag('backend', 'webgpu');
  if (flag('model', 'transformer') === 'lstm') return mainLstm(backend, flag('arch', 'seed'), Number(flag('steps', '10')), Number(flag('batch', '64')));
  const archName = flag('arch', 'tiny');
  const steps = Number(flag('steps', '10'));
  const batch = Number(flag('batch', '16'));
  const base = ARCHES[archName];
  if (!base) throw new Error(`--arch must be one of ${Object.keys(ARCHES).join(', ')}`);
  const architecture: TransformerArchitecture = { ...base, vocabSize: VOCAB };
  const L = architecture.seqLength;
  const data = pieces(L, steps * batch);
  const train = windowsOf(data.train, L, Math.max(1, Math.floor(L / 2)), []);
  const valid = windowsOf(data.valid, L, L, []);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-gpu-bench-'));
  const loop = {
    batchSize: batch,
    epochs: 2,
    optimizer: 'adam' as const,
    learningRate: 1e-3,
    schedule: 'cosine' as const,
    warmupSteps: 0,
    patience: 10,
    seed: 1,
    maxStepsPerEpoch: steps,
  };
  let device = 'cpu';
  let result: Awaited<ReturnType<typeof runTrainingLoop>>;
  const started = performance.now();
  const params = initialTransformerWeights(architecture, 1);
  const weights = [...params.values()].reduce((n, p) => n + p.length, 0);
  if (backend === 'webgpu') {
    const adapter = await activateWebGpu();
    device = describeAdapter(adapter);
    const trainable = new DeviceTransformerTrainable(architecture, params, train, valid, batch);
    try {
      result = await runTrainingLoop(trainable, loop, { checkpointDir: path.join(dir, 'checkpoint'), logFile: path.join(dir, 'log.jsonl'), fingerprint: 'bench', targetsPerExample: L });
    } finally {
      trainable.dispose();
    }
  } else {
    // The CPU engine through the real entry point (loaded only here: it needs koffi and onnxruntime).
    const { trainTransformer } = await import('../src/core/node/train/trainTransformer');
    const tokens = Array.from({ length: VOCAB }, (_, i) => `T${i}`);
    const r = await trainTransformer(
      {
        vocab: { kind: 'performance', tokens, counts: new Array(VOCAB).fill(1) },
        pieces: [...data.train.map((t, i) => ({ id: `t${i}`, split: 'train' as const, tokens: t })), ...data.valid.map((t, i) => ({ id: `v${i}`, split: 'valid' as const, tokens: t }))],
      },
      { modelPath: dir, architecture: base, training: { ...loop, transpositions: [0] }, backend: backend as 'blas', maxValidWindows: 2 },
    );
    device = `${r.backend} (${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'})`;
    const log = (await fs.readFile(path.join(dir, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    result = { history: log.filter((x) => x.type === 'epoch') } as unknown as typeof result;
  }
  const e = result.history[result.history.length - 1]!;
  console.log(
    JSON.stringify({
      bench: 'transformer-train',
      backend,
      device,
      arch: archName,
      weights,
      batch,
      seqLength: L,
      steps: e.steps,
      msPerStep: Number(e.msPerStep.toFixed(1)),
      targetsPerSecond: Math.round(e.targetsPerSecond),
      trainLoss: Number(e.trainLoss.toFixed(4)),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      node: process.version,
    }),
  );
  await fs.rm(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`gpu-train: ${(error as Error).message}`);
    process.exit(1);
  },
);
