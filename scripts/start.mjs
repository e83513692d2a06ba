#!/usr/bin/env node
// `npm start`: builds the app when out/ is missing or older than src/, then launches Electron.
// Where the Electron binary is missing (offline machines install electron without it), it tries
// Electron's normal download once; if that fails too, it says so in one sentence and starts
// browser mode (`cadenza serve --open`) instead. `npm start -- --browser` goes straight there;
// other arguments are passed to `cadenza serve` (e.g. `npm start -- --port 5170`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const browserOnly = args.includes('--browser');
const serveArgs = args.filter((a) => a !== '--browser');
const DOWNLOAD_TIMEOUT_MS = 90_000;

function newestMtimeMs(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function buildIfStale() {
  const built = path.join(root, 'out', 'renderer', 'index.html');
  const outputs = [built, path.join(root, 'out', 'main', 'index.js'), path.join(root, 'out', 'preload', 'index.cjs')];
  const builtAt = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  if (builtAt > newestMtimeMs(path.join(root, 'src'))) return;
  console.error('cadenza: building the app (electron-vite build)…');
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('cadenza: the build failed (see above), so the app cannot start.');
    process.exit(result.status ?? 1);
  }
}

/** The Electron binary's path, or null when the package is installed without it. */
function electronBinary() {
  try {
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** Runs Electron's own installer once (it downloads the binary); answers whether a binary is there afterwards. */
function tryDownloadElectron() {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return false;
  console.error('cadenza: the Electron binary is missing; trying to download it once…');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [installer], { cwd: path.dirname(installer), env, stdio: 'ignore', timeout: DOWNLOAD_TIMEOUT_MS });
  return result.status === 0 && electronBinary() !== null;
}

function run(command, commandArgs, env = process.env) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (error) => {
    console.error(`cadenza: could not start ${path.basename(command)}: ${error.message}.`);
    process.exit(1);
  });
}

buildIfStale();
let electron = browserOnly ? null : electronBinary();
if (!browserOnly && !electron && tryDownloadElectron()) electron = electronBinary();
if (electron) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  run(electron, ['.'], env);
} else {
  if (!browserOnly)
    console.error('cadenza: Electron is not available on this machine (its download failed), so Cadenza starts in browser mode instead.');
  run(process.execPath, [path.join(root, 'bin', 'cadenza.mjs'), 'serve', '--open', ...serveArgs]);
}
