/**
 * A render worker thread: one renderer (its own synthesizer and SoundFont) that renders the files
 * the pool sends it, one at a time. Messages in: `render` and `cancel`; out: `ready`, `done`,
 * `failed` (per file) and `fatal` (the renderer could not start).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../common/errors';
import { createRenderer, type RenderFileOptions, type RendererOptions } from './renderer';
import type { WorkerReply, WorkerRequest } from './parallel';

/** What the pool passes to a new worker. */
export interface RenderWorkerData {
  rendererOptions: RendererOptions;
  fileOptions: RenderFileOptions;
}

const port = parentPort!;
const { rendererOptions, fileOptions } = workerData as RenderWorkerData;
let controller = new AbortController();
const post = (reply: WorkerReply): void => port.postMessage(reply);

try {
  const renderer = await createRenderer(rendererOptions);
  post({
    type: 'ready',
    engine: renderer.engine,
    engineVersion: renderer.engineVersion,
    ...(renderer.fallbackReason ? { fallbackReason: renderer.fallbackReason } : {}),
  });
  port.on('message', (request: WorkerRequest) => {
    if (request.type === 'cancel') controller.abort();
    else if (request.type === 'close') {
      renderer.dispose();
      port.close();
    } else {
      const { index, midiPath, wavPath } = request;
      renderer
        .renderFile(midiPath, wavPath, fileOptions, { signal: controller.signal })
        .then((result) => post({ type: 'done', index, result }))
        .catch((error: unknown) => {
          post({ type: 'failed', index, error: serializeError(error) });
          if (controller.signal.aborted) controller = new AbortController();
        });
    }
  });
} catch (error) {
  post({ type: 'fatal', error: serializeError(error) });
}
