/**
 * The transport: what is loaded (a MIDI song previewed by the in-page synth, or a rendered WAV in an
 * audio element that wavesurfer shares), whether it plays, and the position the piano roll cursor follows.
 */
import type { Song } from '../../../core/common/song/song';
import { durationSeconds as songDuration } from '../../../core/common/song/tempo';
import type { Seconds } from '../../../core/common/units';
import { PreviewSynth } from '../lib/playback/previewSynth';
import { scheduleOf } from '../lib/playback/schedule';

/** `url` resolved against the page, as `HTMLMediaElement.src` reports it. */
export function absoluteUrl(url: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a one-off resolution, not state
  return typeof location === 'undefined' ? url : new URL(url, location.href).href;
}

/** Something the transport can play. */
export type PlaySource =
  | { kind: 'midi'; label: string; song: Song; path?: string }
  | {
      kind: 'wav';
      label: string;
      url: string;
      durationSeconds: Seconds;
      song?: Song;
      path?: string;
      /** Playback gain in dB (at most 0: the element cannot amplify), for level-matched A/B. */
      gainDb?: number;
    };

/** Playback state shared by the transport bar, the piano rolls and the waveform. */
export class PlayerState {
  /** What is loaded. */
  source = $state.raw<PlaySource | null>(null);
  /** True while sound is playing. */
  playing = $state(false);
  /** Where playback is, in seconds. */
  positionSeconds = $state(0);
  /** Loop region in seconds, or null. */
  loop = $state.raw<{ startSeconds: Seconds; endSeconds: Seconds } | null>(null);
  /** Why playback failed, as one sentence. */
  error = $state<string | null>(null);
  /** Length of what is loaded. */
  readonly durationSeconds = $derived.by(() => {
    const s = this.source;
    if (!s) return 0;
    return s.kind === 'wav' ? s.durationSeconds : songDuration(s.song);
  });

  /** The audio element WAVs play through (wavesurfer draws from it too). */
  readonly audio: HTMLAudioElement | null = typeof Audio === 'undefined' ? null : new Audio();
  private synth: PreviewSynth | null = null;
  private frame = 0;
  /** Whether the user asked for sound: a media reload (wavesurfer loads the same element) resumes it. */
  private wantPlaying = false;

  constructor() {
    this.audio?.addEventListener('ended', () => {
      this.playing = false;
      this.wantPlaying = false;
    });
    // Any (re)load of the element, ours or wavesurfer's, starts at 0: put it back where the
    // transport is and play on if it was playing, so switching A/B never stops the music.
    this.audio?.addEventListener('loadedmetadata', () => {
      if (this.source?.kind !== 'wav' || !this.audio) return;
      this.audio.currentTime = this.positionSeconds;
      if (this.wantPlaying) void this.play();
    });
    this.audio?.addEventListener('error', () => {
      if (this.source?.kind === 'wav') this.error = 'The rendered audio could not be played.';
    });
  }

  /**
   * Loads `source` at its start; with `resume` (an A/B switch) at `resume.atSeconds` instead,
   * playing on if it was playing, and keeping the loop.
   */
  load(source: PlaySource | null, resume?: { atSeconds: Seconds }): void {
    const wasPlaying = this.playing || this.wantPlaying;
    const keepPosition = resume !== undefined;
    const at = resume ? Math.max(0, resume.atSeconds) : 0;
    this.pause();
    this.synth?.dispose();
    this.synth = null;
    this.error = null;
    this.source = source;
    if (!keepPosition) this.loop = null;
    if (source?.kind === 'midi') this.synth = new PreviewSynth(scheduleOf(source.song));
    if (source?.kind === 'wav' && this.audio) {
      // Re-assigning the same src would reload it and lose the position wavesurfer shares.
      const url = absoluteUrl(source.url);
      if (this.audio.src !== url) this.audio.src = url;
      this.audio.currentTime = at;
      this.audio.volume = Math.min(1, 10 ** (Math.min(0, source.gainDb ?? 0) / 20));
    }
    this.positionSeconds = at;
    if (wasPlaying && keepPosition && source) void this.play();
  }

  /** Starts playing from the current position. */
  async play(): Promise<void> {
    const s = this.source;
    if (!s) return;
    if (this.positionSeconds >= this.durationSeconds - 0.05) this.positionSeconds = this.loop?.startSeconds ?? 0;
    this.wantPlaying = true;
    try {
      if (s.kind === 'wav' && this.audio) {
        this.audio.currentTime = this.positionSeconds;
        await this.audio.play();
      } else if (this.synth) {
        await this.synth.play(this.positionSeconds);
      }
      this.playing = true;
      this.error = null;
      this.tick();
    } catch (error) {
      // A load (A/B switch, wavesurfer) interrupted play(): 'loadedmetadata' resumes it.
      if (error instanceof Error && error.name === 'AbortError' && this.wantPlaying && s === this.source && s.kind === 'wav') return;
      this.playing = false;
      this.wantPlaying = false;
      this.error = `Playback could not start: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Pauses, keeping the position. */
  pause(): void {
    this.wantPlaying = false;
    if (this.source?.kind === 'wav') this.audio?.pause();
    this.synth?.stop();
    this.playing = false;
    cancelAnimationFrame(this.frame);
  }

  /** Play or pause. */
  toggle(): void {
    if (this.playing) this.pause();
    else void this.play();
  }

  /** Moves to `seconds` (clamped to the piece), playing on if it was. */
  seek(seconds: Seconds): void {
    const at = Math.max(0, Math.min(this.durationSeconds, seconds));
    this.positionSeconds = at;
    if (this.source?.kind === 'wav' && this.audio) this.audio.currentTime = at;
    if (this.playing && this.synth) void this.synth.play(at);
  }

  private tick = (): void => {
    if (!this.playing) return;
    // While the element (re)loads its time reads 0: keep the transport's position meanwhile.
    if (this.source?.kind === 'wav' && this.audio && (this.audio.readyState < 1 || this.audio.seeking)) {
      this.frame = requestAnimationFrame(this.tick);
      return;
    }
    const pos = this.source?.kind === 'wav' ? (this.audio?.currentTime ?? 0) : (this.synth?.positionSeconds() ?? 0);
    const loop = this.loop;
    if (loop && pos >= loop.endSeconds) {
      this.seek(loop.startSeconds);
    } else if (pos >= this.durationSeconds + 0.3) {
      // The synth has no 'ended' event: stop once the last note has rung out.
      this.pause();
      this.positionSeconds = this.durationSeconds;
      return;
    } else {
      this.positionSeconds = pos;
    }
    this.frame = requestAnimationFrame(this.tick);
  };
}

/** The app's one transport. */
export const player = new PlayerState();
