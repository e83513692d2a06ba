/**
 * The transport: what is loaded (a MIDI song, played with the SoundFont through a WAV the backend
 * renders for it, or a rendered WAV), whether it plays, the position the piano roll cursor follows,
 * the loop region and the volume. Everything with a WAV plays through one audio element that
 * wavesurfer shares; the in-page oscillator voice is only the fallback when the backend cannot render.
 */
import type { Song } from '../../../core/common/song/song';
import { durationSeconds as songDuration } from '../../../core/common/song/tempo';
import type { Seconds } from '../../../core/common/units';
import { loopWrap, playFrom, type LoopRegion } from '../lib/playback/loop';
import { PreviewSynth } from '../lib/playback/previewSynth';
import { scheduleOf } from '../lib/playback/schedule';
import { app, errorText } from './app.svelte';

/** `url` resolved against the page, as `HTMLMediaElement.src` reports it. */
export function absoluteUrl(url: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a one-off resolution, not state
  return typeof location === 'undefined' ? url : new URL(url, location.href).href;
}

/** Something the transport can play. */
export type PlaySource =
  | {
      kind: 'midi';
      label: string;
      song: Song;
      /** The MIDI file (what the backend renders for the piano sound, unless `pieceId` is given). */
      path?: string;
      /** The library piece it is, rendered from the library's own copy. */
      pieceId?: string;
    }
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

/** How a MIDI source sounds: not asked yet, being rendered, the SoundFont render, or the fallback voice and why. */
export type MidiSound =
  | { state: 'idle' }
  | { state: 'preparing' }
  | { state: 'piano'; url: string; durationSeconds: Seconds; partial?: boolean }
  | { state: 'fallback'; reason: string; detail?: string };

/** Asks the backend for a MIDI source's SoundFont render (`files.preview`): the whole, or with `headSeconds` its head. */
export type PreviewFetcher = (
  source: Extract<PlaySource, { kind: 'midi' }>,
  options?: { headSeconds?: Seconds },
) => Promise<{ url: string; durationSeconds: Seconds; partial?: boolean }>;

/**
 * A piece longer than this plays its first `HEAD_SECONDS` first (rendered in a fraction of the
 * whole's time) while the whole renders; the whole takes over at the same position when it is ready.
 */
export const HEAD_AFTER_SECONDS = 90;
export const HEAD_SECONDS = 60;

const VOLUME_KEY = 'cadenza.volume';

/** Why the simple voice plays instead of the SoundFont, as one short sentence (the backend's own words go in `detail`). */
export function fallbackReason(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'SoundFontError') return 'The SoundFont in Settings cannot be used, so the simple preview voice plays instead.';
  if (name === 'RenderError') return 'FluidSynth cannot run here, so the simple preview voice plays instead.';
  return 'The piano sound could not be prepared, so the simple preview voice plays instead.';
}

/** The stored volume (0..1), 1 when none or unreadable. */
function storedVolume(): number {
  try {
    const v = Number(globalThis.localStorage?.getItem(VOLUME_KEY) ?? 'NaN');
    return Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 1;
  } catch {
    return 1;
  }
}

const backendPreview: PreviewFetcher = (source, options = {}) =>
  app.api.files.preview({ ...(source.pieceId !== undefined ? { pieceId: source.pieceId } : { path: source.path! }), ...options });

/** Playback state shared by the transport bar, the piano rolls and the waveform. */
export class PlayerState {
  /** What is loaded. */
  source = $state.raw<PlaySource | null>(null);
  /** True while sound is playing. */
  playing = $state(false);
  /** Where playback is, in seconds. */
  positionSeconds = $state(0);
  /** Loop region in seconds, or null. */
  loop = $state.raw<LoopRegion | null>(null);
  /** Why playback failed, as one sentence. */
  error = $state<string | null>(null);
  /** How the loaded MIDI sounds (idle for a WAV). */
  sound = $state.raw<MidiSound>({ state: 'idle' });
  /** Playback volume, 0..1 (kept in localStorage). */
  volume = $state(storedVolume());
  /** Whether the user asked for sound: a media reload (wavesurfer loads the same element) or a finished render resumes it. */
  private wantPlaying = $state(false);
  /** True while Play waits for the SoundFont render. */
  readonly preparing = $derived(this.sound.state === 'preparing' && this.wantPlaying);
  /** Length of what is loaded (a MIDI's SoundFont render counts its release tail, as a WAV does). */
  readonly durationSeconds = $derived.by(() => {
    const s = this.source;
    if (!s) return 0;
    if (s.kind === 'wav') return s.durationSeconds;
    return this.sound.state === 'piano' ? Math.max(this.sound.durationSeconds, songDuration(s.song)) : songDuration(s.song);
  });

