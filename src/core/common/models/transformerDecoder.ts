/**
 * Incremental decoding for the Music Transformer: one event at a time with cached keys and
 * values, so each new event costs O(context · dModel) instead of re-running the whole prefix.
 * Pure TypeScript on Float32Arrays (no tensors), so it runs in Node, in a worker and in the
 * renderer alike. Relative attention depends only on distances, so when the context is full the
 * cache slides: the oldest event is forgotten and every distance stays within the trained range.
 */
import type { TransformerArchitecture } from './transformer';
import { transformerWeightShapes } from './transformer';

const LN_EPSILON = 1e-5;

/** Splits flat weights (layout order) into named arrays. */
export function splitTransformerWeights(a: TransformerArchitecture, flat: Float32Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, shape] of transformerWeightShapes(a)) {
    const size = shape.reduce((x, y) => x * y, 1);
    out.set(name, flat.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== flat.length) throw new Error(`Transformer weights hold ${flat.length} values, the architecture needs ${offset}.`);
  return out;
}

/** y = x · W (+ b), with W row-major [inWidth, outWidth]. */
function matVec(x: Float32Array, w: Float32Array, inWidth: number, outWidth: number, out: Float32Array, bias?: Float32Array): void {
  if (bias) out.set(bias);
  else out.fill(0);
  for (let i = 0; i < inWidth; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * outWidth;
    for (let j = 0; j < outWidth; j++) out[j]! += xi * w[row + j]!;
  }
}

function layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array): void {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  const inv = 1 / Math.sqrt(variance / n + LN_EPSILON);
  for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) * inv * gamma[i]! + beta[i]!;
}

/** A decoder with its own cache; feed events with `step`, read next-event logits back. */
export class TransformerDecoder {
  private readonly w: Map<string, Float32Array>;
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];
  /** Events in the cache (at most seqLength). */
  private length = 0;
  /** Ring-buffer index of the oldest cached event. */
  private start = 0;
  // Scratch buffers, allocated once.
  private readonly x: Float32Array;
  private readonly normed: Float32Array;
  private readonly q: Float32Array;
  private readonly kv: Float32Array;
  private readonly context: Float32Array;
  private readonly proj: Float32Array;
  private readonly inner: Float32Array;
  private readonly scores: Float32Array;
  private readonly logits: Float32Array;

  /** @param flat weights in the layout of `transformerWeightShapes`. */
  constructor(
    readonly architecture: TransformerArchitecture,
    flat: Float32Array,
  ) {
    const a = architecture;
    this.w = splitTransformerWeights(a, flat);
    this.keys = Array.from({ length: a.layers }, () => new Float32Array(a.seqLength * a.dModel));
    this.values = Array.from({ length: a.layers }, () => new Float32Array(a.seqLength * a.dModel));
    this.x = new Float32Array(a.dModel);
    this.normed = new Float32Array(a.dModel);
    this.q = new Float32Array(a.dModel);
    this.kv = new Float32Array(a.dModel);
    this.context = new Float32Array(a.dModel);
    this.proj = new Float32Array(a.dModel);
    this.inner = new Float32Array(a.dFF);
    this.scores = new Float32Array(a.seqLength);
    this.logits = new Float32Array(a.vocabSize);
  }

  /** Forgets every event fed so far. */
  reset(): void {
    this.length = 0;
    this.start = 0;
  }

  /** How many events the cache holds (at most the context length). */
  get cached(): number {
    return this.length;
  }

  /**
   * Feeds one event and returns the logits of the next (a view that the next call overwrites;
   * copy it to keep it).
   */
  step(token: number): Float32Array {
    const a = this.architecture;
    const d = a.dModel;
    const h = a.heads;
    const dh = d / h;
    const L = a.seqLength;
    if (!(token >= 0 && token < a.vocabSize)) throw new RangeError(`Token ${token} is outside the vocabulary of ${a.vocabSize}.`);
    const emb = this.w.get('embedding')!;
    const scale = Math.sqrt(d);
    for (let i = 0; i < d; i++) this.x[i] = emb[token * d + i]! * scale;
    // Slot for this event: the ring buffer overwrites the oldest when full.
    let slot: number;
    if (this.length < L) slot = (this.start + this.length) % L;
    else {
      slot = this.start;
      this.start = (this.start + 1) % L;
    }
    const n = Math.min(this.length + 1, L);
    for (let l = 0; l < a.layers; l++) {
      const p = `layer${l}_`;
      layerNorm(this.x, this.w.get(`${p}ln1_gamma`)!, this.w.get(`${p}ln1_beta`)!, this.normed);
      matVec(this.normed, this.w.get(`${p}wq`)!, d, d, this.q);
      matVec(this.normed, this.w.get(`${p}wk`)!, d, d, this.kv);
      this.keys[l]!.set(this.kv, slot * d);
      matVec(this.normed, this.w.get(`${p}wv`)!, d, d, this.kv);
      this.values[l]!.set(this.kv, slot * d);
      const keys = this.keys[l]!;
      const values = this.values[l]!;
      const rel = this.w.get(`${p}rel`)!;
      const invSqrt = 1 / Math.sqrt(dh);
      for (let head = 0; head < h; head++) {
        const qo = head * dh;
        let max = -Infinity;
        for (let m = 0; m < n; m++) {
          // m = 0 is the oldest cached event; distance to the current one is n - 1 - m.
          const s = (this.start + m) % L;
          const distance = n - 1 - m;
          const relRow = (head * L + (L - 1 - distance)) * dh;
          let score = 0;
          for (let k = 0; k < dh; k++) score += this.q[qo + k]! * (keys[s * d + qo + k]! + rel[relRow + k]!);
          score *= invSqrt;
          this.scores[m] = score;
          if (score > max) max = score;
        }
        let sum = 0;
        for (let m = 0; m < n; m++) {
          const e = Math.exp(this.scores[m]! - max);
          this.scores[m] = e;
          sum += e;
        }
        for (let k = 0; k < dh; k++) this.context[qo + k] = 0;
        for (let m = 0; m < n; m++) {
          const s = (this.start + m) % L;
          const weight = this.scores[m]! / sum;
          for (let k = 0; k < dh; k++) this.context[qo + k]! += weight * values[s * d + qo + k]!;
        }
      }
      matVec(this.context, this.w.get(`${p}wo`)!, d, d, this.proj);
      for (let i = 0; i < d; i++) this.x[i]! += this.proj[i]!;
      layerNorm(this.x, this.w.get(`${p}ln2_gamma`)!, this.w.get(`${p}ln2_beta`)!, this.normed);
      matVec(this.normed, this.w.get(`${p}ff1_kernel`)!, d, a.dFF, this.inner, this.w.get(`${p}ff1_bias`)!);
      for (let i = 0; i < a.dFF; i++) if (this.inner[i]! < 0) this.inner[i] = 0;
      matVec(this.inner, this.w.get(`${p}ff2_kernel`)!, a.dFF, d, this.proj, this.w.get(`${p}ff2_bias`)!);
      for (let i = 0; i < d; i++) this.x[i]! += this.proj[i]!;
    }
    this.length = n;
    layerNorm(this.x, this.w.get('lnf_gamma')!, this.w.get('lnf_beta')!, this.normed);
    matVec(this.normed, this.w.get('output_kernel')!, d, a.vocabSize, this.logits, this.w.get('output_bias')!);
    return this.logits;
  }
}
