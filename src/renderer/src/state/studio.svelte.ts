/**
 * The piece being worked on across Generate, Synthesize/Refine and Export: a MIDI file on the
 * backend, its song, its render, and its refined version with that one's render (for A/B).
 */
import type { FileEntry, Waveform } from '../../../api/schemas';
import type { Song } from '../../../core/common/song/song';
import { app, errorText } from './app.svelte';

/** A MIDI file with its notes and, once rendered, its waveform. */
export interface Take {
  /** The MIDI file on the backend. */
  midi: FileEntry;
  /** Its notes. */
  song: Song;
  /** The rendered WAV, once there is one. */
  wav?: FileEntry;
  /** Peaks and URL of the render. */
  waveform?: Waveform;
}

/** Which version the A/B switch plays. */
export type Side = 'raw' | 'refined';

/** Shared work-in-progress state. */
export class StudioState {
  /** Generated MIDI files, newest first. */
  generated = $state.raw<FileEntry[]>([]);
  /** The raw (as generated or picked) take. */
  raw = $state.raw<Take | null>(null);
  /** The refined take of `raw`. */
  refined = $state.raw<Take | null>(null);
  /** Which side plays. */
  side = $state<Side>('raw');
  /** Set by Generate's "Render and refine": the Synthesize screen renders, then refines, the open piece when it opens. */
  renderAndRefine = $state(false);
  /** Why loading failed. */
  error = $state<string | null>(null);

  /** Reloads the list of generated files. */
  async refreshGenerated(): Promise<void> {
    try {
      const { files } = await app.api.files.list({ folder: 'generated' });
      this.generated = [...files].filter((f) => f.kind === 'midi').sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /** Reads a MIDI file's notes for the piano roll. */
  async readTake(midi: FileEntry): Promise<Take> {
    const { song } = await app.api.files.readMidi({ path: midi.path });
    return { midi, song };
  }

  /** Adds the WAV `wav` and its peaks to `take`. */
  async withRender(take: Take, wav: FileEntry): Promise<Take> {
    return { ...take, wav, waveform: await app.api.files.waveform({ path: wav.path, buckets: 2000 }) };
  }

  /**
   * Makes `midi` the raw take, with the render and refinement kept from earlier sessions (the
   * backend links each piece to its takes), and remembers it for the next visit.
   */
  async open(midi: FileEntry): Promise<Take | null> {
    this.error = null;
    try {
      let take = await this.readTake(midi);
      this.raw = take;
      this.refined = null;
      this.side = 'raw';
      remember(midi);
      const kept = await app.api.files.takes({ path: midi.path });
      if (this.raw?.midi.path !== midi.path) return take;
      if (kept.render) take = await this.withRender(take, kept.render);
      let refined: Take | null = null;
      if (kept.refined) {
        refined = await this.readTake(kept.refined.midi);
        if (kept.refined.wav) refined = await this.withRender(refined, kept.refined.wav);
      }
      // The user may have picked another piece meanwhile.
      if (this.raw?.midi.path !== midi.path) return take;
      this.raw = take;
      this.refined = refined;
      return take;
    } catch (error) {
      this.error = errorText(error);
      return this.raw?.midi.path === midi.path ? this.raw : null;
    }
  }

  /** Opens the piece open at the last visit (a reload), if there was one and nothing is open now. */
  async reopen(): Promise<Take | null> {
    const last = remembered();
    if (!last || this.raw) return null;
    return this.open(last);
  }
}

const STORAGE_KEY = 'cadenza.studio.piece';

/** Keeps the open piece for the next visit (the page's own storage: the takes are the backend's). */
function remember(midi: FileEntry): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(midi));
  } catch {
    /* storage refused (private mode): the piece is simply not reopened */
  }
}

function remembered(): FileEntry | null {
  try {
    const text = globalThis.localStorage?.getItem(STORAGE_KEY);
    const entry = text ? (JSON.parse(text) as FileEntry) : null;
    return entry && typeof entry.path === 'string' && typeof entry.name === 'string' ? entry : null;
  } catch {
    return null;
  }
}

/** The app's one studio state. */
export const studio = new StudioState();
