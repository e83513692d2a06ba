/**
 * A small Web Audio piano-like voice for previewing MIDI in the page without a render: two detuned
 * oscillators through a decaying envelope, scheduled a little ahead of the clock. It is the fallback
 * when the backend cannot render the SoundFont sound (`files.preview`), which plays through the audio element.
 */
import type { Seconds } from '../../../../core/common/units';
import { firstAtOrAfter, pitchToHz, type TimedNote } from './schedule';

const LOOKAHEAD_SECONDS = 0.25;
const TICK_MS = 50;
/** The voice's level at full volume: quiet enough that dense chords stay under the compressor's knee. */
const MASTER_GAIN = 0.25;

/** Plays a note schedule from a position on an AudioContext. */
export class PreviewSynth {
  private ctx: AudioContext | null = null;
  private master: GainNode | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private next = 0;
  private startContextTime = 0;
  private startOffset = 0;
  private voices = new Set<OscillatorNode>();
  private volume = 1;

  constructor(private notes: readonly TimedNote[]) {}

  /** Seconds into the song right now, while playing. */
  positionSeconds(): Seconds {
    if (!this.ctx || this.timer === null) return this.startOffset;
    return this.startOffset + (this.ctx.currentTime - this.startContextTime);
  }

  /** Starts playing from `offsetSeconds`. */
  async play(offsetSeconds: Seconds): Promise<void> {
    this.stop();
    if (!this.ctx) {
      this.ctx = new AudioContext({ latencyHint: 'interactive' });
      const compressor = this.ctx.createDynamicsCompressor();
      compressor.threshold.value = -18;
      this.master = this.ctx.createGain();
      this.master.gain.value = MASTER_GAIN * this.volume;
      this.master.connect(compressor).connect(this.ctx.destination);
    }
    if (this.ctx.state === 'suspended') await this.ctx.resume();
    this.startOffset = offsetSeconds;
    this.startContextTime = this.ctx.currentTime + 0.05;
    this.next = firstAtOrAfter(this.notes, offsetSeconds);
    this.timer = setInterval(() => this.pump(), TICK_MS);
    this.pump();
  }

  /** Stops all sound; the position stays where it was. */
  stop(): void {
    if (this.timer !== null) {
      this.startOffset = this.positionSeconds();
      clearInterval(this.timer);
      this.timer = null;
    }
    for (const v of this.voices) {
      try {
        v.stop();
      } catch {
        // Already stopped.
      }
    }
    this.voices.clear();
  }

  /** Sets the output level, 0..1 (1 is the voice's own level). */
  setVolume(volume: number): void {
    this.volume = volume;
    if (this.master) this.master.gain.value = MASTER_GAIN * volume;
  }

  /** Releases the audio context. */
  dispose(): void {
    this.stop();
    void this.ctx?.close();
    this.ctx = null;
  }

  private pump(): void {
    const ctx = this.ctx;
    if (!ctx || !this.master) return;
    const horizon = this.positionSeconds() + LOOKAHEAD_SECONDS;
    while (this.next < this.notes.length && this.notes[this.next]!.startSeconds < horizon) {
      const n = this.notes[this.next++]!;
      const at = this.startContextTime + (n.startSeconds - this.startOffset);
      if (at < ctx.currentTime - 0.05) continue;
      this.voice(ctx, this.master, n, Math.max(at, ctx.currentTime));
    }
  }

  private voice(ctx: AudioContext, out: AudioNode, n: TimedNote, at: number): void {
    const length = Math.max(0.08, Math.min(6, n.endSeconds - n.startSeconds));
    const peak = (n.velocity / 127) ** 1.6 * 0.35;
    const env = ctx.createGain();
    env.gain.setValueAtTime(0, at);
    env.gain.linearRampToValueAtTime(peak, at + 0.006);
    // A piano string decays while held, faster in the treble.
    const decay = Math.max(0.4, 3.2 - (n.pitch - 21) * 0.03);
    env.gain.setTargetAtTime(peak * 0.15, at + 0.006, decay / 3);
    env.gain.setTargetAtTime(0, at + length, 0.08);
    env.connect(out);
    const hz = pitchToHz(n.pitch);
    const end = at + length + 0.5;
    for (const [type, mult, gain] of [
      ['triangle', 1, 1],
      ['sine', 2, 0.25],
    ] as const) {
      const osc = ctx.createOscillator();
      osc.type = type;
      osc.frequency.value = hz * mult;
      const g = ctx.createGain();
      g.gain.value = gain;
      osc.connect(g).connect(env);
      osc.start(at);
      osc.stop(end);
      this.voices.add(osc);
      osc.onended = () => this.voices.delete(osc);
    }
  }
}
