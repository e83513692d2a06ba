/** Likelihood of whole pieces under the composer: the scoring loop shared by training, evaluation and the piece memory. */
import { CancelledError } from '../../../common/errors';
import type { ComposerEngine } from './engine';
import { emptyChunk } from './engine';

/**
 * Scores whole pieces (or their first `maxTokens` tokens): every token predicted from all before
 * it in its piece, the first from the start id. Returns summed nats, targets and correct top-1.
 * `visit` sees each target's distribution (piece index, position, `probs` row at `offset`), in
 * order of position within each piece.
 */
export function scorePieces(
  engine: ComposerEngine,
  pieces: readonly Uint16Array[],
  maxTokens = 0,
  chunkTokens = 256,
  signal?: AbortSignal,
  visit?: (piece: number, position: number, probs: Float32Array, offset: number) => void,
): { nats: number; targets: number; correct: number } {
  const a = engine.architecture;
  const V = a.vocabSize;
  const K = a.lookback;
  let nats = 0;
  let targets = 0;
  let correct = 0;
  // Streams of up to 32 pieces at once, so the products stay wide.
  for (let p0 = 0; p0 < pieces.length; p0 += 32) {
    const group = pieces.slice(p0, p0 + 32).map((p) => (maxTokens > 0 ? p.subarray(0, maxTokens) : p));
    const B = group.length;
    const longest = Math.max(...group.map((p) => p.length));
    let state = engine.zeroState(B);
    // Sequence position s: input = s == 0 ? start : piece[s-1]; target = piece[s].
    for (let s0 = 0; s0 < longest; s0 += chunkTokens) {
      if (signal?.aborted) throw new CancelledError();
      const T = Math.min(chunkTokens, longest - s0);
      const chunk = emptyChunk(B, T, K);
      const at = (p: Uint16Array, s: number): number => (s <= 0 ? V : s - 1 < p.length ? p[s - 1]! : V);
      for (let b = 0; b < B; b++) {
        const p = group[b]!;
        for (let t = 0; t < T; t++) {
          const s = s0 + t;
          chunk.inputs[t * B + b] = at(p, s);
          chunk.targets[t * B + b] = s < p.length ? p[s]! : -1;
        }
        for (let k = 0; k < K - 1; k++) chunk.history[k * B + b] = at(p, s0 - (K - 1) + k);
      }
      const f = engine.forward(chunk, state);
      if (visit) {
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (chunk.targets[t * B + b]! >= 0) visit(p0 + b, s0 + t, f.probs, (t * B + b) * V);
      }
      nats += f.lossSum;
      targets += f.count;
      correct += f.correct;
      state = f.state;
    }
  }
  return { nats, targets, correct };
}
