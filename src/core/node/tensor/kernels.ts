/**
 * The kernel layer: the matrix products of engines that keep their activations in plain
 * Float32Arrays (the BiLSTM engine), on one of several providers chosen at run time:
 *
 * - `blas`: the system BLAS through koffi (`blas.ts`): products in place on the engine's arrays,
 *   transposes as flags, no copies; 1.7x to 6.9x tfjs-wasm's matMul on one core here;
 * - `tensorflow-gpu`, `tensorflow`, `wasm`, `cpu`: the TF.js backend of that name (`matmul.ts`),
 *   where each product uploads its operands and reads the result back; except that `wasm`
 *   multiplies on the WebAssembly SIMD sgemm (`simdKernels`) where SIMD runs.
 *
 * `selectKernels('auto')` takes the first present in that order and says why; a request for one
 * provider that is not present is a `UsageError`. The choice is recorded in the training log and
 * the model's config.
 *
 * The GPU is not a provider here: products on host arrays would copy every operand to the device
 * and back. `webgpu.ts` runs whole training steps on the device instead (the transformer's
 * `--backend webgpu`).
 */
import { UsageError } from '../../common/errors';
import type { BackendRequest } from './backend';
import { currentTensorBackend, selectTensorBackend } from './backend';
import type { BlasProvider } from './blas';
import { blas, loadBlasLibrary } from './blas';
import { elementwise, SimdWorkspace, transposeInto } from './elementwise';
import type { MatrixHandle } from './matmul';
import { matmulInto, releaseMatrix, uploadMatrix } from './matmul';

/** A kernel provider the user may ask for; `auto` picks the fastest present. */
export type KernelRequest = 'auto' | 'blas' | Exclude<BackendRequest, 'auto'>;

