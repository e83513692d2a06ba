/**
 * The ONNX export inside an LSTM model folder: `model.onnx` beside `config.json` and
 * `weights.json` + `weights.bin`, and `model.onnx.json` recording which weights it was built
 * from (sha-256 of weights.bin), so a retrained folder never runs a stale export.
 *
 * The export policy, the same for every model: training writes the weights, which are the model;
 * `model.onnx` is written only when asked for (`cadenza export-onnx`, or the script that packages a
 * bundled model), and whoever runs a model uses a current export or builds the same graph from
 * the weights in memory.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../../common/errors';
import { writeFileAtomic, writeJsonAtomic } from '../fs/atomic';
import type { LstmModelConfig } from '../models/lstm/config';
import { readLstmConfig } from '../models/lstm/config';
import { readLstmWeights } from '../models/lstm/weights';
import { buildLstmOnnx, ONNX_INPUT, ONNX_OUTPUT } from './exportLstm';
import { ONNX_IR_VERSION, ONNX_OPSET } from './graph';

/** File names inside a model folder. */
export const ONNX_FILES = { model: 'model.onnx', info: 'model.onnx.json', config: 'config.json', weights: 'weights.bin' } as const;

/** What `model.onnx.json` holds. */
export interface OnnxExportInfo {
  /** sha-256 (hex) of the weights.bin the export was built from. */
  weightsSha256: string;
  /** When it was exported (ISO 8601). */
  exportedAt: string;
  /** ONNX IR version of the file. */
  irVersion: number;
  /** Default-domain opset the graph imports. */
  opset: number;
  /** Name of the graph input (token ids, int32 [batch, window]). */
  input: string;
  /** Name of the graph output (probabilities, float32 [batch, vocabSize]). */
  output: string;
  /** Size of model.onnx in bytes. */
  bytes: number;
}

/** sha-256 (hex) of the folder's weights.bin. */
async function weightsHash(dir: string): Promise<string> {
  const file = path.join(dir, ONNX_FILES.weights);
  try {
    return createHash('sha256').update(await fs.readFile(file)).digest('hex');
  } catch (error) {
    throw new ModelError(`${file} is missing or unreadable, so the model cannot be exported.`, { path: file, cause: error });
  }
}

/** Whether the folder has an export built from its current weights. */
export async function onnxExportStatus(dir: string): Promise<'current' | 'stale' | 'missing'> {
  let info: OnnxExportInfo;
  try {
    await fs.access(path.join(dir, ONNX_FILES.model));
    info = JSON.parse(await fs.readFile(path.join(dir, ONNX_FILES.info), 'utf8')) as OnnxExportInfo;
  } catch {
    return 'missing';
  }
  return info.weightsSha256 === (await weightsHash(dir)) ? 'current' : 'stale';
}

/** The `.onnx` bytes for the model in `dir`, built in memory (nothing is written). */
export async function buildOnnxForModelFolder(dir: string): Promise<{ bytes: Uint8Array; config: LstmModelConfig; weightsSha256: string }> {
  const config = await readLstmConfig(dir);
  const weightsSha256 = await weightsHash(dir);
  const weights = await readLstmWeights(dir, config.architecture);
  const bytes = buildLstmOnnx(config.architecture, weights, { metadata: { weightsSha256 } });
  return { bytes, config, weightsSha256 };
}

/**
 * Exports the LSTM in `dir` to `dir/model.onnx` (+ `model.onnx.json`), atomically (`cadenza
 * export-onnx`; training does not). Returns the info written. Throws `ModelError`/`IoError` naming the file.
 */
export async function exportLstmModelFolder(dir: string): Promise<OnnxExportInfo> {
  const { bytes, weightsSha256 } = await buildOnnxForModelFolder(dir);
  const info: OnnxExportInfo = {
    weightsSha256,
    exportedAt: new Date().toISOString(),
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    input: ONNX_INPUT,
    output: ONNX_OUTPUT,
    bytes: bytes.byteLength,
  };
  // The model first, then its info: a crash between the two leaves "stale", never a wrong "current".
  await writeFileAtomic(path.join(dir, ONNX_FILES.model), bytes);
  await writeJsonAtomic(path.join(dir, ONNX_FILES.info), info);
  return info;
}
