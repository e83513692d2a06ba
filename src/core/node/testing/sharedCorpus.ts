/**
 * Test support for the shared piano corpus at ../shared/corpora/piano-midi. A user's clone has
 * no ../shared: corpus tests then skip with a visible message. In CI (CI=true) its absence fails,
 * unless CADENZA_NO_SHARED=1 asks for a run as a user's clone would see it (`.ci/run`'s second pass).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sharedCorpusDir, sharedHidden } from '../paths';

/** The corpus folder, or null when absent (and not in CI). Throws in CI when absent. */
export function sharedCorpusOrSkip(): string | null {
  const dir = sharedCorpusDir();
  if (sharedHidden()) {
    console.warn(`[cadenza tests] skipping corpus tests: CADENZA_NO_SHARED=1 treats ${dir} as absent (a user's clone).`);
    return null;
  }
  if (existsSync(path.join(dir, 'metadata.csv'))) return dir;
  if (process.env.CI === 'true') throw new Error(`The shared corpus is missing at ${dir}; CI must have it.`);
  console.warn(`[cadenza tests] skipping corpus tests: ${dir} is not present (it is only beside the dev checkout).`);
  return null;
}

/** Every .mid/.midi file under `dir`, sorted, as absolute paths (synchronous, for test collection). */
export function listMidiFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.midi?$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
