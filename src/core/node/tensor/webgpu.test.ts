import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeAdapter, isSoftwareAdapter, probeWebGpu } from './webgpu';

describe('WebGPU adapters', () => {
  it('tells software rasterisers (lavapipe/llvmpipe, SwiftShader, fallback adapters) from real GPUs', () => {
    const llvmpipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' };
    expect(isSoftwareAdapter(llvmpipe)).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: 'subzero', description: 'SwiftShader Device (Subzero)' })).toBe(true);
    const h200 = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' };
    expect(isSoftwareAdapter(h200)).toBe(false);
    expect(isSoftwareAdapter(h200, true)).toBe(true);
    expect(describeAdapter({ ...h200, software: false })).toBe('NVIDIA H200 (vendor nvidia, architecture hopper)');
  });

  it('probes once and says why when there is no adapter', async (ctx) => {
    const probe = await probeWebGpu();
    expect(await probeWebGpu()).toBe(probe);
    if (probe.ok) {
      expect(probe.adapter.description.length + probe.adapter.device.length).toBeGreaterThan(0);
      console.info(`[webgpu] adapter: ${describeAdapter(probe.adapter)}`);
    } else {
      if (process.env.CI === 'true') throw new Error(`No WebGPU adapter in CI (CI installs Mesa's lavapipe): ${probe.reason}`);
      expect(probe.reason).toMatch(/adapter|webgpu|Dawn/);
      console.warn(`[skip] no WebGPU adapter here: ${probe.reason}`);
      ctx.skip();
    }
  });

  it('fails with one sentence when no adapter is found (Vulkan pointed at no driver)', () => {
    if (process.platform !== 'linux') return;
    const module = fileURLToPath(new URL('./webgpu.ts', import.meta.url));
    const script = `import { activateWebGpu } from ${JSON.stringify(module)};
activateWebGpu().then((a) => console.log('adapter ' + a.description), (e) => console.log(e.name + ': ' + e.message));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, VK_DRIVER_FILES: '/nonexistent.json', VK_ICD_FILENAMES: '/nonexistent.json' },
      timeout: 60_000,
    });
    expect(run.stdout.trim()).toBe(
      'UsageError: The webgpu backend is not available: no WebGPU adapter was found (no GPU driver with Vulkan, Metal or D3D12 support).',
    );
  }, 90_000);
});
