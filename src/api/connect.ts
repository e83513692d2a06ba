/**
 * How the renderer gets its `Api`: in Electron from the preload bridge (`window.cadenza`), in
 * browser mode over a WebSocket to the page's own server, with the token from the page's URL.
 */
import { ApiError } from '../core/common/errors';
import { apiFromBridge, type CadenzaBridge } from './bridge';
import type { Api } from './contract';
import type { MenuCommand } from './methods';
import { API_PATH } from './protocol';
import { connectWebSocket } from './wsClient';

/** The connected backend: its api, which mode it runs in, and how to turn a dropped `File` into a path. */
export interface Backend {
  api: Api;
  mode: 'electron' | 'browser';
  /**
   * Electron: the dropped file's path (the backend may then read it). Browser mode: the file is
   * uploaded into `<dataDir>/uploads` (under `folder`, the folder it was in relative to what the
   * user picked, which names its composer when the file does not) and the stored copy's path is answered.
   */
  pathForFile(file: File, folder?: string): Promise<string>;
  /** Application-menu commands (Electron only; browser mode has no menu and never calls the listener). */
  onMenu(listener: (command: MenuCommand) => void): () => void;
}

/** Encodes bytes as base64 without Node's Buffer. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** Connects to the backend the page runs under. */
export async function connectBackend(): Promise<Backend> {
  const bridge = (globalThis as { cadenza?: CadenzaBridge }).cadenza;
  if (bridge) {
    return {
      api: apiFromBridge(bridge),
      mode: 'electron',
      pathForFile: (file) => bridge.pathForFile(file),
      onMenu: (listener) => bridge.onMenu(listener),
    };
  }
  const loc = (globalThis as { location?: Location }).location;
  const token = loc ? new URLSearchParams(loc.search).get('token') : null;
  if (!loc || !token) throw new ApiError('This page was opened without its access token; open the URL that `cadenza serve` printed.');
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const { api } = await connectWebSocket(`${scheme}//${loc.host}${API_PATH}?token=${encodeURIComponent(token)}`);
  return {
    api,
    mode: 'browser',
    onMenu: () => () => {},
    pathForFile: async (file, folder) => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const entry = await api.files.upload({ name: file.name, dataBase64: bytesToBase64(bytes), ...(folder ? { folder } : {}) });
      return entry.path;
    },
  };
}
