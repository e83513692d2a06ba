/**
 * Previews: a MIDI file played with the SoundFont sound. The backend renders it once to a WAV with
 * the render stage (native FluidSynth, else its wasm build) and keeps it in `<dataDir>/previews/`,
 * named by the MIDI's content hash, the SoundFont and the sample rate, so a second play of the same
 * piece is instant and survives a reload. The render runs in a worker thread (the render stage's
 * `renderWorker`), so loading a SoundFont and synthesizing never stall the backend's own thread;
 * that thread keeps its SoundFont loaded while previews are asked for and renders one at a time.
 * The folder is kept under `PREVIEW_CACHE_BYTES`, least recently played first out.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { deserializeError, RenderError } from '../core/common/errors';
import type { Hertz, Seconds } from '../core/common/units';
import { ioError, readJson, writeFileAtomic } from '../core/node/fs/atomic';
import { parseMidi } from '../core/common/midi/read';
import type { Song } from '../core/common/song/song';
import { durationSeconds } from '../core/common/song/tempo';
import { windowSong } from '../core/common/evaluate/features';
import { encodeMidi } from '../core/node/midi/write';
import type { RenderWorkerData, WorkerReply, WorkerRequest } from '../core/node/render/protocol';
import type { RenderResult } from '../core/node/render/render';
import { checkSoundFont } from '../core/node/render/soundfont';
import { startWorker, workerModule } from '../core/node/workers/start';
import type { AppSettings } from './settings';

/** Most bytes the preview folder keeps (about 30 three-minute pieces at 44.1 kHz). */
export const PREVIEW_CACHE_BYTES = 1024 * 1024 * 1024;
/** How long an unused render thread keeps its SoundFont loaded, in milliseconds. */
const RENDERER_IDLE_MS = 120_000;

/** A head preview is asked for only of pieces longer than its length by more than this. */
export const HEAD_MARGIN_SECONDS = 15;

/** A rendered preview. */
export interface Preview {
  /** True when it is only the piece's head (`headSeconds`); the whole is asked for apart. */
  partial?: boolean;
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
  private thread: { key: string; thread: RenderThread } | null = null;
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

  /**
   * The preview of the MIDI file `midiPath` (an allowed, absolute path), rendered when not kept yet.
   * With `headSeconds`, a piece longer than that (by more than `HEAD_MARGIN_SECONDS`) is rendered
   * only to there, in a fraction of the whole's time, so playing can start while the whole renders
   * (`partial` in the answer); a shorter piece answers its whole preview.
   */
  async preview(midiPath: string, options: { headSeconds?: Seconds } = {}): Promise<Preview> {
    const bytes = await fs.readFile(midiPath).catch((e: unknown) => {
      throw ioError(e, midiPath, 'read');
    });
    const s = this.settings();
    // Checked first, so a missing or damaged SoundFont is said as such rather than as a failed render.
    const soundfontPath = await checkSoundFont(s.soundFont ?? undefined);
    let head = options.headSeconds;
    // Read only when a head is asked for: whether the piece is long enough to have one.
    const song = head === undefined ? undefined : parseMidi(bytes, { path: midiPath, sustain: false, dropDrums: false }).song;
    if (head !== undefined && durationSeconds(song!) <= head + HEAD_MARGIN_SECONDS) head = undefined;
    const stem = `${sha256(bytes).slice(0, 32)}-${await soundFontKey(soundfontPath)}-${s.sampleRateHz}`;
    const name = head === undefined ? `${stem}.wav` : `${stem}-head${Math.round(head)}.wav`;
    const wavPath = path.join(this.dir, name);
    const kept = await this.kept(wavPath);
    if (kept) return head === undefined ? kept : { ...kept, partial: true };
    let pending = this.inFlight.get(name);
    if (!pending) {
      const settings = { ...s, soundFont: soundfontPath };
      pending =
        head === undefined
          ? this.enqueue(() => this.render(midiPath, wavPath, settings))
          : this.enqueue(() => this.renderHead(song!, head!, wavPath, settings)).then((p) => ({ ...p, partial: true }));
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

  /** Renders the first `headSeconds` of the piece: its notes that start there, cut at its end. */
  private async renderHead(
    song: Song,
    headSeconds: Seconds,
    wavPath: string,
    s: RenderSettings & { soundFont: string },
  ): Promise<Preview> {
    const headMidi = `${wavPath.slice(0, -'.wav'.length)}.mid`;
    await fs.mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
      throw ioError(e, this.dir, 'create');
    });
    await writeFileAtomic(headMidi, encodeMidi(windowSong(song, 0, headSeconds)));
    try {
      return await this.render(headMidi, wavPath, s);
    } finally {
      await fs.rm(headMidi, { force: true });
    }
  }

