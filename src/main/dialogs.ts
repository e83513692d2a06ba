/**
 * Native open/save dialogs. What the user picks is registered with the path guard, so the
 * backend may then read (or, for a save, write) exactly that; the page never widens access itself.
 * Only the save dialog grants a write; what is opened or dropped is readable, never writable.
 */
import { dialog, type BrowserWindow } from 'electron';
import { promises as fs } from 'node:fs';
import type { PathGuard } from '../app/pathGuard';

/** The `dialogs` namespace of the api, for the desktop app. */
export function createDialogHandlers(window: () => BrowserWindow | null, guard: PathGuard) {
  const allow = async (paths: string[]): Promise<string[]> => {
    for (const p of paths) {
      const stat = await fs.stat(p).catch(() => null);
      if (stat?.isDirectory()) await guard.allowDir(p);
      else await guard.allowFile(p);
    }
    return paths;
  };
  const owner = (): BrowserWindow | undefined => window() ?? undefined;
  return {
    openMidi: async (req: { folders: boolean }) => {
      const options: Electron.OpenDialogOptions = {
        title: req.folders ? 'Import folders of MIDI files' : 'Import MIDI files',
        properties: req.folders ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'],
        filters: req.folders ? [] : [{ name: 'MIDI files', extensions: ['mid', 'midi'] }],
      };
      const w = owner();
      const result = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return { paths: result.canceled ? [] : await allow(result.filePaths) };
    },
    openFolder: async () => {
      const options: Electron.OpenDialogOptions = { title: 'Choose a folder', properties: ['openDirectory'] };
      const w = owner();
      const result = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return { paths: result.canceled ? [] : await allow(result.filePaths) };
    },
    save: async (req: { defaultName: string; extensions: string[] }) => {
      const options: Electron.SaveDialogOptions = {
        title: 'Export',
        defaultPath: req.defaultName,
        filters: req.extensions.length ? [{ name: req.extensions.join(', ').toUpperCase(), extensions: req.extensions }] : [],
      };
      const w = owner();
      const result = w ? await dialog.showSaveDialog(w, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return { paths: [] };
      await guard.allowWrite(result.filePath);
      return { paths: [result.filePath] };
    },
  };
}
