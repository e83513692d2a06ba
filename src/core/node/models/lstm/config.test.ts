import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../common/errors';
import { readLstmConfig } from './config';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-lstm-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readLstmConfig', () => {
  it('says what a config.json without a format field lacks, naming the folder', async () => {
    await writeFile(path.join(dir, 'config.json'), '{}\n');
    const error = await readLstmConfig(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toBe(
      `${path.join(dir, 'config.json')} has no format field; ${dir} is not a Cadenza LSTM model folder.`,
    );
  });

  it('names another format and the one it needs', async () => {
    await writeFile(path.join(dir, 'config.json'), '{"format":"cadenza-transformer"}\n');
    await expect(readLstmConfig(dir)).rejects.toThrow(
      /has format "cadenza-transformer", not "cadenza-lstm"; .* is not a Cadenza LSTM model folder\.$/,
    );
  });
});
