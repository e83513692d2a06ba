import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMotifDataset } from '../../core/node/train/testing';
import { runCli } from '../testing';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-cli-lstm-'));
  await writeMotifDataset(path.join(dir, 'processed', 'notes'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = runCli;

describe('cadenza train-lstm', () => {
  it('trains from the parent data folder and writes a model folder, reporting JSON', async () => {
    const model = path.join(dir, 'model');
    const r = await run(
      'train-lstm',
      '--data_path',
      path.join(dir, 'processed'),
      '--model_path',
      model,
      '--preset',
      'tiny',
      '--epochs',
      '2',
      '--max-steps-per-epoch',
      '5',
      '--backend',
      'wasm',
      '--baseline',
      '--float16',
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.backend.name).toBe('wasm');
    const config = JSON.parse(await readFile(path.join(model, 'config.json'), 'utf8'));
    expect(config.architecture.window).toBe(16);
    expect(config.metrics.epochs).toBe(2);
    expect(config.metrics.seedDesignNll).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(path.join(model, 'weights.json'), 'utf8')).dtype).toBe('float16');
  });

  it('trains on the native BLAS with --backend blas --blas-threads 2 and says so; a BLAS library that does not load is named', async (ctx) => {
    const { blas } = await import('../../core/node/tensor/blas');
    if (blas().kind !== 'blas') {
      if (process.env.CI === 'true') throw new Error(`No BLAS in CI: ${blas().reason}`);
      ctx.skip();
    }
    const model = path.join(dir, 'model-blas');
    const args = ['train-lstm', '--data_path', path.join(dir, 'processed'), '--model_path', model, '--preset', 'tiny', '--epochs', '1', '--max-steps-per-epoch', '3'];
    const r = await run(...args, '--backend', 'blas', '--blas-threads', '2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Trained on blas \(blas was requested/);
    const config = JSON.parse(await readFile(path.join(model, 'config.json'), 'utf8'));
    expect(config.training).toMatchObject({ backend: 'blas', blasThreads: 2 });
    const bad = await run(...args.map((a) => (a === model ? `${model}-2` : a)), '--backend', 'blas', '--blas-library', path.join(dir, 'nolib.so'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/nolib\.so did not load/);
  });

  it('exits 2 naming the flag on a bad option', async () => {
    const r = await run(
      'train-lstm',
      '--data_path',
      dir,
      '--model_path',
      path.join(dir, 'x'),
      '--dropout',
      '2',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('--dropout');
  });

  it('exits 1 with one sentence when --resume has no checkpoint', async () => {
    const r = await run(
      'train-lstm',
      '--data_path',
      path.join(dir, 'processed', 'notes'),
      '--model_path',
      path.join(dir, 'fresh'),
      '--preset',
      'tiny',
      '--resume',
      '--backend',
      'wasm',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no checkpoint/);
    expect(existsSync(path.join(dir, 'fresh'))).toBe(false);
  });
});
