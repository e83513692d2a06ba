/**
 * Preload (sandboxed, CommonJS): exposes exactly the api contract as `window.cadenza` through
 * contextBridge: one function per operation (answers travel as envelopes, so typed errors survive),
 * job events, menu commands, and the path of a dropped file. `ipcRenderer` itself never leaves here.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { CadenzaBridge } from '../api/bridge';
import type { Envelope } from '../api/client';
import { DROP_CHANNEL, EVENT_CHANNEL, ipcChannel, MENU_CHANNEL, METHOD_NAMES, type MenuCommand } from '../api/methods';
import type { JobEvent } from '../api/schemas';

const bridge: Record<string, unknown> = {};
for (const [ns, methods] of Object.entries(METHOD_NAMES)) {
  const group: Record<string, (input?: unknown) => Promise<Envelope>> = {};
  for (const m of methods) {
    const channel = ipcChannel(`${ns}.${m}`);
    group[m] = (input?: unknown) => ipcRenderer.invoke(channel, input ?? {}) as Promise<Envelope>;
  }
  bridge[ns] = group;
}

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  // The page's listener gets the payload only, never the IPC event (it would expose the sender).
  const wrapped = (_event: IpcRendererEvent, value: T): void => listener(value);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}

bridge.onEvent = (listener: (event: JobEvent) => void) => subscribe(EVENT_CHANNEL, listener);
bridge.onMenu = (listener: (command: MenuCommand) => void) => subscribe(MENU_CHANNEL, listener);
bridge.pathForFile = async (file: File): Promise<string> => {
  const p = webUtils.getPathForFile(file);
  if (!p) return '';
  // Main records the path as chosen by the user, so the backend may read it.
  return (await ipcRenderer.invoke(DROP_CHANNEL, p)) as string;
};
bridge.platform = process.platform;

contextBridge.exposeInMainWorld('cadenza', bridge as CadenzaBridge);
