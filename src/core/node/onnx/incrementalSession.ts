/**
 * Incremental generation on onnxruntime: the same probabilities as the whole-window graph
 * (`openOnnxLstm`), with less work per event.
 *
 * A BiLSTM reads its whole window for every event: the backward direction starts at the newest
 * token, and the forward direction starts from a zero state at the oldest, so when the window
 * slides by one token every state changes and nothing can be carried over. Nothing, except that
 * the first layer's forward chain for a future window (it starts at a token already known) can be
 * run ahead of time. So this session keeps, per piece, the `window` forward chains of the first
 * layer that are in flight, one starting at each position of the window: each new token moves all
 * of them one step in one batched call, the oldest then holds the forward outputs over the whole
 * current window, and it is restarted as the chain for the window after next. The rest of the
 * model (the first layer's backward direction, the later layers, the head) runs as before on the
 * window (`buildLstmRestOnnx`).
 *
 * That turns `window` sequential matrix-vector products of the first layer's forward direction
 * into one matrix-matrix product per event. It matters most where the recurrent matrix does not
 * fit in cache (the `seed` size: 4 MB per direction) and less for small models
 * (docs/BENCHMARKS.md, "Generation").
 *
 * The interface is the stateless `predict(windows, batch)`: a row whose window is the previous
 * call's window of some row slid by one token continues that row's chains; any other row (the
 * first call, a primer, a batch whose rows changed) starts its chains over the window in one
 * batched call. The chains are a function of the tokens only, so either way the result is exact.
 */
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../../common/errors';
import type { LstmArchitecture } from '../../common/models/lstm';
import type { LstmWeights } from './exportLstm';
import { buildLstmRestOnnx, buildLstmStepOnnx, ONNX_INPUT, ONNX_OUTPUT, STEP_IO } from './exportLstm';
import type { OnnxLstmSession, OnnxSessionOptions } from './session';
import { checkWindows, loadOrt, sessionSettings } from './session';

/**
 * A piece's first-layer forward chains: `window` slots, each a chain that has taken `steps[k]`
 * steps (distinct values; exactly one slot is a new chain with 0 steps between calls).
 */
interface Chains {
  /** The window this state followed; the next window must be it slid by one token. */
  window: Int32Array;
  /** Hidden and cell states [slot, H]. */
  h: Float32Array;
  c: Float32Array;
  /** Outputs so far [slot, step, H]. */
  outputs: Float32Array;
  /** Steps taken per slot. */
  steps: Int32Array;
}

/** The key under which a state waits for the window that continues it: its window less the oldest token. */
function continuationKey(window: Int32Array): string {
  return window.subarray(1).join(',');
}

/** The key a new window looks up: all but its newest token. */
function lookupKey(window: Int32Array): string {
  return window.subarray(0, window.length - 1).join(',');
}

