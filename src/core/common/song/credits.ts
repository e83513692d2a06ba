/**
 * Who wrote a piece and what it is called, from the text a MIDI file carries: its sequence name
 * (the first track's name), the names of its other tracks, text and copyright meta events.
 * Files from notation programs and sequencers say this in loose, human ways
 * ("Frederic Chopin" as a text event, "Chopin: Etude Op. 10, No. 1" as a track name, the
 * sequencer's own name in the copyright line), so the rules are:
 *
 * - A text "Composer: X" or "Title: X" is taken as it says.
 * - Composer: a text event before the first note that reads as a person's name (capitalised
 *   words, no digits, not a tempo marking or an instrument, not the copyright holder), or the
 *   name before the colon of a "Name: title" track name or text; when both exist and share a
 *   surname, the text's fuller form wins ("Frederic Chopin" over "Chopin").
 * - Title: the sequence name (with a second sequence name joined as a subtitle), else a
 *   "Name: title" text whose name is the composer's, with the composer's name taken off the
 *   front. When the two disagree, the one whose numbers agree more with the file name's wins
 *   ("chpn_op10_e01" is "Etude Op. 10, No. 1", whatever a mislabelled sequence name says).
 * - Generic names ("Piano right", "Track 1", "Untitled") are never titles.
 *
 * Anything not found is left out, so the caller can fall back to folder and file names.
 */

/** One text meta event of a MIDI file. */
export interface MidiText {
  /** The MTrk chunk it is in (0 = the first). */
  track: number;
  /** Where it is, in ticks. */
  ticks: number;
  /** Meta type: 0x03 track (sequence) name, 0x01 text, 0x02 copyright notice. */
  kind: 'trackName' | 'text' | 'copyright';
  /** The decoded text, as the file has it. */
  text: string;
}

/** What a file says about itself; a field is absent when the file does not say it. */
export interface Credits {
  composer?: string;
  title?: string;
}

/** Longest composer or title taken from a file, in characters; longer texts are notes, not names. */
const MAX_NAME_CHARS = 120;

/**
 * Words that name tempo, character, form, instruments, parts or the file's history rather than a
 * person: a text made only of them (or a name candidate holding one) is not a composer.
 */
const TEMPO_WORDS = words(
  'adagietto adagio affettuoso agitato allegretto allegro amoroso andante andantino andantimo animato appassionato assai brillante brio calando ' +
    'cantabile capriccioso comodo con dolce dolente espressivo fuoco giocoso grave grazioso lamentoso largo larghetto legato leggiero lento ' +
    'maestoso marcato meno mesto misterioso moderato molto mosso moto non piu poco presto prestissimo quasi risoluto rubato scherzando ' +
    'sempre semplice sostenuto spiritoso tempo tranquillo troppo vivace vivo vivacissimo ma e il di ' +
    'modere lent vif anime doux langsam lebhaft schnell rasch innig mässig sehr bewegt ruhig zart',
);

/**
 * Words that name tempo, character, form, instruments, parts or the file's history rather than a
 * person: a name candidate holding one is not a composer, a text made only of them is not a title.
 */
/** Instruments, track labels and the file's history: a text made only of these and numbers names nothing. */
const GENERIC_WORDS = words(
  'piano pianoforte klavier flügel grand acoustic keyboard right left rechts links pedal pedale pedals ' +
    'track spur sequence midi untitled unnamed melody bass treble voice channel ' +
    'copyright edition editon update dauer erstellt fertiggestellt normierung veröffentlicht herausgegeben ' +
    'composer composed title arranged arrangement sequenced transcribed',
);

const NOT_A_NAME = new Set([
  ...TEMPO_WORDS,
  ...GENERIC_WORDS,
  ...words(
    'menuett menuet minuetto scherzo rondo finale coda fine trio thema var variation teil part satz movement introduction intro',
  ),
]);

/** A set of folded words from a space-separated list. */
function words(list: string): Set<string> {
  return new Set(list.split(' ').map((w) => foldName(w)));
}