  /** The audio element WAVs play through (wavesurfer draws from it too). */
  readonly audio: HTMLAudioElement | null = typeof Audio === 'undefined' ? null : new Audio();
  /** How a MIDI source's SoundFont render is fetched (replaceable in tests). */
  fetchPreview: PreviewFetcher = backendPreview;
  private synth: PreviewSynth | null = null;
  private frame = 0;

  constructor() {
    this.applyVolume();
    this.audio?.addEventListener('ended', () => {
      // A loop that runs to the very end wraps here: the element stops before the clock sees the end.
      if (this.loop && this.wantPlaying) {
        this.seek(this.loop.startSeconds);
        void this.play();
        return;
      }
      if (this.sound.state === 'piano' && this.sound.partial && this.wantPlaying) {
        // The head ran out before the whole was rendered: wait for it here ("Preparing piano sound…").
        this.playing = false;
        cancelAnimationFrame(this.frame);
        this.positionSeconds = this.audio?.currentTime ?? this.positionSeconds;
        this.sound = { state: 'preparing' };
        return;
      }
      this.playing = false;
      this.wantPlaying = false;
      cancelAnimationFrame(this.frame);
      this.positionSeconds = this.durationSeconds;
    });
    // Any (re)load of the element, ours or wavesurfer's, starts at 0: put it back where the
    // transport is and play on if it was playing, so switching A/B never stops the music.
    this.audio?.addEventListener('loadedmetadata', () => {
      if (!this.throughAudio || !this.audio) return;
      this.audio.currentTime = this.positionSeconds;
      if (this.wantPlaying) void this.play();
    });
    this.audio?.addEventListener('error', () => {
      if (!this.throughAudio || !this.audio?.getAttribute('src')) return;
      if (this.source?.kind === 'wav') {
        this.error = 'The rendered audio could not be played.';
        return;
      }
      // The preview's file could not be loaded: the MIDI still plays, with the simple voice.
      const wanted = this.wantPlaying;
      this.pause();
      this.sound = { state: 'fallback', reason: 'The piano sound could not be loaded, so the simple preview voice plays instead.' };
      this.error = this.sound.reason;
      if (wanted) void this.play();
    });
  }

  /** True when what is loaded plays through the audio element (a WAV, or a MIDI's SoundFont render). */
  private get throughAudio(): boolean {
    return this.source?.kind === 'wav' || (this.source?.kind === 'midi' && this.sound.state === 'piano');
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
    this.sound = { state: 'idle' };
    this.source = source;
    if (!keepPosition) this.loop = null;
    if (source?.kind === 'wav' && this.audio) {
      this.setSrc(source.url);
      this.audio.currentTime = at;
    }
    this.applyVolume();
    this.positionSeconds = at;
    if (wasPlaying && keepPosition && source) void this.play();
  }

  /** Starts playing from the current position (a MIDI source first gets its SoundFont render). */
  async play(): Promise<void> {
    const s = this.source;
    if (!s) return;
    if (this.positionSeconds >= this.durationSeconds - 0.05) this.positionSeconds = this.loop?.startSeconds ?? 0;
    this.positionSeconds = playFrom(this.positionSeconds, this.loop);
    this.wantPlaying = true;
    if (s.kind === 'midi' && this.sound.state === 'idle') return this.prepare(s);
    if (s.kind === 'midi' && this.sound.state === 'preparing') return;
    try {
      if (this.throughAudio && this.audio) {
        this.audio.currentTime = this.positionSeconds;
        await this.audio.play();
      } else if (s.kind === 'midi') {
        this.synth ??= new PreviewSynth(scheduleOf(s.song));
        this.applyVolume();
        await this.synth.play(this.positionSeconds);
      } else return;
      if (s !== this.source || !this.wantPlaying) return;
      this.playing = true;
      if (this.sound.state !== 'fallback') this.error = null;
      cancelAnimationFrame(this.frame);
      this.tick();
    } catch (error) {
      // A load (A/B switch, wavesurfer, a finished render) interrupted play(): 'loadedmetadata' resumes it.
      if (error instanceof Error && error.name === 'AbortError' && this.wantPlaying && s === this.source && this.throughAudio) return;
      this.playing = false;
      this.wantPlaying = false;
      this.error = `Playback could not start: ${errorText(error)}`;
    }
  }

