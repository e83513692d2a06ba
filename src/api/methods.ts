/**
 * The contract's method names without its schemas, for Electron's preload: it builds
 * `window.cadenza` from this list and stays small (no zod inside a sandboxed preload).
 * `contract.test.ts` checks that this list and `contract` name exactly the same operations.
 */

/** Namespace → method names, as in `contract`. */
export const METHOD_NAMES = {
  app: ['info', 'gpu'],
  corpus: ['import', 'list', 'search', 'get', 'rename', 'remove', 'rescan'],
  preprocess: ['start', 'info'],
  train: ['start', 'resume', 'cancel', 'runs', 'estimate'],
  generate: ['start'],
  synthesize: ['start'],
  refine: ['start'],
  evaluate: ['start'],
  models: ['list', 'import', 'export', 'remove', 'rename', 'setDefault'],
  files: ['readMidi', 'waveform', 'export', 'exportAll', 'url', 'takes', 'preview', 'soundFont', 'upload', 'list'],
  takes: ['list', 'update', 'remove'],
  dialogs: ['openMidi', 'openFolder', 'save'],
  settings: ['get', 'update', 'chooseDataDir'],
  jobs: ['list', 'get', 'cancel'],
} as const;

/** The IPC channel of a method (`cadenza:corpus.list`). */
export function ipcChannel(method: string): string {
  return `cadenza:${method}`;
}

/** IPC channel for pushed job events. */
export const EVENT_CHANNEL = 'cadenza:event';
/** IPC channel for application-menu commands sent to the page. */
export const MENU_CHANNEL = 'cadenza:menu';
/** IPC channel that registers a dropped file's path as chosen by the user. */
export const DROP_CHANNEL = 'cadenza:drop';

/** Commands the application menu sends to the page (the page decides what "export" means for its selection). */
export type MenuCommand = 'import' | 'export' | 'settings' | 'about';
