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
  /** MIDI files the user marked as favourites. */
  favourites: z.array(z.string()).optional(),
  /** MIDI file → the name the user gave it (the file keeps its own name). */
  names: z.record(z.string(), z.string()).optional(),
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
    if (data.favourites) data.favourites = data.favourites.filter((midi) => existsSync(midi));
    for (const midi of Object.keys(data.names ?? {})) if (!existsSync(midi)) delete data.names![midi];
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

/** What the user made of a piece: a favourite or not, and the name given to it (absent: none given). */
export interface TakeMarks {
  favourite: boolean;
  name?: string;
}

/** Every piece's marks, by absolute MIDI path. */
export async function marksOf(dataDir: string): Promise<Map<string, TakeMarks>> {
  const data = await read(dataDir);
  const marks = new Map<string, TakeMarks>();
  for (const midi of data.favourites ?? []) marks.set(midi, { favourite: true });
  for (const [midi, name] of Object.entries(data.names ?? {})) marks.set(midi, { favourite: marks.get(midi)?.favourite ?? false, name });
  return marks;
}

/** Marks `midi` as a favourite or not, and gives it a name (an empty name takes the given one away). */
export async function markTake(dataDir: string, midi: string, change: { favourite?: boolean; name?: string }): Promise<void> {
  const key = path.resolve(midi);
  await update(dataDir, (data) => {
    if (change.favourite !== undefined) {
      const others = (data.favourites ?? []).filter((f) => f !== key);
      data.favourites = change.favourite ? [...others, key] : others;
    }
    if (change.name !== undefined) {
      const names = { ...data.names };
      if (change.name.trim()) names[key] = change.name.trim();
      else delete names[key];
      data.names = names;
    }
  });
}

/** Drops every link of `midi` (its files are deleted by the caller first). */
export async function forgetTake(dataDir: string, midi: string): Promise<void> {
  const key = path.resolve(midi);
  await update(dataDir, (data) => {
    const refined = data.refinements[key]?.midi;
    delete data.renders[key];
    if (refined) delete data.renders[refined];
    delete data.refinements[key];
    if (data.favourites) data.favourites = data.favourites.filter((f) => f !== key);
    if (data.names) delete data.names[key];
  });
}
