/**
 * The takes of each piece, so a reload finds them again: which WAV renders a MIDI file, and
 * which refined MIDI (with its mastered WAV) refines it. The files themselves stay where their
 * jobs published them (renders/<jobId>/, refined/<jobId>/); `<dataDir>/takes.json` only links
 * them, by absolute path. Jobs record their takes under a lock (two renders may end at once);
 * the file is rewritten atomically, so a crash leaves the old links or the new ones.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../core/node/fs/atomic';
import { withLock } from '../core/node/corpus/lock';

/** Where the links live. */
export function takesFile(dataDir: string): string {
  return path.join(dataDir, 'takes.json');
}

const takesSchema = z.object({
  version: z.literal(1),
  /** MIDI file → the WAV most recently rendered from it. */
  renders: z.record(z.string(), z.string()),
  /** MIDI file → its most recent refinement. */
  refinements: z.record(z.string(), z.object({ midi: z.string(), wav: z.string().optional() })),
});
type TakesData = z.infer<typeof takesSchema>;

/** A piece's takes that still exist on disk (absolute paths). */
export interface PieceTakes {
  /** The latest render of the piece itself. */
  render?: string;
  /** The latest refinement: its MIDI, and its WAV (the refinement's own master, else a render of the refined MIDI). */
  refined?: { midi: string; wav?: string };
}

async function read(dataDir: string): Promise<TakesData> {
  const file = takesFile(dataDir);
  if (!existsSync(file)) return { version: 1, renders: {}, refinements: {} };
  // A damaged file loses only the links, never a take: start again rather than refuse to work.
  const parsed = takesSchema.safeParse(await readJson<unknown>(file).catch(() => null));
  return parsed.success ? parsed.data : { version: 1, renders: {}, refinements: {} };
}

/** Applies `change` to the links under the lock, dropping links whose MIDI file is gone. */
async function update(dataDir: string, change: (data: TakesData) => void): Promise<void> {
  const file = takesFile(dataDir);
  await withLock(`${file}.lock`, async () => {
    const data = await read(dataDir);
    change(data);
    for (const midi of Object.keys(data.renders)) if (!existsSync(midi)) delete data.renders[midi];
    for (const midi of Object.keys(data.refinements)) if (!existsSync(midi)) delete data.refinements[midi];
    await writeJsonAtomic(file, data);
  });
}

/** Records that `wav` renders `midi` (both absolute paths). */
export async function recordRenders(
  dataDir: string,
  renders: ReadonlyArray<{ midi: string; wav: string }>,
): Promise<void> {
  if (renders.length === 0) return;
  await update(dataDir, (data) => {
    for (const r of renders) data.renders[path.resolve(r.midi)] = path.resolve(r.wav);
  });
}

/** Records that `refined` (a MIDI file and its mastered WAV) refines `midi`. */
export async function recordRefinement(
  dataDir: string,
  midi: string,
  refined: { midi: string; wav?: string },
): Promise<void> {
  await update(dataDir, (data) => {
    data.refinements[path.resolve(midi)] = {
      midi: path.resolve(refined.midi),
      ...(refined.wav ? { wav: path.resolve(refined.wav) } : {}),
    };
  });
}

/** The takes of the piece `midi` (an absolute path) that still exist. */
export async function takesOf(dataDir: string, midi: string): Promise<PieceTakes> {
  const data = await read(dataDir);
  const key = path.resolve(midi);
  const there = (file: string | undefined): string | undefined =>
    file && existsSync(file) ? file : undefined;
  const render = there(data.renders[key]);
  const refinement = data.refinements[key];
  const refinedMidi = there(refinement?.midi);
  const refinedWav = refinedMidi ? (there(refinement?.wav) ?? there(data.renders[refinedMidi])) : undefined;
  return {
    ...(render ? { render } : {}),
    ...(refinedMidi ? { refined: { midi: refinedMidi, ...(refinedWav ? { wav: refinedWav } : {}) } } : {}),
  };
}
