/**
 * Starting a worker thread on one of this package's modules, from TypeScript sources (the tsx
 * CLI, vitest) or from a bundled build. Loader hooks are per thread, so from sources the thread
 * starts on a two-line bootstrap that registers tsx and then imports the `.ts` module; from a
 * build it starts on the module's file directly. Job workers, render workers and gradient
 * workers all start here.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WorkerOptions } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';

/** Whether `module` is a TypeScript source file on disk (so the thread needs tsx). */
export function isTypeScriptSource(module: URL): boolean {
  return module.protocol === 'file:' && module.pathname.endsWith('.ts') && existsSync(fileURLToPath(module));
}

/** The bootstrap that registers tsx in a new thread and imports `module`, as a data: URL. */
function tsxBootstrap(module: URL): URL {
  // require.resolve finds tsx's CommonJS entry; its ES module twin sits beside it.
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const source = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(module.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/**
 * Starts a worker thread running `module` (a `.ts` source, or a built `.js`/`.mjs` file).
 * Throws as `new Worker` does when the thread cannot start.
 */
export function startWorker(module: URL, options: WorkerOptions = {}): Worker {
  return new Worker(isTypeScriptSource(module) ? tsxBootstrap(module) : module, options);
}

/**
 * The module of worker `name` (a `.ts` file beside `from` in sources): from sources,
 * `<name>.ts` beside the importing module; in a build, `<name>.js` beside the importing chunk or
 * one folder up (electron-vite writes entries to out/main/ and shared code to out/main/chunks/).
 */
export function workerModule(from: string, source: string, built: string): URL {
  if (from.endsWith('.ts')) return new URL(source, from);
  const candidates = [new URL(`./${built}`, from), new URL(`../${built}`, from)];
  return candidates.find((u) => u.protocol !== 'file:' || existsSync(fileURLToPath(u))) ?? candidates[0]!;
}
