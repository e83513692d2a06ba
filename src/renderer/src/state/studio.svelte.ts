/**
 * The piece being worked on across Generate, Synthesize/Refine and Export: a MIDI file on the
 * backend, its song, its render, and its refined version with that one's render (for A/B).
 */
import type { FileEntry, TakeEntry, Waveform } from '../../../api/schemas';
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
  /** Generated pieces as takes (what made each, favourite, name, render, refinement), newest first. */
  takes = $state.raw<TakeEntry[]>([]);
  /** Generated MIDI files, newest first. */
  generated = $state.raw<FileEntry[]>([]);
  /** Set while two takes are compared on the Synthesize screen (A and B are then two pieces, not raw and refined): their names. */
  comparing = $state.raw<{ a: string; b: string } | null>(null);
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

  /** Reloads the generated pieces and their takes. */
  async refreshGenerated(): Promise<void> {
    try {
      const { takes } = await app.api.takes.list();
      this.takes = [...takes].sort((a, b) => b.midi.modifiedAt.localeCompare(a.midi.modifiedAt));
      this.generated = this.takes.map((t) => t.midi);
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /** The name a generated file goes by: its take's (the one the user gave it), else the file's. */
  nameOf(file: FileEntry): string {
    return this.takes.find((t) => t.midi.path === file.path)?.name ?? file.name;
  }

  /** Marks a take as a favourite or not, or renames it; the list shows the backend's answer. */
  async mark(take: TakeEntry, change: { favourite?: boolean; name?: string }): Promise<void> {
    try {
      const updated = await app.api.takes.update({ path: take.midi.path, ...change });
      this.takes = this.takes.map((t) => (t.midi.path === updated.midi.path ? updated : t));
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /** Deletes a take with its renders and refinement; closes it if it is open. */
  async remove(take: TakeEntry): Promise<void> {
    try {
      await app.api.takes.remove({ path: take.midi.path });
      if (this.raw?.midi.path === take.midi.path || this.refined?.midi.path === take.midi.path) {
        this.raw = null;
        this.refined = null;
        this.comparing = null;
        this.side = 'raw';
      }
      await this.refreshGenerated();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /**
   * Puts two takes on the A/B switch: `a` as A and `b` as B, each with its latest render, so the
   * Synthesize screen shows their rolls side by side and switches between them while playing.
   */
  async compare(a: TakeEntry, b: TakeEntry): Promise<boolean> {
    this.error = null;
    try {
      const load = async (t: TakeEntry): Promise<Take> => {
        const take = await this.readTake(t.midi);
        return t.render ? this.withRender(take, t.render) : take;
      };
      const [ta, tb] = await Promise.all([load(a), load(b)]);
      this.raw = ta;
      this.refined = tb;
      this.side = 'raw';
      this.comparing = { a: a.name, b: b.name };
      return true;
    } catch (error) {
      this.error = errorText(error);
      return false;
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
      this.comparing = null;
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