/** Opens the incremental session for a model with these weights; throws `ModelError` when onnxruntime refuses a graph. */
export async function openIncrementalOnnxLstm(
  architecture: LstmArchitecture,
  weights: LstmWeights,
  options: OnnxSessionOptions = {},
): Promise<OnnxLstmSession> {
  const a = architecture;
  const T = a.window;
  const H = a.lstmUnits[0]!;
  const ort = await loadOrt();
  const create = async (bytes: Uint8Array, threads: number): Promise<Ort.InferenceSession> => {
    try {
      return await ort.InferenceSession.create(bytes, sessionSettings(threads));
    } catch (error) {
      throw new ModelError(`onnxruntime could not load the incremental graphs: ${(error as Error).message.split('\n')[0]}.`, { cause: error });
    }
  };
  // One thread for the step: it is one small matrix product, and two spinning thread pools would fight.
  const stepSession = await create(buildLstmStepOnnx(a, weights), 1);
  const restSession = await create(buildLstmRestOnnx(a, weights), options.intraOpThreads ?? 1).catch(async (error: unknown) => {
    await stepSession.release();
    throw error;
  });

  let waiting = new Map<string, Chains>();
  let disposed = false;

  /**
   * One step of slots 0..chains-1 of each row's chains, reading `tokens[r]`; states and outputs
   * are updated in place. Slot k's output goes to its next step.
   */
  const step = async (states: Chains[], tokens: Int32Array, chains: number): Promise<void> => {
    const rows = states.length;
    // One row (a single piece, the common case): its [slot, H] states already are [chains, 1, H].
    const single = rows === 1 ? states[0]! : undefined;
    const h0 = single ? single.h.subarray(0, chains * H) : new Float32Array(chains * rows * H);
    const c0 = single ? single.c.subarray(0, chains * H) : new Float32Array(chains * rows * H);
    if (!single)
      states.forEach((state, r) => {
        for (let k = 0; k < chains; k++) {
          h0.set(state.h.subarray(k * H, (k + 1) * H), (k * rows + r) * H);
          c0.set(state.c.subarray(k * H, (k + 1) * H), (k * rows + r) * H);
        }
      });
    const out = await stepSession.run({
      [STEP_IO.token]: new ort.Tensor('int32', tokens, [rows]),
      [STEP_IO.h0]: new ort.Tensor('float32', h0, [chains, rows, H]),
      [STEP_IO.c0]: new ort.Tensor('float32', c0, [chains, rows, H]),
    });
    const h = out[STEP_IO.h]!.data as Float32Array;
    const c = out[STEP_IO.c]!.data as Float32Array;
    if (single) {
      single.h.set(h);
      single.c.set(c);
    }
    states.forEach((state, r) => {
      for (let k = 0; k < chains; k++) {
        const from = (k * rows + r) * H;
        if (!single) {
          state.h.set(h.subarray(from, from + H), k * H);
          state.c.set(c.subarray(from, from + H), k * H);
        }
        state.outputs.set(h.subarray(from, from + H), (k * T + state.steps[k]!) * H);
        state.steps[k]!++;
      }
    });
  };

  /** Writes the completed chain of `state` (the one with `window` steps) into `forward0` [T, batch, H] at `row`, then restarts it. */
  const harvest = (state: Chains, forward0: Float32Array, row: number, batch: number): void => {
    const slot = state.steps.indexOf(T);
    if (slot < 0) throw new ModelError('Internal error: no forward chain covered the whole window.');
    for (let t = 0; t < T; t++) forward0.set(state.outputs.subarray((slot * T + t) * H, (slot * T + t + 1) * H), (t * batch + row) * H);
    state.steps[slot] = 0;
    state.h.fill(0, slot * H, (slot + 1) * H);
    state.c.fill(0, slot * H, (slot + 1) * H);
  };

  /**
   * New chains over each row's window: slot j is the chain that starts at position j, so at
   * position p slots 0..p step and the later ones have not started yet.
   */
  const start = async (windows: Int32Array[]): Promise<Chains[]> => {
    const states = windows.map((window) => ({
      window,
      h: new Float32Array(T * H),
      c: new Float32Array(T * H),
      outputs: new Float32Array(T * T * H),
      steps: new Int32Array(T),
    }));
    for (let p = 0; p < T; p++)
      await step(
        states,
        Int32Array.from(windows, (w) => w[p]!),
        p + 1,
      );
    return states;
  };

  /** Moves every chain of each row one token on (the newest token of its window). */
  const advance = async (states: Chains[], windows: Int32Array[]): Promise<void> => {
    states.forEach((state, r) => (state.window = windows[r]!));
    await step(
      states,
      Int32Array.from(windows, (w) => w[T - 1]!),
      T,
    );
  };

  let queue: Promise<unknown> = Promise.resolve();
  const predict = async (windows: Int32Array, batch: number): Promise<Float32Array> => {
    if (disposed) throw new ModelError('The incremental ONNX session was already closed.');
    checkWindows(windows, batch, T, a.vocabSize);
    const fresh: number[] = [];
    const continued: number[] = [];
    const rowWindows: Int32Array[] = [];
    const states: Chains[] = [];
    for (let row = 0; row < batch; row++) {
      const window = windows.slice(row * T, (row + 1) * T);
      rowWindows.push(window);
      const key = lookupKey(window);
      const state = waiting.get(key);
      if (state) {
        // A state continues one row only: a second row with the same window starts its own chains.
        waiting.delete(key);
        states[row] = state;
        continued.push(row);
      } else fresh.push(row);
    }
    if (continued.length)
      await advance(
        continued.map((row) => states[row]!),
        continued.map((row) => rowWindows[row]!),
      );
    if (fresh.length) (await start(fresh.map((row) => rowWindows[row]!))).forEach((state, k) => (states[fresh[k]!] = state));
    const forward0 = new Float32Array(T * batch * H);
    states.forEach((state, row) => harvest(state, forward0, row, batch));
    const out = await restSession.run({
      [ONNX_INPUT]: new ort.Tensor('int32', windows, [batch, T]),
      [STEP_IO.forward0]: new ort.Tensor('float32', forward0, [T, batch, H]),
    });
    // Only this call's rows can be continued by the next call.
    waiting = new Map(states.map((state) => [continuationKey(state.window), state]));
    return (out[ONNX_OUTPUT]!.data as Float32Array).slice();
  };

  return {
    window: T,
    predict(windows, batch) {
      // One call at a time: each continues the states the previous one left.
      const result = queue.then(() => predict(windows, batch));
      queue = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      waiting.clear();
      await Promise.all([stepSession.release(), restSession.release()]);
    },
  };
}
