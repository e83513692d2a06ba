/**
 * What the browser end-to-end tests share: the built renderer (built when older than its
 * sources), a `cadenza serve` over a fresh data folder, and Debian's Chromium driven by
 * playwright-core, with screenshots written to test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../../src/server/server';
import { projectRoot } from '../../../src/core/node/paths';

/** Where Chromium is (CHROMIUM_PATH overrides). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** True when the browser tests can run; in CI its absence is an error. */
export const haveChromium = existsSync(CHROMIUM);

const root = projectRoot();
const rendererDir = path.join(root, 'out', 'renderer');

if (!haveChromium) {
  if (process.env.CI === 'true')
    throw new Error(`Chromium is missing at ${CHROMIUM}; CI must install it (apt-get install chromium).`);
  console.warn(
    `[cadenza e2e] skipping the UI tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`,
  );
}

/** The newest modification time under `dir`, in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Builds the renderer when out/renderer is missing or older than its sources. */
export function ensureRendererBuilt(): void {
  const index = path.join(rendererDir, 'index.html');
  const sources = [
    path.join(root, 'src', 'renderer'),
    path.join(root, 'src', 'api'),
    path.join(root, 'src', 'core', 'common'),
  ];
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    { cwd: root, stdio: 'pipe' },
  );
}

/** A running studio: server, browser, one page, and its console errors. */
export interface Studio {
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  dataDir: string;
  /** Console errors and page errors seen so far. */
  consoleErrors: string[];
  /** Writes `<shotsDir>/<name>.png` of the page as it is now. */
  shot(name: string): Promise<void>;
  /** Clicks a sidebar entry and waits for its panel. */
  go(stage: string): Promise<void>;
  /** Closes browser and server and deletes the data folder. */
  close(): Promise<void>;
}

/** Starts the server over a new data folder (or `dataDir`) and opens the page in Chromium at `width` x 900. */
export async function openStudio(options: {
  shotsDir: string;
  width?: number;
  dataDir?: string;
}): Promise<Studio> {
  ensureRendererBuilt();
  mkdirSync(options.shotsDir, { recursive: true });
  const owned = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'cadenza-e2e-'));
  const server = await startServer({ dataDir, rendererDir, port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1440, height: 900 },
    colorScheme: 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=panel-library]');
  return {
    server,
    browser,
    context,
    page,
    dataDir,
    consoleErrors,
    shot: async (name) => {
      await page.waitForTimeout(150);
      await page.screenshot({ path: path.join(options.shotsDir, `${name}.png`) });
    },
    go: async (stage) => {
      await page.click(`[data-testid=nav-${stage}]`);
      await page.waitForSelector(`[data-testid=panel-${stage}]`);
    },
    close: async () => {
      await browser.close();
      await server.close();
      if (owned) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
