/**
 * Single-precision matrix products (`sgemm`) for engines that keep their activations in plain
 * Float32Arrays: the system BLAS through koffi where one loads (OpenBLAS on Linux, Accelerate on
 * macOS, or a library the user names with `CADENZA_BLAS`), else a blocked pure-TypeScript
 * product that always works. Arrays are passed to C by pointer (subarray views included), so no
 * copy is made in either direction.
 */
import { existsSync } from 'node:fs';
import koffi from 'koffi';

/** A general matrix product C = alpha · op(A) · op(B) + beta · C on row-major arrays. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** Which kernel provider computes the products, and why it was chosen. */
export interface BlasProvider {
  /** 'blas' (a native library through koffi) or 'js' (pure TypeScript). */
  kind: 'blas' | 'js';
  /** The library loaded, or 'typescript'. */
  library: string;
  /** Why this provider, in one sentence. */
  reason: string;
  /** The product. */
  sgemm: Sgemm;
  /** Sets the native library's thread count (no-op for 'js'). */
  setThreads(threads: number): void;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

function candidates(): string[] {
  const fromEnv = process.env.CADENZA_BLAS;
  if (fromEnv) return [fromEnv];
  if (process.platform === 'darwin')
    return ['/System/Library/Frameworks/Accelerate.framework/Accelerate', 'libopenblas.dylib', '/opt/homebrew/opt/openblas/lib/libopenblas.dylib'];
  if (process.platform === 'win32') return ['libopenblas.dll', 'openblas.dll'];
  return ['libopenblas.so.0', 'libopenblas.so', '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0', 'libblis.so.4', 'libcblas.so.3', 'libblas.so.3'];
}

function loadOne(name: string): BlasProvider | string {
  // macOS 11+ keeps system frameworks in the dyld shared cache, not on disk: dlopen finds them anyway.
  const onDisk = !name.startsWith('/System/Library/');
  if (onDisk && (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) && !existsSync(name)) return 'absent';
  try {
    const lib = koffi.load(name);
    const gemm = lib.func(
      'void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, float *a, int lda, float *b, int ldb, float beta, float *c, int ldc)',
    ) as (...args: unknown[]) => void;
    let setThreads: (n: number) => void = () => {};
    try {
      const f = lib.func('void openblas_set_num_threads(int n)') as (n: number) => void;
      setThreads = (n) => f(n);
    } catch {
      // Not OpenBLAS (Accelerate, BLIS): it manages its own threads.
    }
    const sgemm: Sgemm = (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
      if (m === 0 || n === 0) return;
      gemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    };
    return { kind: 'blas', library: name, reason: `the system BLAS (${name}) loaded through koffi`, sgemm, setThreads };
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? 'failed to load';
  }
}

const loaded = new Map<string, BlasProvider | string>();

/**
 * Loads one BLAS library by file name or path (a user-given library, e.g. from Settings): the
 * provider, or why it did not load. Each name is loaded once per process.
 */
export function loadBlasLibrary(name: string): BlasProvider | string {
  let p = loaded.get(name);
  if (p === undefined) loaded.set(name, (p = loadOne(name)));
  return p;
}

function loadNative(): BlasProvider | string {
  const tried: string[] = [];
  for (const name of candidates()) {
    const p = loadBlasLibrary(name);
    if (typeof p !== 'string') return p;
    tried.push(`${name} (${p})`);
  }
  return tried.join('; ');
}

/** The pure-TypeScript product: i-k-j loops over row-major data, transposes read in place. */
export const jsSgemm: Sgemm = (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else if (beta !== 1) for (let j = 0; j < n; j++) c[ci + j]! *= beta;
    for (let p = 0; p < k; p++) {
      const av = alpha * (ta ? a[p * lda + i]! : a[i * lda + p]!);
      if (av === 0) continue;
      if (tb) for (let j = 0; j < n; j++) c[ci + j]! += av * b[j * ldb + p]!;
      else {
        const bp = p * ldb;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
      }
    }
  }
};

let cached: BlasProvider | undefined;

/**
 * The kernel provider: the native BLAS when one loads (and `CADENZA_KERNELS` is not 'js'), else
 * pure TypeScript, with the reason. Loaded once per process.
 */
export function blas(): BlasProvider {
  if (cached) return cached;
  const forced = process.env.CADENZA_KERNELS === 'js';
  const native = forced ? 'CADENZA_KERNELS=js' : loadNative();
  cached =
    typeof native === 'string'
      ? {
          kind: 'js',
          library: 'typescript',
          reason: forced
            ? 'pure TypeScript kernels, as CADENZA_KERNELS=js asks'
            : `pure TypeScript kernels, since no BLAS library loaded (tried ${native}); install libopenblas0 or set CADENZA_BLAS for speed`,
          sgemm: jsSgemm,
          setThreads: () => {},
        }
      : native;
  return cached;
}
