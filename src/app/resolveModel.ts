/** Which model folder a generate request means: the one named, the chosen default, the newest, or the bundled one. */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../core/common/errors';
import { bundledModelDir, BUNDLED_MODEL_ID, dataLayout } from './layout';

/** The model folder for `id` (or the default when undefined); throws `ApiError` naming `modelId` when there is none. */
export async function resolveModelDir(dataDir: string, id: string | undefined): Promise<string> {
  const layout = dataLayout(dataDir);
  let chosen = id;
  if (!chosen && existsSync(layout.defaultModelFile)) {
    chosen = (JSON.parse(await fs.readFile(layout.defaultModelFile, 'utf8')) as { id?: string }).id;
  }
  if (!chosen) {
    // No default set: the newest finished training run, else the bundled model.
    const runs = await fs.readdir(layout.models, { withFileTypes: true }).catch(() => []);
    let newest: { dir: string; mtimeMs: number } | undefined;
    for (const r of runs) {
      const config = path.join(layout.models, r.name, 'config.json');
      if (!r.isDirectory() || !existsSync(config)) continue;
      const mtimeMs = (await fs.stat(config)).mtimeMs;
      if (!newest || mtimeMs > newest.mtimeMs) newest = { dir: path.join(layout.models, r.name), mtimeMs };
    }
    if (newest) return newest.dir;
    chosen = BUNDLED_MODEL_ID;
  }
  const dir = chosen === BUNDLED_MODEL_ID ? bundledModelDir() : layout.model(chosen);
  if (!existsSync(path.join(dir, 'config.json')))
    throw new ApiError(
      chosen === BUNDLED_MODEL_ID
        ? 'There is no trained model yet and this build ships none; train one first.'
        : `The model ${chosen} does not exist or has not finished training.`,
      { field: 'modelId', path: dir },
    );
  return dir;
}

