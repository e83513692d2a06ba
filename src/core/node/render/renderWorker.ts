/**
 * A render worker thread: one renderer (its own synthesizer and SoundFont) that renders the files
 * the pool sends it, one at a time; the messages are `protocol.ts`'s.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../common/errors';
import type { RenderWorkerData, WorkerReply, WorkerRequest } from './protocol';
import { createRenderer } from './render';

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
