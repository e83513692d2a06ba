/**
 * The WebGPU provider: Google's Dawn for Node (npm `webgpu`: Vulkan on Linux, Metal on macOS,
 * D3D12 on Windows) under TF.js's webgpu backend. Both load only when asked for (a training run
 * with `--backend webgpu` or `auto`), never at CLI start-up: Dawn is a 21 MB native module.
 *
 * A software adapter (Mesa's lavapipe/llvmpipe, SwiftShader) runs the same code path on the CPU,
 * far slower than the CPU engines; it is good for tests, and `auto` never picks it.
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../common/errors';

/** The GPU that was found, as the adapter describes itself. */
export interface GpuAdapterInfo {
  /** e.g. 'nvidia', 'amd', 'apple', 'mesa'. */
  vendor: string;
  /** e.g. 'ampere', 'rdna-3', 'software'. */
  architecture: string;
  /** The device's own name, e.g. 'llvmpipe-llvm-15-0-6-256-bits-'. */
  device: string;
  /** One line from the driver, e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)'. */
  description: string;
  /** True for a CPU-emulated adapter (lavapipe/llvmpipe, SwiftShader, a fallback adapter). */
  software: boolean;
}

/** The adapter, or why none is usable. */
export type WebGpuProbe = { ok: true; adapter: GpuAdapterInfo } | { ok: false; reason: string };

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

let probed: Promise<WebGpuProbe> | undefined;
let activated: Promise<GpuAdapterInfo> | undefined;

/** True when the adapter's names say it is a software rasteriser on the CPU. */
export function isSoftwareAdapter(info: Omit<GpuAdapterInfo, 'software'>, fallback = false): boolean {
  const names = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return fallback || /lavapipe|llvmpipe|swiftshader|softpipe|\bsoftware\b|microsoft basic render/i.test(names);
}

/** One line naming the adapter, for logs and messages. */
export function describeAdapter(a: GpuAdapterInfo): string {
  const name = a.description || a.device || 'unnamed adapter';
  return `${name} (vendor ${a.vendor || 'unknown'}, architecture ${a.architecture || 'unknown'}${a.software ? ', software' : ''})`;
}

async function probe(): Promise<WebGpuProbe> {
  let gpu: GpuLike;
  try {
    // A variable specifier keeps bundlers from pulling Dawn's native module into the main bundle.
    const name: string = 'webgpu';
    const dawn = (await import(name)) as { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
    // TF.js's webgpu backend reads GPUBufferUsage and friends from the global scope.
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create([]);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? 'unknown error';
    return { ok: false, reason: /Cannot find (module|package)/.test(message) ? 'the webgpu package is not installed' : `Dawn (the webgpu package) failed to load: ${message}` };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter was found (no GPU driver with Vulkan, Metal or D3D12 support)' };
  const i = adapter.info ?? {};
  const named = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
  // TF.js's backend asks `navigator.gpu` for its adapter. Node 21+ has a `navigator` of its own.
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return { ok: true, adapter: { ...named, software: isSoftwareAdapter(named, adapter.isFallbackAdapter === true) } };
}

/** Loads Dawn and asks for an adapter (once per process); does not touch TF.js. */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probed ??= probe();
  return probed;
}

/**
 * What `auto` does about the GPU: a real GPU's adapter to train on, or why it was passed over (no
 * adapter, `CADENZA_WEBGPU=off`, or a software one, which trains slower than the CPU engines).
 */
export async function autoWebGpu(): Promise<{ adapter: GpuAdapterInfo } | { passedOver: string }> {
  if (process.env.CADENZA_WEBGPU === 'off') return { passedOver: 'CADENZA_WEBGPU=off turns it off' };
  const probe = await probeWebGpu();
  if (!probe.ok) return { passedOver: probe.reason };
  if (probe.adapter.software)
    return {
      passedOver: `the only adapter, ${describeAdapter(probe.adapter)}, is a software rasteriser that emulates a GPU on the CPU and trains slower than the CPU engine`,
    };
  return { adapter: probe.adapter };
}

/**
 * Makes TF.js's webgpu backend the active one (once per process) and returns its adapter.
 * Throws `UsageError` with one sentence when there is no adapter or the backend fails.
 */
export function activateWebGpu(): Promise<GpuAdapterInfo> {
  activated ??= (async () => {
    const p = await probeWebGpu();
    if (!p.ok) throw new UsageError(`The webgpu backend is not available: ${p.reason}.`, { field: 'backend' });
    try {
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) throw new Error('setBackend refused it');
      await tf.ready();
    } catch (error) {
      throw new UsageError(`The webgpu backend failed to start on ${describeAdapter(p.adapter)}: ${(error as Error).message.split('\n')[0]}.`, {
        field: 'backend',
      });
    }
    return p.adapter;
  })();
  activated.catch(() => (activated = undefined));
  return activated;
}
