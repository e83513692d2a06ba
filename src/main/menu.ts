/** The application menu: the usual roles and shortcuts, plus Import… and Export…. */
import { app, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../api/methods';

/** Builds and installs the menu; `send` delivers a command to the page, `importFiles` runs Import…. */
export function installMenu(options: { window: () => BrowserWindow | null; send(command: MenuCommand): void; importFiles(): void; dev: boolean }): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Import MIDI…', accelerator: 'CmdOrCtrl+O', click: () => options.importFiles() },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => options.send('export') },
        { type: 'separator' },
        { label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: () => options.send('settings') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...(options.dev ? [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }] : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: `About Cadenza ${app.getVersion()}`, click: () => options.send('about') }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