/** Lower-case letters without accents, German umlaut spellings folded too ("Krüger" = "Krueger" = "kruger"). */
export function foldName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/([aou])e/g, '$1')
    .replace(/ß/g, 'ss');
}

/** Control characters and runs of spaces tidied; what is left trimmed. */
function clean(text: string): string {
  return text
    .replace(/[\p{Cc}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The words of a text, folded, for comparing names. */
function foldedWords(text: string): string[] {
  return foldName(text)
    .split(/[^\p{L}]+/u)
    .filter(Boolean);
}

/** The last word of a name, folded: what "Chopin" and "Frederic Chopin" share. */
function surname(name: string): string {
  return foldedWords(name).at(-1) ?? '';
}

const PARTICLES = new Set([
  'van',
  'von',
  'der',
  'den',
  'de',
  'di',
  'da',
  'du',
  'del',
  'della',
  'la',
  'le',
  'y',
  'zu',
]);

/** True when `text` reads as a person's name: one to five capitalised words (particles and initials allowed), no digits. */
function looksLikeName(text: string): boolean {
  if (text.length < 2 || text.length > 60 || /[\d:/@©]|https?|www\./i.test(text)) return false;
  const words = text.split(' ');
  if (words.length > 5) return false;
  let named = 0;
  for (const word of words) {
    if (PARTICLES.has(word)) continue;
    if (!/^\p{Lu}[\p{L}'’.-]*$/u.test(word)) return false;
    if (foldedWords(word).some((w) => NOT_A_NAME.has(w))) return false;
    named++;
  }
  return named > 0;
}

/** The names the copyright notices hold (the sequencer's, usually), folded into words. */
function copyrightWords(texts: readonly MidiText[]): Set<string> {
  const words = new Set<string>();
  for (const t of texts) if (t.kind === 'copyright') for (const w of foldedWords(t.text)) words.add(w);
  return words;
}

/** "Name: rest" split at the first colon, when the name reads as a person's name and the rest does not start with a number. */
function splitPrefixed(text: string): { name: string; rest: string } | null {
  const match = /^([^:]{2,60}?)\s*:\s*(.+)$/u.exec(text);
  if (!match) return null;
  const name = clean(match[1]!);
  const rest = clean(match[2]!);
  // "Dauer: 1:50 Minuten", "Hammerklaviersonate: 3. Satz": a label or a work, then figures.
  if (/^\d/.test(rest) || !looksLikeName(name)) return null;
  return { name, rest };
}

/** True when every word of `text` is a number, a tempo word or a generic word ("Piano right", "Track 2", "Spur 8", "Allegro"). */
function isGeneric(text: string): boolean {
  return foldName(text)
    .split(/[^\p{L}\d]+/u)
    .filter(Boolean)
    .every((w) => /^\d+$/.test(w) || GENERIC_WORDS.has(w) || TEMPO_WORDS.has(w));
}

/** True for a sequencer's note rather than a title: it holds a date ("Update am 5.9.99", "Pan's auf Standard am 18.1.98"). */
function isNote(text: string): boolean {
  return /\b\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b/.test(text);
}

/** A title as shown: spaces tidied, "Op," (a common slip) written "Op.". */
function tidyTitle(text: string): string {
  return clean(text)
    .replace(/^[\s:;,.\-–]+|[\s:;,\-–]+$/g, '')
    .replace(/\bOp\s*,\s*/g, 'Op. ');
}

/** The whole numbers in a text, as numbers ("e01" holds 1). */
function numbersIn(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}

/** How many of the file name's numbers a title holds. */
function agreement(title: string, fileNumbers: readonly number[]): number {
  const held = new Set(numbersIn(title));
  return fileNumbers.filter((n) => held.has(n)).length;
}

/** What a file's texts say about its composer and title (see the module's rules). */
export function creditsFromTexts(
  texts: readonly MidiText[],
  options: {
    /** The file's name, to settle between titles that disagree. */
    fileName?: string;
    /** Texts after this tick are lyrics or markers, not credits (the first note's tick). */
    beforeTicks?: number;
  } = {},
): Credits {
  const before = options.beforeTicks ?? Infinity;
  const all = texts
    .map((t) => ({ ...t, text: clean(t.text) }))
    .filter((t) => t.text.length > 0 && t.text.length <= MAX_NAME_CHARS && t.ticks <= before);
  const heldByCopyright = copyrightWords(all);
  const isCopyrightHolder = (name: string): boolean => {
    const words = foldedWords(name);
    return words.length > 0 && words.every((w) => heldByCopyright.has(w));
  };

  let composer: string | undefined;
  let title: string | undefined;
  for (const t of all) {
    if (t.kind === 'copyright') continue;
    const labelled =
      /^(composer|komponist|compositeur|music by|composed by|title|titel|titre)\s*[:-]?\s+(.+)$/iu.exec(
        t.text,
      );
    if (!labelled) continue;
    const value = clean(labelled[2]!);
    if (/^t/i.test(labelled[1]!)) title ??= value;
    else if (looksLikeName(value)) composer ??= value;
  }

  const names = all
    .filter((t) => t.kind === 'text' && t.track === 0 && looksLikeName(t.text) && !isCopyrightHolder(t.text))
    .map((t) => t.text);
  const prefixed = all
    .filter((t) => t.kind !== 'copyright')
    .map((t) => ({ t, split: splitPrefixed(t.text) }))
    .filter(
      (p): p is { t: (typeof all)[number]; split: { name: string; rest: string } } =>
        p.split !== null && !isCopyrightHolder(p.split.name),
    );
  if (!composer) {
    const surnames = new Set(prefixed.map((p) => surname(p.split.name)));
    composer = names.find((n) => surnames.has(surname(n))) ?? prefixed[0]?.split.name ?? names[0];
  }

  if (!title) {
    const candidates: string[] = [];
    const sequenceNames = all.filter((t) => t.kind === 'trackName' && t.track === 0).map((t) => t.text);
    const composerSurname = composer ? surname(composer) : '';
    // "Chopin: Etude…" and "Chopin Etude…": the composer is shown beside the title already.
    const withoutComposer = (text: string): string => {
      const split = splitPrefixed(text);
      if (split && composerSurname && surname(split.name) === composerSurname) return split.rest;
      const [first, ...rest] = text.split(' ');
      return composerSurname && rest.length > 1 && foldName(first!) === composerSurname
        ? rest.join(' ')
        : text;
    };
    const main = sequenceNames.find((n) => !isGeneric(n) && !isNote(n));
    if (main) {
      // A second name is a subtitle ("1. Movement", "Fürchtenmachen"), unless it is the tempo marking.
      const sub = sequenceNames.find(
        (n) =>
          n !== main &&
          !isGeneric(n) &&
          !isNote(n) &&
          !TEMPO_WORDS.has(foldedWords(n)[0] ?? '') &&
          n.length <= 60,
      );
      candidates.push(tidyTitle(withoutComposer(sub ? `${main}: ${sub}` : main)));
    }
    for (const p of prefixed)
      if (
        composerSurname &&
        surname(p.split.name) === composerSurname &&
        !isGeneric(p.split.rest) &&
        !isNote(p.split.rest)
      )
        candidates.push(tidyTitle(p.split.rest));
    const fileNumbers = options.fileName ? numbersIn(options.fileName.replace(/\.[^.]*$/, '')) : [];
    // The first candidate wins ties: the sequence name is where the MIDI standard puts a title.
    let best = -1;
    for (const c of candidates) {
      const score = agreement(c, fileNumbers);
      if (score > best) {
        best = score;
        title = c;
      }
    }
  }
  return { ...(composer ? { composer: clean(composer) } : {}), ...(title ? { title } : {}) };
}

/** The key a composer sorts by: the surname first ("Chopin, Frederic"), so "Frederic Chopin" and "Chopin" sit together. */
export function composerSortKey(composer: string): string {
  const words = clean(composer).split(' ');
  if (words.length < 2) return composer;
  return `${words.at(-1)}, ${words.slice(0, -1).join(' ')}`;
}
