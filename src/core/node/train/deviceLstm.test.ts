import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LSTM_PRESETS } from '../../common/models/lstm';
import { blas } from '../tensor/blas';
import { probeWebGpu } from '../tensor/webgpu';
import { readTrainingLog } from './log';
import { motifDataset } from './testing';
import { trainLstm } from './trainLstm';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'cadenza-lstm-webgpu-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('trainLstm on webgpu', () => {
  it("follows the CPU engine's loss curve (tiny, dropout 0, same seed), records the adapter and leaks no tensor", async (ctx) => {
    const probe = await probeWebGpu();
    if (!probe.ok) {
      if (process.env.CI === 'true') throw new Error(`No WebGPU adapter in CI (CI installs Mesa's lavapipe): ${probe.reason}`);
      console.warn(`[skip] no WebGPU adapter here (${probe.reason}): the BiLSTM's GPU path is not compared`);
      ctx.skip();
    }
    const tiny = LSTM_PRESETS.tiny;
    // Few, small steps: lavapipe emulates the GPU on the CPU and is slow.
    const training = { ...tiny.training, epochs: 2, maxStepsPerEpoch: 4 };
    const data = motifDataset();
    const run = async (backend: 'webgpu' | 'blas' | 'wasm') => {
      const dir = await tempDir();
      const result = await trainLstm(data, { modelDir: dir, architecture: tiny.architecture, training, backend });
      const log = await readTrainingLog(path.join(dir, 'training-log.jsonl'));
      return { dir, result, log, figures: log.filter((e) => e.type === 'epoch').flatMap((e) => [e.trainLoss as number, e.validNll as number]) };
    };
    const cpu = await run(blas().kind === 'blas' ? 'blas' : 'wasm');
    const started = performance.now();
    const tensorsBefore = tf.memory().numTensors;
    const gpu = await run('webgpu');
    console.info(`[webgpu] BiLSTM tiny, 8 steps + 2 validations in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(gpu.result.config.training.backend).toBe('webgpu');
    expect(gpu.figures).toHaveLength(4);
    gpu.figures.forEach((l, i) => expect(Math.abs(l - cpu.figures[i]!)).toBeLessThan(2e-3 * cpu.figures[i]!));
    const start = gpu.log.find((e) => e.type === 'start')!;
    expect(start.adapter).toMatchObject({ vendor: expect.any(String), description: expect.any(String) });
    const config = JSON.parse(await readFile(path.join(gpu.dir, 'config.json'), 'utf8')) as { training: { adapter?: unknown } };
    expect(config.training.adapter).toEqual(start.adapter);
  }, 300_000);
});