  private async render(
    midiPath: string,
    wavPath: string,
    s: RenderSettings & { soundFont: string },
  ): Promise<Preview> {
    const again = await this.kept(wavPath);
    if (again) return again;
    await fs.mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
      throw ioError(e, this.dir, 'create');
    });
    const thread = this.threadFor(s.soundFont, s.engine, s.sampleRateHz);
    try {
      // The sidecar is written after the WAV: a preview counts as kept only once both are there.
      const result = await thread.render(midiPath, wavPath);
      await this.prune(wavPath);
      return { wavPath, durationSeconds: result.durationSeconds, cached: false };
    } finally {
      this.releaseLater();
    }
  }

  private threadFor(soundfontPath: string, engine: AppSettings['engine'], sampleRateHz: Hertz): RenderThread {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const key = `${soundfontPath}\n${engine}\n${sampleRateHz}`;
    if (this.thread?.key !== key || this.thread.thread.stopped) {
      this.dispose();
      this.thread = {
        key,
        thread: new RenderThread({
          rendererOptions: { soundfontPath, engine, sampleRateHz },
          fileOptions: {},
        }),
      };
    }
    return this.thread.thread;
  }

  private releaseLater(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.dispose(), RENDERER_IDLE_MS);
    this.idleTimer.unref?.();
  }

  /** Ends the render thread (the kept previews stay). */
  dispose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.thread?.thread.close();
    this.thread = null;
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

/** One render worker thread (`renderWorker`) with its SoundFont loaded, rendering one file per request. */
class RenderThread {
  /** True once the thread has ended or failed to start: a new one is needed. */
  stopped = false;
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<
    number,
    { resolve: (r: RenderResult) => void; reject: (e: unknown) => void }
  >();
  private next = 0;

  constructor(data: RenderWorkerData) {
    this.worker = startWorker(
      workerModule(import.meta.url, '../core/node/render/renderWorker.ts', 'renderWorker.js'),
      { workerData: data },
    );
    this.worker.unref();
    let started: () => void = () => {};
    let failed: (e: unknown) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    // Nothing may wait on `ready` when the thread fails at once; the rejection is read by render().
    this.ready.catch(() => {});
    const fail = (error: unknown): void => {
      this.stopped = true;
      failed(error);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') started();
      else if (reply.type === 'fatal') fail(deserializeError(reply.error));
      else {
        const p = this.pending.get(reply.index);
        this.pending.delete(reply.index);
        if (reply.type === 'done') p?.resolve(reply.result);
        else p?.reject(deserializeError(reply.error));
      }
    });
    this.worker.on('error', (error) =>
      fail(new RenderError(`The render thread failed: ${error.message}`, { cause: error })),
    );
    this.worker.on('exit', () => fail(new RenderError('The render thread stopped before it finished.')));
  }

  /** Renders `midiPath` to `wavPath` (and its sidecar). */
  async render(midiPath: string, wavPath: string): Promise<RenderResult> {
    await this.ready;
    const index = this.next++;
    return new Promise<RenderResult>((resolve, reject) => {
      this.pending.set(index, { resolve, reject });
      this.worker.postMessage({ type: 'render', index, midiPath, wavPath } satisfies WorkerRequest);
    });
  }

  /** Frees the SoundFont and ends the thread. */
  close(): void {
    this.stopped = true;
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    // A thread still loading its SoundFont does not read messages yet.
    setTimeout(() => void this.worker.terminate(), 5000).unref();
  }
}