/** The names `--backend` accepts for the BiLSTM, fastest first after `auto`. */
export const KERNEL_REQUESTS: readonly KernelRequest[] = ['auto', 'blas', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * A right-hand matrix multiplied many times (a recurrent kernel in the step loop): on TF.js it is
 * uploaded once; on BLAS it is the array itself, read in place.
 */
export interface ConstMatrix {
  /** Rows of the matrix as multiplied (the inner dimension of the product). */
  readonly rows: number;
  /** Columns (the output width). */
  readonly cols: number;
}

/** Matrix products on one provider. All arrays are row-major. */
export interface Kernels {
  /** 'blas' or the TF.js backend kind ('wasm', 'tensorflow', ...). */
  readonly provider: Exclude<KernelRequest, 'auto'>;
  /** The native library, for 'blas' (else undefined). */
  readonly library?: string;
  /**
   * out[m x n] = op(a) · op(b) (+ out when `accumulate`), where op(a) is m x k (stored k x m
   * when `transA`) and op(b) is k x n (stored n x k when `transB`).
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    accumulate?: boolean,
  ): void;
  /** `b` (stored `transposed ? cols x rows : rows x cols`) as a matrix of `rows` x `cols` for `gemmConst`. */
  constant(b: Float32Array, rows: number, cols: number, transposed?: boolean): ConstMatrix;
  /** out[m x n] = a[m x k] · b (+ out when `accumulate`), `b` from `constant` of this provider. */
  gemmConst(a: Float32Array, m: number, b: ConstMatrix, out: Float32Array, accumulate?: boolean): void;
  /** Frees a matrix made by `constant`. */
  release(b: ConstMatrix): void;
  /** Sets the provider's own thread count (BLAS threads; no-op on TF.js). */
  setThreads(threads: number): void;
}

interface BlasConst extends ConstMatrix {
  data: Float32Array;
  transposed: boolean;
}

/** Kernels on a native BLAS provider (`blas()` or `loadBlasLibrary()`). */
export function blasKernels(p: BlasProvider): Kernels {
  return {
    provider: 'blas',
    library: p.library,
    gemm(transA, transB, m, n, k, a, b, out, accumulate = false) {
      p.sgemm(transA, transB, m, n, k, 1, a, transA ? m : k, b, transB ? k : n, accumulate ? 1 : 0, out, n);
    },
    constant(b, rows, cols, transposed = false): BlasConst {
      return { rows, cols, data: b, transposed };
    },
    gemmConst(a, m, b, out, accumulate = false) {
      const c = b as BlasConst;
      p.sgemm(false, c.transposed, m, c.cols, c.rows, 1, a, c.rows, c.data, c.transposed ? c.rows : c.cols, accumulate ? 1 : 0, out, c.cols);
    },
    release() {},
    setThreads: (n) => p.setThreads(n),
  };
}

interface SimdConst extends ConstMatrix {
  /** The workspace whose memory holds `data` (and runs the products with it). */
  ws: SimdWorkspace;
  data: Float32Array;
}

/**
 * Kernels on the WebAssembly SIMD sgemm of `wasmSimd.ts`, for machines without a native BLAS: each
 * product copies its operands into a module memory (transposing those stored transposed) and its
 * result back; a `constant` is copied in once, into a memory of its own that its products run in.
 * Reported as the `wasm` provider.
 */
export function simdKernels(): Kernels {
  const scratch = new SimdWorkspace();
  // Memories of released constants, reused (a constant is made per layer and pass).
  const spare: SimdWorkspace[] = [];
  return {
    provider: 'wasm',
    gemm(transA, transB, m, n, k, a, b, out, accumulate = false) {
      scratch.gemm(transA, transB, m, n, k, a, b, out, accumulate);
    },
    constant(b, rows, cols, transposed = false): SimdConst {
      const ws = spare.pop() ?? new SimdWorkspace();
      ws.frame();
      const data = ws.f32(rows * cols, false);
      if (transposed) transposeInto(b, cols, rows, data);
      else data.set(b.subarray(0, rows * cols));
      return { rows, cols, ws, data };
    },
    gemmConst(a, m, b, out, accumulate = false) {
      const c = b as SimdConst;
      c.ws.gemm(false, false, m, c.cols, c.rows, a, c.data, out, accumulate);
    },
    release(b) {
      spare.push((b as SimdConst).ws);
    },
    setThreads() {},
  };
}

/**
 * Kernels on the active TF.js backend (select it first with `selectTensorBackend`). Transposes are
 * made in TypeScript because tfjs-wasm's transposed matMul is slow.
 */
export function tfjsKernels(kind: Exclude<BackendRequest, 'auto'>): Kernels {
  const untransposed = (x: Float32Array, trans: boolean, rows: number, cols: number): Float32Array =>
    // x is stored cols x rows when trans; the product needs rows x cols.
    trans ? transposeInto(x, cols, rows, new Float32Array(rows * cols)) : x;
  return {
    provider: kind,
    gemm(transA, transB, m, n, k, a, b, out, accumulate = false) {
      matmulInto(untransposed(a, transA, m, k), m, k, untransposed(b, transB, k, n), n, out, accumulate);
    },
    constant(b, rows, cols, transposed = false): MatrixHandle {
      return uploadMatrix(untransposed(b, transposed, rows, cols), rows, cols);
    },
    gemmConst(a, m, b, out, accumulate = false) {
      const h = b as MatrixHandle;
      matmulInto(a, m, h.rows, h, h.cols, out, accumulate);
    },
    release: (b) => releaseMatrix(b as MatrixHandle),
    setThreads() {},
  };
}

/** What `selectKernels` chose and why. */
export interface KernelChoice {
  /** The provider now active. */
  provider: Exclude<KernelRequest, 'auto'>;
  /** The native library for 'blas'. */
  library?: string;
  /** One sentence: why this provider (and why faster ones were skipped). */
  reason: string;
  /** Providers tried before it, each with why it was not used. */
  skipped: { provider: string; reason: string }[];
  /** The kernels themselves. */
  kernels: Kernels;
}

/** Where to look for a native BLAS beyond the system's default names. */
export interface KernelOptions {
  /** A BLAS library file the user named (Settings or `--blas`); tried before the system's. */
  blasLibrary?: string;
}

let active: Kernels | undefined;

/** The kernels chosen by the last `selectKernels` call; TF.js on its active backend before any. */
export function activeKernels(): Kernels {
  return active ?? tfjsKernels(currentTensorBackend()?.kind ?? 'wasm');
}

/** The native provider, or why none loaded; `note` says what a user-given library did when it was passed over. */
function blasOrWhy(request: KernelRequest, options: KernelOptions): { provider?: BlasProvider; why: string; note?: string } {
  let note: string | undefined;
  if (options.blasLibrary) {
    const p = loadBlasLibrary(options.blasLibrary);
    if (typeof p !== 'string') return { provider: p, why: '' };
    note = `the BLAS library ${options.blasLibrary} did not load (${p})`;
    // Asked for by name: another library would not be what was asked for.
    if (request === 'blas') return { why: note };
  }
  const p = blas();
  if (p.kind === 'blas') return { provider: p, why: '', ...(note ? { note } : {}) };
  const why = process.env.CADENZA_KERNELS === 'js' ? 'CADENZA_KERNELS=js turns the native kernels off' : p.reason.replace(/^pure TypeScript kernels, since /, '');
  return { why: note ? `${note}; ${why}` : why };
}

/**
 * Chooses the kernel provider (and, for TF.js providers, activates that backend) and makes it the
 * one `activeKernels()` returns. `auto` takes the native BLAS when it loads, else the fastest
 * TF.js backend. Throws `UsageError` when an explicitly requested provider is not present.
 */
export async function selectKernels(request: KernelRequest = 'auto', options: KernelOptions = {}): Promise<KernelChoice> {
  if (!KERNEL_REQUESTS.includes(request))
    throw new UsageError(`--backend must be one of ${KERNEL_REQUESTS.join(', ')}, not "${String(request)}".`, {
      field: 'backend',
    });
  const skipped: { provider: string; reason: string }[] = [];
  if (request === 'auto' || request === 'blas') {
    const { provider: p, why, note } = blasOrWhy(request, options);
    if (p) {
      const kernels = blasKernels(p);
      active = kernels;
      const passed = note ? `; ${note}, so the system's was used` : '';
      return {
        provider: 'blas',
        library: p.library,
        reason:
          request === 'blas'
            ? `blas was requested (${p.library} through koffi${passed})`
            : `blas is the fastest provider and it is present (${p.library} through koffi; its products run 1.7x to 6.9x tfjs-wasm's on this model's shapes${passed})`,
        skipped,
        kernels,
      };
    }
    if (request === 'blas')
      throw new UsageError(`The blas provider is not available: ${why}. Install libopenblas0 (Debian/Ubuntu) or name a BLAS library in Settings.`, {
        field: 'backend',
      });
    skipped.push({ provider: 'blas', reason: why });
  }
  const tfChoice = await selectTensorBackend(request === 'auto' ? 'auto' : (request as BackendRequest));
  skipped.push(...tfChoice.skipped.map((s) => ({ provider: s.kind, reason: s.reason })));
  // On wasm the products run on the WebAssembly SIMD sgemm where it runs (tfjs-wasm's matMul
  // costs an upload and a read-back per product); the TF.js backend stays active for the rest.
  const simd = tfChoice.kind === 'wasm' && elementwise().kind === 'wasm-simd';
  const kernels = simd ? simdKernels() : tfjsKernels(tfChoice.kind);
  active = kernels;
  const products = simd ? `; its products on Cadenza's WebAssembly SIMD sgemm` : '';
  const reason =
    request === 'auto'
      ? `${tfChoice.kind} is the fastest provider present (${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})${products}`
      : `${tfChoice.reason}${products}`;
  return { provider: tfChoice.kind, reason, skipped, kernels };
}
