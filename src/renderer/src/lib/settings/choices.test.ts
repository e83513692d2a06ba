import { describe, expect, it } from 'vitest';
import { bundledSoundFontLabel, gpuLine, kernelChoices } from './choices';

describe('Settings choices', () => {
  const kernels = [
    { provider: 'blas' as const, available: true },
    {
      provider: 'tensorflow-gpu' as const,
      available: false,
      reason: 'The optional package @tensorflow/tfjs-node-gpu is not installed.',
    },
    {
      provider: 'tensorflow' as const,
      available: false,
      reason: 'The optional package @tensorflow/tfjs-node is not installed.',
    },
    { provider: 'wasm' as const, available: true },
    { provider: 'cpu' as const, available: true },
  ];

  it('offers only the kernels that run here and says why the others cannot', () => {
    const { options, leftOut } = kernelChoices(kernels, 'auto');
    expect(options.map((o) => o.value)).toEqual(['auto', 'blas', 'wasm', 'cpu']);
    expect(leftOut).toBe(
      'Not offered, as they cannot run on this machine: TensorFlow (GPU), since the optional package @tensorflow/tfjs-node-gpu is not installed; TensorFlow (native), since the optional package @tensorflow/tfjs-node is not installed.',
    );
  });

  it('offers the GPU when WebGPU found one', () => {
    const withGpu = [...kernels, { provider: 'webgpu' as const, available: true, device: 'NVIDIA H200 (vendor nvidia, architecture hopper)' }];
    expect(kernelChoices(withGpu, 'auto').options.find((o) => o.value === 'webgpu')?.label).toBe('GPU (WebGPU)');
  });

  it('says which GPU was found, or why none was', () => {
    expect(gpuLine([{ provider: 'webgpu', available: true, device: 'Apple M3 (vendor apple, architecture metal-3)' }])).toBe(
      'GPU found: Apple M3 (vendor apple, architecture metal-3).',
    );
    expect(gpuLine([{ provider: 'webgpu', available: false, reason: 'No GPU was found through WebGPU: no adapter.' }])).toBe(
      'No GPU was found through WebGPU: no adapter.',
    );
    expect(gpuLine(kernels)).toBeNull();
  });

  it('keeps a chosen provider that no longer runs visible, marked as such', () => {
    expect(kernelChoices(kernels, 'tensorflow').options.map((o) => o.label)).toContain(
      'TensorFlow (native) (cannot run here)',
    );
  });

  it('names the SoundFont renders really use', () => {
    expect(bundledSoundFontLabel({ bundledSoundFont: 'MuseScore_General_Lite.sf3' })).toBe(
      'Bundled (MuseScore_General_Lite)',
    );
    expect(bundledSoundFontLabel(null)).toBe('Bundled');
  });
});
