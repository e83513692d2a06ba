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

  /** Makes `midi` the raw take (clearing its refined version). */
  async open(midi: FileEntry): Promise<Take | null> {
    this.error = null;
    try {
      const take = await this.readTake(midi);
      this.raw = take;
      this.refined = null;
      this.side = 'raw';
      return take;
    } catch (error) {
      this.error = errorText(error);
      return null;
    }
  }
}

/** The app's one studio state. */
export const studio = new StudioState();
