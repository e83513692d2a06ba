// Builds the desktop app into out/: main (ESM, plus the job worker entry), preload (CommonJS:
// sandboxed preloads cannot be ES modules) and the Svelte renderer.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // Each job runs in a worker thread started from this file (src/core/node/jobs/manager.ts).
          jobWorker: resolve(__dirname, 'src/app/jobWorker.ts'),
          // Data-parallel training threads (src/core/node/train/parallel.ts) start from these files.
          gradWorker: resolve(__dirname, 'src/core/node/train/gradWorker.ts'),
          transformerGradWorker: resolve(__dirname, 'src/core/node/train/transformerGradWorker.ts'),
          // Previews render in a thread started from this file (src/app/preview.ts).
          renderWorker: resolve(__dirname, 'src/core/node/render/renderWorker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require only `electron`: bundle everything else into it.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [svelte()],
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } } },
  },
});
