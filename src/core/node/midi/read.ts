/**
 * Reads a MIDI file from disk and hands its bytes to the one reader, `core/common/midi/read.ts`
 * (`parseMidi`), which documents how bytes become a `Song`.
 */
import { promises as fs } from 'node:fs';
import { MidiParseError } from '../../common/errors';
import type { MidiReadResult, ReadMidiOptions } from '../../common/midi/read';
import { checkMidiSize, parseMidi } from '../../common/midi/read';
import { ioError } from '../fs/atomic';

/** Reads and parses a MIDI file. Throws `IoError` if it can't be read, `MidiParseError` if it isn't MIDI. */
export async function readMidiFile(file: string, options: ReadMidiOptions = {}): Promise<MidiReadResult> {
  const label = options.path ?? file;
  let bytes: Uint8Array;
  try {
    checkMidiSize((await fs.stat(file)).size, label);
    bytes = await fs.readFile(file);
  } catch (error) {
    if (error instanceof MidiParseError) throw error;
    throw ioError(error, file, 'read');
  }
  return parseMidi(bytes, { ...options, path: label });
}
