/**
 * Previews: a MIDI file played with the SoundFont sound. The backend renders it once to a WAV with
 * the render stage (native FluidSynth, else its wasm build) and keeps it in `<dataDir>/previews/`,
 * named by the MIDI's content hash, the SoundFont and the sample rate, so a second play of the same
 * piece is instant and survives a reload. One renderer stays loaded while previews are asked for,
 * and renders one at a time; the folder is kept under `PREVIEW_CACHE_BYTES`, oldest played first out.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Hertz, Seconds } from '../core/common/units';
import { ioError, readJson } from '../core/node/fs/atomic';
import type { Renderer } from '../core/node/render/renderer';
import { checkSoundFont } from '../core/node/render/soundfont';
import type { AppSettings } from './settings';

/** Most bytes the preview folder keeps (about 30 three-minute pieces at 44.1 kHz). */
export const PREVIEW_CACHE_BYTES = 1024 * 1024 * 1024;
/** How long an unused renderer keeps its SoundFont loaded, in milliseconds. */
const RENDERER_IDLE_MS = 120_000;

/** A rendered preview. */
export interface Preview {
  /** The WAV file. */
  wavPath: string;
  /** Its length, release tail included. */
  durationSeconds: Seconds;
  /** True when it was already rendered (nothing was synthesized for this call). */
  cached: boolean;
}

/** What a preview is rendered with: the settings' SoundFont (or the bundled one), engine and rate. */
type RenderSettings = Pick<AppSettings, 'soundFont' | 'engine' | 'sampleRateHz'>;

/** Renders and keeps previews in one folder. */
export class PreviewCache {
  private renderer: { key: string; renderer: Promise<Renderer> } | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Renders in flight by file name, so two asks for one piece render it once. */
  private readonly inFlight = new Map<string, Promise<Preview>>();
  /** The renderer is not re-entrant: renders queue behind this. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param dir the preview folder (created when needed)
   * @param settings the current render settings, read at each call
   * @param maxBytes the most the folder keeps
   */
  constructor(
    readonly dir: string,
    private readonly settings: () => RenderSettings,
    private readonly maxBytes = PREVIEW_CACHE_BYTES,
  ) {}

  /** The preview of the MIDI file `midiPath` (an allowed, absolute path), rendered when not kept yet. */
  async preview(midiPath: string): Promise<Preview> {
    const bytes = await fs.readFile(midiPath).catch((e: unknown) => {
      throw ioError(e, midiPath, 'read');
    });
    const s = this.settings();
    // Checked first, so a missing or damaged SoundFont is said as such rather than as a failed render.
    const soundfontPath = await checkSoundFont(s.soundFont ?? undefined);
    const name = `${sha256(bytes).slice(0, 32)}-${await soundFontKey(soundfontPath)}-${s.sampleRateHz}.wav`;
    const wavPath = path.join(this.dir, name);
    const kept = await this.kept(wavPath);
    if (kept) return kept;
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.enqueue(() => this.render(midiPath, wavPath, { ...s, soundFont: soundfontPath }));
      this.inFlight.set(name, pending);
      void pending.finally(() => this.inFlight.delete(name)).catch(() => {});
    }
    return pending;
  }

  /** A kept preview (its mtime touched, so pruning keeps what is played), or null. */
  private async kept(wavPath: string): Promise<Preview | null> {
    const sidecar = await readJson<{ durationSeconds?: unknown }>(`${wavPath}.json`).catch(() => null);
    if (typeof sidecar?.durationSeconds !== 'number') return null;
    const now = new Date();
    const touched = await fs.utimes(wavPath, now, now).then(
      () => true,
      () => false,
    );
    return touched ? { wavPath, durationSeconds: sidecar.durationSeconds, cached: true } : null;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  private async render(midiPath: string, wavPath: string, s: RenderSettings & { soundFont: string }): Promise<Preview> {
    const again = await this.kept(wavPath);
    if (again) return again;
    await fs.mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
      throw ioError(e, this.dir, 'create');
    });
    const renderer = await this.rendererFor(s.soundFont, s.engine, s.sampleRateHz);
    try {
      // The sidecar is written after the WAV: a preview counts as kept only once both are there.
      const result = await renderer.renderFile(midiPath, wavPath);
      await this.prune(wavPath);
      return { wavPath, durationSeconds: result.durationSeconds, cached: false };
    } finally {
      this.releaseLater();
    }
  }

  private async rendererFor(soundfontPath: string, engine: AppSettings['engine'], sampleRateHz: Hertz): Promise<Renderer> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const key = `${soundfontPath}\n${engine}\n${sampleRateHz}`;
    if (this.renderer?.key !== key) {
      this.dispose();
      const { createRenderer } = await import('../core/node/render/renderer');
      const renderer = createRenderer({ soundfontPath, engine, sampleRateHz });
      this.renderer = { key, renderer };
      // A renderer that could not start is not kept: the next ask tries again (the settings may have changed).
      renderer.catch(() => {
        if (this.renderer?.renderer === renderer) this.renderer = null;
      });
    }
    return this.renderer.renderer;
  }

  private releaseLater(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.dispose(), RENDERER_IDLE_MS);
    this.idleTimer.unref?.();
  }

  /** Frees the loaded renderer (the kept previews stay). */
  dispose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const held = this.renderer;
    this.renderer = null;
    held?.renderer.then((r) => r.dispose()).catch(() => {});
  }

  /** Deletes the least recently played previews until the folder fits in `maxBytes`; `keep` always stays. */
  private async prune(keep: string): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const wavs: Array<{ file: string; bytes: number; mtimeMs: number }> = [];
    for (const name of names) {
      if (!name.endsWith('.wav')) continue;
      const file = path.join(this.dir, name);
      const stat = await fs.stat(file).catch(() => null);
      if (stat?.isFile()) wavs.push({ file, bytes: stat.size, mtimeMs: stat.mtimeMs });
    }
    let total = wavs.reduce((sum, w) => sum + w.bytes, 0);
    wavs.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const w of wavs) {
      if (total <= this.maxBytes) break;
      if (w.file === keep) continue;
      await fs.rm(`${w.file}.json`, { force: true }).catch(() => {});
      await fs.rm(w.file, { force: true }).catch(() => {});
      total -= w.bytes;
    }
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Names a SoundFont by its path, size and modification time: another file, or the same one changed, renders anew. */
async function soundFontKey(file: string): Promise<string> {
  const stat = await fs.stat(file).catch((e: unknown) => {
    throw ioError(e, file, 'read');
  });
  return sha256(new TextEncoder().encode(`${file}\n${stat.size}\n${stat.mtimeMs}`)).slice(0, 12);
}
