import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../common/errors';
import { Rng } from '../../common/random';
import { transformerWeightShapes } from '../../common/models/transformer';
import { blas } from '../tensor/blas';
import type { WebGpuProbe } from '../tensor/webgpu';
import { probeWebGpu } from '../tensor/webgpu';
import { readWeights } from '../models/weights';
import type { TransformerConfig } from '../models/transformer/config';
import type { TransformerTrainingData } from './trainTransformer';
import { trainTransformer } from './trainTransformer';

/** Rising runs of four from random starts, as in train.test.ts, smaller. */
function fixture(vocab = 20): TransformerTrainingData {
  const rng = new Rng(3);
  const piece = (n: number): Uint16Array => {
    const out: number[] = [];
    while (out.length < n) {
      const s = rng.int(vocab - 4);
      for (let i = 0; i < 4; i++) out.push(s + i);
    }
    return Uint16Array.from(out.slice(0, n));
  };
  return {
    vocab: { kind: 'performance', tokens: Array.from({ length: vocab }, (_, i) => `T${i}`), counts: new Array(vocab).fill(1) },
    pieces: [
      ...Array.from({ length: 4 }, (_, i) => ({ id: `train${i}`, split: 'train' as const, tokens: piece(200) })),
      { id: 'valid0', split: 'valid' as const, tokens: piece(200) },
    ],
  };
}

// Few, small steps: lavapipe emulates the GPU on the CPU and is slow.
const training = { epochs: 2, maxStepsPerEpoch: 4, batchSize: 8, learningRate: 0.01, warmupSteps: 2, patience: 10 };

let tmp: string;
let probe: WebGpuProbe;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-webgpu-'));
  probe = await probeWebGpu();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Skips (with a visible line) where no adapter exists; in CI, which installs lavapipe, fails instead. */
function adapterOrSkip(ctx: { skip: () => void }): void {
  if (probe.ok) return;
  if (process.env.CI === 'true') throw new Error(`No WebGPU adapter in CI (CI installs Mesa's lavapipe): ${probe.reason}`);
  console.warn(`[skip] no WebGPU adapter here (${probe.reason}); install mesa-vulkan-drivers from bookworm-backports to run the GPU path`);
  ctx.skip();
}

async function curve(dir: string): Promise<{ log: Record<string, unknown>[]; figures: number[] }> {
  const log = (await fs.readFile(path.join(dir, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, figures: log.filter((r) => r.type === 'epoch').flatMap((r) => [r.trainLoss as number, r.validNll as number]) };
}

describe('trainTransformer on webgpu', () => {
  it("follows the CPU engine's loss curve (dropout 0, same seed), records the adapter and exports ONNX", async (ctx) => {
    adapterOrSkip(ctx);
    const cpuBackend = blas().kind === 'blas' ? 'blas' : 'wasm';
    const cpuDir = path.join(tmp, 'cpu');
    await trainTransformer(fixture(), { modelPath: cpuDir, preset: 'tiny', training, backend: cpuBackend });
    const gpuDir = path.join(tmp, 'gpu');
    const started = performance.now();
    const tensorsBefore = tf.memory().numTensors;
    const result = await trainTransformer(fixture(), { modelPath: gpuDir, preset: 'tiny', training, backend: 'webgpu' });
    // Weights, moments and every step's tensors are freed when the run ends.
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    console.info(`[webgpu] 8 tiny steps + 2 validations in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.backendReason}`);
    const cpu = await curve(cpuDir);
    const gpu = await curve(gpuDir);
    expect(result.backend).toBe('webgpu');
    expect(gpu.figures).toHaveLength(4);
    gpu.figures.forEach((l, i) => expect(Math.abs(l - cpu.figures[i]!)).toBeLessThan(2e-3 * cpu.figures[i]!));
    const start = gpu.log[0]!;
    expect(start.backend).toBe('webgpu');
    expect(start.adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String), description: expect.any(String) });
    const config = JSON.parse(await fs.readFile(path.join(gpuDir, 'config.json'), 'utf8')) as TransformerConfig;
    expect(config.training.backend).toBe('webgpu');
    expect(config.training.adapter?.description).toBe((start.adapter as { description: string }).description);
    // Training writes the weights; model.onnx only comes from an explicit export (onnx/modelFolder.ts).
    await expect(fs.access(path.join(gpuDir, 'model.onnx'))).rejects.toThrow();
    // The weights trained on the GPU are close to the CPU's after the same steps.
    const layout = transformerWeightShapes(config.architecture);
    const a = await readWeights(cpuDir, layout);
    const b = await readWeights(gpuDir, layout);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-3);
  }, 300_000);

  it('auto passes over a software adapter, saying why, and trains on the CPU', async (ctx) => {
    adapterOrSkip(ctx);
    if (probe.ok && !probe.adapter.software) {
      console.warn('[skip] this adapter is a real GPU, which auto takes');
      ctx.skip();
    }
    const dir = path.join(tmp, 'auto');
    const result = await trainTransformer(fixture(), { modelPath: dir, preset: 'tiny', training: { ...training, epochs: 1, maxStepsPerEpoch: 1 } });
    expect(result.backend).not.toBe('webgpu');
    expect(result.backendReason).toMatch(/webgpu was passed over: the only adapter, .*llvmpipe|software rasteriser/);
    const start = (await curve(dir)).log[0]!;
    expect((start.backendsSkipped as { provider: string }[])[0]!.provider).toBe('webgpu');
  }, 120_000);

  it('a cancelled GPU run resumed from its checkpoint ends where an uninterrupted one does', async (ctx) => {
    adapterOrSkip(ctx);
    const data = fixture();
    const common = { preset: 'tiny' as const, training, backend: 'webgpu' as const };
    const straight = path.join(tmp, 'straight');
    const straightResult = await trainTransformer(data, { ...common, modelPath: straight });
    const interrupted = path.join(tmp, 'interrupted');
    const controller = new AbortController();
    await expect(
      trainTransformer(data, {
        ...common,
        modelPath: interrupted,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.stage === 'epoch 2/2' && e.done === 2) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    const resumed = await trainTransformer(data, { ...common, modelPath: interrupted, resume: true });
    expect(await fs.readFile(path.join(interrupted, 'training-log.jsonl'), 'utf8')).toMatch(/"reason":"cancelled"/);
    expect(resumed.steps).toBe(straightResult.steps);
    expect(Math.abs(resumed.validNll - straightResult.validNll)).toBeLessThan(1e-5 * straightResult.validNll);
  }, 300_000);
});
