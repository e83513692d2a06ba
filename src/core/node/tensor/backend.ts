/**
 * Tensor backend selection: the fastest TF.js backend this machine can run, in the order
 * tfjs-node-gpu (CUDA) > tfjs-node (native TensorFlow) > wasm (SIMD) > cpu (pure JS).
 * The native packages are optional dependencies; where they did not install, they are skipped
 * with the reason recorded, so training logs can say which backend ran and why.
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../common/errors';

/** A backend the user may ask for; `auto` picks the fastest available. */
export type BackendRequest = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** The backend names `--backend` accepts. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = [
  'auto',
  'tensorflow-gpu',
  'tensorflow',
  'wasm',
  'cpu',
];

/** What was chosen and why. */
export interface BackendChoice {
  /** The TF.js backend name now active: 'tensorflow' (native, CPU or GPU), 'wasm' or 'cpu'. */
  backend: string;
  /** Which request it answered, e.g. 'tensorflow-gpu' when CUDA was used. */
  kind: Exclude<BackendRequest, 'auto'>;
  /** One line: why this one (and why faster ones were skipped). */
  reason: string;
  /** Backends tried before it, each with why it failed. */
  skipped: { kind: string; reason: string }[];
}

let current: BackendChoice | undefined;

async function tryNative(
  pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node',
): Promise<string | undefined> {
  try {
    // A variable specifier keeps bundlers and tsc from requiring these optional packages.
    const name: string = pkg;
    await import(name);
    if (!tf.findBackend('tensorflow')) return `${pkg} loaded but registered no 'tensorflow' backend`;
    if (!(await tf.setBackend('tensorflow'))) return `${pkg} failed to initialise`;
    return undefined;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? 'unknown error';
    return /Cannot find (module|package)/.test(message)
      ? `${pkg} is not installed`
      : `${pkg} failed to load: ${message}`;
  }
}

async function tryWasm(): Promise<string | undefined> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend failed to initialise';
    return undefined;
  } catch (error) {
    return `the wasm backend failed to load: ${(error as Error).message}`;
  }
}

/**
 * Activates a TF.js backend (once per process; later calls with the same request return the
 * same choice) and says which one and why. Throws `UsageError` when an explicitly requested
 * backend is not available.
 */
export async function selectTensorBackend(request: BackendRequest = 'auto'): Promise<BackendChoice> {
  if (current && (request === 'auto' || request === current.kind)) return current;
  if (!BACKEND_REQUESTS.includes(request))
    throw new UsageError(
      `--backend must be one of ${BACKEND_REQUESTS.join(', ')}, not "${String(request)}".`,
      {
        field: 'backend',
      },
    );
  const order: Exclude<BackendRequest, 'auto'>[] =
    request === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [request];
  const skipped: { kind: string; reason: string }[] = [];
  for (const kind of order) {
    let failure: string | undefined;
    if (kind === 'tensorflow-gpu') failure = await tryNative('@tensorflow/tfjs-node-gpu');
    else if (kind === 'tensorflow') failure = await tryNative('@tensorflow/tfjs-node');
    else if (kind === 'wasm') failure = await tryWasm();
    else failure = (await tf.setBackend('cpu')) ? undefined : 'the cpu backend failed to initialise';
    if (failure === undefined) {
      await tf.ready();
      const why =
        request === 'auto'
          ? skipped.length === 0
            ? `${kind} is the fastest backend and it is available`
            : `${kind} is the fastest available (${skipped.map((s) => s.reason).join('; ')})`
          : `${kind} was requested`;
      current = { backend: tf.getBackend(), kind, reason: why, skipped };
      return current;
    }
    skipped.push({ kind, reason: failure });
  }
  throw new UsageError(
    `The ${request} tensor backend is not available: ${skipped.map((s) => s.reason).join('; ')}.`,
    {
      field: 'backend',
    },
  );
}

/** The choice made by the last `selectTensorBackend` call, if any. */
export function currentTensorBackend(): BackendChoice | undefined {
  return current;
}
