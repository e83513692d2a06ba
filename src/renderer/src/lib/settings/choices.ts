/** What Settings offers: only the training kernels that can run here, and the SoundFont renders really use. */
import type { z } from 'zod';
import type { appInfoSchema } from '../../../../api/contract';

type AppInfo = z.infer<typeof appInfoSchema>;

export type KernelInfo = NonNullable<AppInfo['kernels']>[number];

/** How the screens name each kernel provider. */
export const KERNEL_LABELS: Record<KernelInfo['provider'], string> = {
  blas: 'Native BLAS',
  webgpu: 'GPU (WebGPU)',
  'tensorflow-gpu': 'TensorFlow (GPU)',
  tensorflow: 'TensorFlow (native)',
  wasm: 'WebAssembly',
  cpu: 'Plain JavaScript',
};

/** The render sample rates the synthesizer supports, in Hz (core's list). */
export { SAMPLE_RATES_HZ } from '../../../../core/common/render/settings';

/** The kernel options to list (Automatic first) and one sentence on those left out, or null. */
export function kernelChoices(
  kernels: readonly KernelInfo[] | undefined,
  current: string | undefined,
): { options: Array<{ value: string; label: string }>; leftOut: string | null } {
  // An older backend that does not say: offer what always runs.
  const list = kernels ?? [
    { provider: 'wasm', available: true },
    { provider: 'cpu', available: true },
  ];
  const options = [{ value: 'auto', label: 'Automatic' }];
  for (const k of list)
    if (k.available || k.provider === current)
      options.push({
        value: k.provider,
        label: k.available ? KERNEL_LABELS[k.provider] : `${KERNEL_LABELS[k.provider]} (cannot run here)`,
      });
  const missing = list.filter((k) => !k.available);
  const why = (k: KernelInfo): string => {
    const text = (k.reason ?? 'It is not available here.').replace(/\.$/, '');
    return text[0]!.toLowerCase() + text.slice(1);
  };
  const leftOut = missing.length
    ? `Not offered, as they cannot run on this machine: ${missing.map((k) => `${KERNEL_LABELS[k.provider]}, since ${why(k)}`).join('; ')}.`
    : null;
  return { options, leftOut };
}

/** One sentence naming the GPU that training found through WebGPU, or why there is none (null from a backend that does not say). */
export function gpuLine(kernels: readonly KernelInfo[] | undefined): string | null {
  const gpu = kernels?.find((k) => k.provider === 'webgpu');
  if (!gpu) return null;
  if (gpu.available) return `GPU found: ${gpu.device ?? 'an unnamed adapter'}.`;
  return (gpu.reason ?? 'No GPU was found through WebGPU.').replace(/\.?$/, '.');
}

/** The SoundFont an empty SoundFont field means, e.g. "Bundled (MuseScore_General_Lite)". */
export function bundledSoundFontLabel(info: Pick<AppInfo, 'bundledSoundFont'> | null | undefined): string {
  const name = info?.bundledSoundFont?.replace(/\.sf[23]$/i, '');
  return name ? `Bundled (${name})` : 'Bundled';
}
