/**
 * The app's top-level state: the backend connection, which stage is on screen, and the piece that
 * is open. Panels read it; they talk to the backend through `app.api`.
 */
import type { Api } from '../../../api/contract';
import type { Backend } from '../../../api/connect';
import { connectBackend } from '../../../api/connect';
import type { Settings } from '../../../api/schemas';
import type { z } from 'zod';
import type { appInfoSchema } from '../../../api/contract';
import { JobsState } from './jobs.svelte';

/** The screens in the sidebar, in order. */
export const STAGES = ['library', 'train', 'generate', 'synthesize', 'evaluate', 'export', 'settings'] as const;
/** One of the sidebar's screens. */
export type StageId = (typeof STAGES)[number];

/** What `app.info` answers. */
export type AppInfo = z.infer<typeof appInfoSchema>;

/** Turns anything thrown into one sentence for the UI. */
export function errorText(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return String(error);
}

/** Connection, navigation and shared data. */
export class AppState {
  /** The connected backend, once connected. */
  backend = $state.raw<Backend | null>(null);
  /** Why connecting failed, as one sentence. */
  connectError = $state<string | null>(null);
  /** Mode, version, data folder and stages of the backend. */
  info = $state.raw<AppInfo | null>(null);
  /** The current settings. */
  settings = $state.raw<Settings | null>(null);
  /** The screen on show. */
  stage = $state<StageId>('library');
  /** Jobs and their live progress. */
  readonly jobs = new JobsState();

  /** The api; throws when called before connecting (panels render only after). */
  get api(): Api {
    if (!this.backend) throw new Error('The backend is not connected yet.');
    return this.backend.api;
  }

  /** Connects to the backend the page runs under and loads info and settings. */
  async connect(): Promise<void> {
    try {
      const backend = await connectBackend();
      this.jobs.attach(backend.api);
      const [info, settings] = await Promise.all([backend.api.app.info(), backend.api.settings.get()]);
      this.info = info;
      this.settings = settings;
      this.backend = backend;
      this.connectError = null;
    } catch (error) {
      this.connectError = errorText(error);
    }
  }

  /** True when the backend says this build can run `stage` (unknown stages count as available). */
  canRun(stage: string): boolean {
    return this.info?.stages[stage] ?? true;
  }
}

/** The app's one state. */
export const app = new AppState();
