/** The composer opened for generation: its config and an engine on the kernel layer. */
import type { ComposerModelConfig } from '../models/composer/config';
import { loadComposer } from '../models/composer/config';
import { ComposerEngine } from '../models/composer/engine';
import { blas } from '../tensor/blas';
import { elementwise } from '../tensor/elementwise';

/** An opened composer. */
export interface ComposerRuntime {
  kind: 'composer';
  config: ComposerModelConfig;
  engine: ComposerEngine;
  /** Which kernels run it, in words. */
  kernels: string;
  dispose(): Promise<void>;
}

/** Opens the composer folder `dir`; throws `ModelError` naming the folder. */
export async function openComposerRuntime(dir: string): Promise<ComposerRuntime> {
  const { config, weights } = await loadComposer(dir);
  const provider = blas();
  // Generation multiplies narrow matrices (one row per piece): one thread is faster than two.
  provider.setThreads(1);
  return {
    kind: 'composer',
    config,
    engine: new ComposerEngine(config.architecture, weights, provider.sgemm),
    kernels: `${provider.reason}; ${elementwise().reason}`,
    dispose: () => Promise.resolve(),
  };
}
