/**
 * Electron main process: one secure window, the application menu, native dialogs, and the api
 * over IPC (`ipcMain.handle` per operation, sender checked, request and answer validated by the
 * same dispatcher as browser mode). Heavy work runs in job worker threads, never here.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, type IpcMainInvokeEvent } from 'electron';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ApiError, serializeError } from '../core/common/errors';
import { openAppBackend, type AppBackend } from '../app/backend';
import { dropGrant } from '../app/drop';
import { writeJsonAtomic } from '../core/node/fs/atomic';
import { confinedFile } from '../core/node/fs/confined';
import { dataDir, dataDirPointerFile } from '../core/node/paths';
import { API_METHODS, type ApiHandlers } from '../api/contract';
import { createDispatcher, type Dispatch } from '../api/dispatch';
import { DROP_CHANNEL, EVENT_CHANNEL, ipcChannel, MENU_CHANNEL, type MenuCommand } from '../api/methods';
import { FILES_PATH } from '../api/protocol';
import { contentType } from '../server/static';
import { createDialogHandlers } from './dialogs';
import { installMenu } from './menu';
import { APP_ORIGIN, CONTENT_SECURITY_POLICY, hardenSessions, isAppUrl } from './security';

const here = path.dirname(fileURLToPath(import.meta.url));
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const rendererDir = path.resolve(here, '..', 'renderer');

// The app protocol must be registered before `ready`; it serves the page and confined data files.
protocol.registerSchemesAsPrivileged([
  { scheme: 'cadenza', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

let mainWindow: BrowserWindow | null = null;
let backend: AppBackend | null = null;
let dispatch: Dispatch | null = null;

function senderAllowed(event: IpcMainInvokeEvent): boolean {
  return !!mainWindow && event.sender === mainWindow.webContents && !!event.senderFrame && isAppUrl(event.senderFrame.url, devServerUrl);
}

function sendMenu(command: MenuCommand): void {
  mainWindow?.webContents.send(MENU_CHANNEL, command);
}

async function serveAppProtocol(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== 'app') return new Response('Not found.', { status: 404 });
  let file: string;
  if (url.pathname === FILES_PATH) {
    try {
      file = await backend!.guard.readable(url.searchParams.get('path') ?? '');
    } catch (error) {
      return new Response(serializeError(error).message, { status: 403 });
    }
  } else {
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    // Real paths are compared, so a link in the UI folder that points elsewhere is not followed out.
    const confined = await confinedFile(rendererDir, rel);
    if (!confined) return new Response('Not found.', { status: 404 });
    file = confined;
  }
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) return new Response('Not found.', { status: 404 });
  // Streamed from disk here rather than through net.fetch(file://), which the session's request filter would cancel.
  const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': contentType(file),
      'Content-Length': String(stat.size),
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

async function chooseDataDir(): Promise<{ dataDir: string | null; restarting: boolean }> {
  const options: Electron.OpenDialogOptions = { title: 'Choose the data folder', properties: ['openDirectory', 'createDirectory'] };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  const chosen = result.canceled ? undefined : result.filePaths[0];
  if (!chosen || path.resolve(chosen) === path.resolve(backend!.guard.dataDir)) return { dataDir: null, restarting: false };
  await writeJsonAtomic(dataDirPointerFile(), { dataDir: path.resolve(chosen) });
  // Answer first, then restart: running jobs are cancelled and cleaned up by before-quit.
  setTimeout(() => {
    app.relaunch();
    app.quit();
  }, 200);
  return { dataDir: path.resolve(chosen), restarting: true };
}

async function importFromMenu(): Promise<void> {
  if (!backend || !dispatch) return;
  try {
    const { paths } = (await dispatch('dialogs.openMidi', { folders: false })) as { paths: string[] };
    if (paths.length) await dispatch('corpus.import', { paths });
  } catch (error) {
    dialog.showErrorBox('Import failed', serializeError(error).message);
  }
}

function registerIpc(): void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event, params: unknown) => {
      if (!senderAllowed(event)) return { ok: false, error: serializeError(new ApiError('A call from a page that is not Cadenza’s own was refused.')) };
      try {
        return { ok: true, value: await dispatch!(method, params) };
      } catch (error) {
        return { ok: false, error: serializeError(error) };
      }
    });
  }
  ipcMain.handle(DROP_CHANNEL, async (event, p: unknown) => {
    if (!senderAllowed(event)) return '';
    // The path is text from the window: only music files and ordinary folders become readable, never writable.
    const grant = await dropGrant(p).catch(() => null);
    if (!grant) return '';
    if (grant.folder) await backend!.guard.allowDir(grant.path);
    else await backend!.guard.allowFile(grant.path);
    return grant.path;
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Cadenza',
    show: false,
    webPreferences: {
      preload: path.join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  void mainWindow.loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`);
}

async function start(): Promise<void> {
  hardenSessions(devServerUrl);
  protocol.handle('cadenza', serveAppProtocol);
  backend = await openAppBackend({
    dataDir: dataDir(),
    mode: 'electron',
    version: app.getVersion(),
    workerEntry: path.join(here, 'jobWorker.js'),
    mediaUrl: (file) => `${APP_ORIGIN}${FILES_PATH}?path=${encodeURIComponent(file)}`,
  });
  // The compile-time check that the handlers implement the whole contract.
  const handlers: ApiHandlers = {
    ...backend.handlers,
    dialogs: createDialogHandlers(() => mainWindow, backend.guard),
    settings: { ...backend.handlers.settings, chooseDataDir },
  };
  dispatch = createDispatcher(handlers);
  backend.jobs.onEvent((event) => mainWindow?.webContents.send(EVENT_CHANNEL, event));
  registerIpc();
  installMenu({ window: () => mainWindow, send: sendMenu, importFiles: () => void importFromMenu(), dev: !app.isPackaged });
  createWindow();
}

if (!app.requestSingleInstanceLock()) app.quit();
else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('Cadenza could not start', serializeError(error).message);
      app.exit(1);
    });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !backend) return;
    // Running jobs are cancelled and their partial outputs removed before the process ends.
    event.preventDefault();
    closing = true;
    void backend.close().finally(() => app.quit());
  });
}
