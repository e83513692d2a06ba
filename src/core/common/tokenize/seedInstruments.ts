/**
 * The instruments music21 9.3's MIDI import makes of one track's names and program changes
 * (`midi/translate.py` `getMetaEvents`, `midiEventsToInstrument`, `instrument.fromString`,
 * `instrumentFromMidiProgram`, `instrument.deduplicate`). `partitionByInstrument` later gathers
 * the tracks' notes into one part per instrument name, so these names decide which tracks merge.
 */
import {
  MUSIC21_INSTRUMENT_CLASSES,
  MUSIC21_INSTRUMENT_LOOKUP,
  MUSIC21_PROGRAM_INSTRUMENTS,
} from './music21Instruments';
import type { SeedInstrumentEvent } from './seedScore';

/** One music21 Instrument of a track, after `deduplicate`. */
export interface SeedInstrument {
  /** Where its event lies, in ticks. */
  ticks: number;
  /** Its `instrumentName`, the key `partitionByInstrument` merges parts by (null is the key ''). */
  instrumentName: string | null;
}

interface Instrument {
  ticks: number;
  className: string;
  instrumentName: string | null;
  partName: string | null;
}

const GENERIC = 'Instrument';
// Python's string.punctuation.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** `instrument.fromString`: the class the name's best word run names, or undefined. */
function classFromString(name: string): string | undefined {
  const words = name.replaceAll('.', ' ').toLowerCase().replace(PUNCTUATION, '').split(/\s+/).filter(Boolean);
  let best: string | undefined;
  let bestWords = 0;
  for (let size = 1; size <= words.length; size++)
    for (let i = 0; i + size <= words.length; i++) {
      const className = MUSIC21_INSTRUMENT_LOOKUP[words.slice(i, i + size).join(' ')];
      const info = className ? MUSIC21_INSTRUMENT_CLASSES[className] : undefined;
      if (!className || !info) continue;
      // A later match wins when its name has at least as many words, unless best is already of its class.
      if (
        !best ||
        (info.words >= bestWords && !MUSIC21_INSTRUMENT_CLASSES[best]!.bases.includes(className))
      ) {
        best = className;
        bestWords = info.words;
      }
    }
  return best;
}

/** `midiEventsToInstrument` for one event. */
function instrumentOf(event: SeedInstrumentEvent): Instrument {
  const generic: Instrument = {
    ticks: event.ticks,
    className: GENERIC,
    instrumentName: null,
    partName: null,
  };
  if (event.kind === 'program') {
    const program = event.program ?? 0;
    if (event.channel === 9)
      return {
        ...generic,
        className: 'UnpitchedPercussion',
        instrumentName: classDefault('UnpitchedPercussion'),
      };
    const known = MUSIC21_PROGRAM_INSTRUMENTS[program];
    return known ? { ...generic, className: known[0], instrumentName: known[1] } : generic;
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(event.text ?? new Uint8Array());
  } catch {
    // A name that is not UTF-8 gives a generic Instrument without names.
    return generic;
  }
  decoded = decoded.split('\0')[0]!.trim();
  const className = decoded ? classFromString(decoded) : undefined;
  const out: Instrument = className ? { ...generic, className, instrumentName: decoded } : generic;
  const lower = decoded.toLowerCase();
  const lousy =
    lower === 'instrument' ||
    lower === 'inst' ||
    /^\p{Nd}+$/u.test(lower.replaceAll('instrument ', '')) ||
    /^\p{Nd}+$/u.test(lower.replaceAll('inst ', ''));
  if (!decoded || lousy) return out;
  if (event.kind === 'trackName') out.partName = decoded;
  else out.instrumentName = decoded;
  return out;
}

function classDefault(className: string): string | null {
  return MUSIC21_INSTRUMENT_CLASSES[className]?.name ?? null;
}

/**
 * A track's instruments as music21 keeps them: one per name or program change, in file order;
 * then `deduplicate`, which means to look at each offset but, building its `OffsetTree` from the
 * stream itself, sees all the track's instruments as one group: when they carry at most one part
 * name and one instrument name, it keeps the first of a single class (or drops the generic ones of
 * mixed classes) and gives the survivors those names, wherever they lie.
 */
export function trackInstruments(events: readonly SeedInstrumentEvent[]): SeedInstrument[] {
  const all = events.map(instrumentOf).sort((a, b) => a.ticks - b.ticks);
  let kept = all;
  const partNames = new Set(all.flatMap((i) => (i.partName === null ? [] : [i.partName])));
  const instrumentNames = new Set(all.flatMap((i) => (i.instrumentName === null ? [] : [i.instrumentName])));
  if (all.length > 1 && partNames.size <= 1 && instrumentNames.size <= 1) {
    const partName = [...partNames][0] ?? null;
    const instrumentName = [...instrumentNames][0] ?? null;
    const single = new Set(all.map((i) => i.className)).size === 1;
    kept = single ? all.slice(0, 1) : all.filter((i) => i.className !== GENERIC);
    for (const inst of kept) Object.assign(inst, { partName, instrumentName });
  }
  return kept.map((i) => ({ ticks: i.ticks, instrumentName: i.instrumentName }));
}