  /** Asks the backend for `source`'s SoundFont render, then plays it if Play is still wanted; the fallback voice when it cannot. */
  private async prepare(source: Extract<PlaySource, { kind: 'midi' }>): Promise<void> {
    if (source.pieceId === undefined && source.path === undefined) {
      this.sound = { state: 'fallback', reason: 'This piece has no file to render, so the simple preview voice plays instead.' };
      return this.play();
    }
    this.sound = { state: 'preparing' };
    try {
      // A long piece starts on its head while the whole renders (the head is ready in seconds).
      const long = songDuration(source.song) > HEAD_AFTER_SECONDS;
      const preview = await this.fetchPreview(source, long ? { headSeconds: HEAD_SECONDS } : {});
      if (source !== this.source) return;
      this.sound = { state: 'piano', url: preview.url, durationSeconds: preview.durationSeconds, ...(preview.partial ? { partial: true } : {}) };
      if (preview.partial) void this.takeWhole(source);
      if (this.audio && this.setSrc(preview.url)) return; // 'loadedmetadata' positions it and plays on.
      if (this.wantPlaying) await this.play();
    } catch (error) {
      if (source !== this.source) return;
      this.sound = { state: 'fallback', reason: fallbackReason(error), detail: errorText(error) };
      this.error = this.sound.reason;
      if (this.wantPlaying) await this.play();
    }
  }

  /** Fetches the whole render of a source playing its head, and moves to it at the same position (as an A/B switch does). */
  private async takeWhole(source: Extract<PlaySource, { kind: 'midi' }>): Promise<void> {
    try {
      const whole = await this.fetchPreview(source);
      if (source !== this.source || (this.sound.state !== 'piano' && this.sound.state !== 'preparing')) return;
      if (this.audio && this.sound.state === 'piano') this.positionSeconds = this.audio.currentTime;
      this.sound = { state: 'piano', url: whole.url, durationSeconds: whole.durationSeconds };
      if (this.audio && this.setSrc(whole.url)) return; // 'loadedmetadata' positions it and plays on.
      if (this.wantPlaying) await this.play();
    } catch {
      // The head keeps playing; Play again asks for the whole anew.
      if (source === this.source && this.sound.state === 'preparing') this.sound = { state: 'idle' };
    }
  }

  /** Points the audio element at `url`; true when that loads it anew (the same src would reload and lose the position wavesurfer shares). */
  private setSrc(url: string): boolean {
    if (!this.audio) return false;
    const absolute = absoluteUrl(url);
    if (this.audio.src === absolute) return false;
    this.audio.src = absolute;
    return true;
  }

  /** Pauses, keeping the position. */
  pause(): void {
    this.wantPlaying = false;
    if (this.audio && !this.audio.paused) this.audio.pause();
    this.synth?.stop();
    this.playing = false;
    cancelAnimationFrame(this.frame);
  }

  /** Play or pause (Play pressed while the piano sound is prepared cancels the wait). */
  toggle(): void {
    if (this.playing || this.preparing) this.pause();
    else void this.play();
  }

  /** Moves to `seconds` (clamped to the piece), playing on if it was. */
  seek(seconds: Seconds): void {
    const at = Math.max(0, Math.min(this.durationSeconds, seconds));
    this.positionSeconds = at;
    if (this.throughAudio && this.audio) this.audio.currentTime = at;
    if (this.playing && this.synth && !this.throughAudio) void this.synth.play(at);
  }

  /** The loop button: off, or on over the whole piece (the piano roll's ruler narrows it). */
  toggleLoop(): void {
    if (!this.source) return;
    this.loop = this.loop ? null : { startSeconds: 0, endSeconds: this.durationSeconds };
  }

  /** Sets the volume (0..1) and keeps it for the next visit. */
  setVolume(volume: number): void {
    this.volume = Math.max(0, Math.min(1, volume));
    this.applyVolume();
    try {
      globalThis.localStorage?.setItem(VOLUME_KEY, String(this.volume));
    } catch {
      // Storage refused (private mode): the volume holds for this visit only.
    }
  }

  private applyVolume(): void {
    const s = this.source;
    const gainDb = s?.kind === 'wav' ? Math.min(0, s.gainDb ?? 0) : 0;
    if (this.audio) this.audio.volume = Math.min(1, this.volume * 10 ** (gainDb / 20));
    this.synth?.setVolume(this.volume);
  }

  private tick = (): void => {
    if (!this.playing) return;
    const viaAudio = this.throughAudio;
    // While the element (re)loads its time reads 0: keep the transport's position meanwhile.
    if (viaAudio && this.audio && (this.audio.readyState < 1 || this.audio.seeking)) {
      this.frame = requestAnimationFrame(this.tick);
      return;
    }
    const pos = viaAudio ? (this.audio?.currentTime ?? 0) : (this.synth?.positionSeconds() ?? 0);
    const wrapTo = loopWrap(pos, this.loop);
    if (wrapTo !== null) {
      this.seek(wrapTo);
    } else if (!viaAudio && pos >= this.durationSeconds + 0.3) {
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
