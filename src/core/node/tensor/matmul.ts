/**
 * Matrix products on the active TF.js backend, for engines that keep their activations in
 * plain Float32Arrays. The wasm backend multiplies fast (XNNPACK, about 17 GFLOP/s on one core
 * here) but its slice, tanh, transposed and batched matMul kernels are slow and every op costs
 * tens of microseconds of bookkeeping; so the LSTM engine does its element-wise work in
 * TypeScript and hands only plain, untransposed 2-D products to TF.js.
 */
import * as tf from '@tensorflow/tfjs';

/** A right-hand matrix uploaded once and multiplied many times (e.g. a recurrent kernel). */
export interface MatrixHandle {
  /** Rows (the inner dimension of the product). */
  readonly rows: number;
  /** Columns (the output width). */
  readonly cols: number;
  /** @internal the backend tensor. */
  readonly tensor: tf.Tensor2D;
}

/** Uploads `data` (row-major `rows` x `cols`) as a matrix; release it with `releaseMatrix`. */
export function uploadMatrix(data: Float32Array, rows: number, cols: number): MatrixHandle {
  // A copy, because the cpu backend keeps the array it is given and callers reuse theirs.
  return { rows, cols, tensor: tf.tensor2d(data.slice(0, rows * cols), [rows, cols]) };
}

/** Frees a matrix made by `uploadMatrix`. */
export function releaseMatrix(handle: MatrixHandle): void {
  handle.tensor.dispose();
}

/**
 * out[m x n] = a[m x k] · b[k x n] (`accumulate`: out += the product). `a` is row-major; `b` is
 * an uploaded matrix or a row-major array.
 */
export function matmulInto(
  a: Float32Array,
  m: number,
  k: number,
  b: MatrixHandle | Float32Array,
  n: number,
  out: Float32Array,
  accumulate = false,
): void {
  if (m === 0 || n === 0) return;
  const at = tf.tensor2d(a.subarray(0, m * k), [m, k]);
  const bt = b instanceof Float32Array ? tf.tensor2d(b.subarray(0, k * n), [k, n]) : b.tensor;
  const ct = tf.matMul(at, bt);
  const c = ct.dataSync() as Float32Array;
  if (accumulate) for (let i = 0; i < m * n; i++) out[i]! += c[i]!;
  else out.set(c.subarray(0, m * n));
  at.dispose();
  ct.dispose();
  if (b instanceof Float32Array) bt.dispose();
}
