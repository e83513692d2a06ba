import { describe, expect, it } from 'vitest';
import { composerSortKey, creditsFromTexts, foldName, type MidiText } from './credits';

const t = (track: number, kind: MidiText['kind'], text: string, ticks = 0): MidiText => ({
  track,
  ticks,
  kind,
  text,
});

/** The texts of piano-midi.de's chpn_op10_e01.mid, as the file holds them (its sequence name says No. 5 by mistake). */
const chopinEtude: MidiText[] = [
  t(0, 'trackName', 'Etüde Opus 10 No. 5'),
  t(0, 'copyright', 'Copyright © 1999 von Bernd Krüger. '),
  t(0, 'text', 'Frederic Chopin'),
  t(0, 'text', 'Allegro'),
  t(0, 'text', 'Dauer: 1:50 Minuten\n'),
  t(0, 'text', 'Fertiggestellt am 24.4.99\n'),
  t(1, 'trackName', 'Piano right'),
  t(2, 'trackName', 'Piano left'),
  t(3, 'trackName', 'Chopin: Etude Op, 10, No. 1'),
  t(4, 'trackName', 'Copyright © 1999 by Bernd Krüger'),
  t(5, 'trackName', 'http://www.piano-midi.de'),
  t(6, 'trackName', 'Edition: 12.6.06'),
];

describe('creditsFromTexts', () => {
  it('reads a real file: the composer text over the sequencer, the title that agrees with the file name', () => {
    expect(creditsFromTexts(chopinEtude, { fileName: 'chpn_op10_e01.mid' })).toEqual({
      composer: 'Frederic Chopin',
      title: 'Etude Op. 10, No. 1',
    });
    // Without a file name to settle it, the sequence name (where the standard puts a title) wins.
    expect(creditsFromTexts(chopinEtude).title).toBe('Etüde Opus 10 No. 5');
  });

  it('joins a second sequence name as a subtitle, but not a tempo marking', () => {
    const texts = [
      t(0, 'trackName', 'Kinderszenen Opus 15'),
      t(0, 'trackName', 'Fürchtenmachen'),
      t(0, 'text', 'Robert Schumann'),
    ];
    expect(creditsFromTexts(texts)).toEqual({
      composer: 'Robert Schumann',
      title: 'Kinderszenen Opus 15: Fürchtenmachen',
    });
    const movement = [
      t(0, 'trackName', 'Beethoven Sonata No. 21 in C major'),
      t(0, 'trackName', '1. Movement'),
      t(0, 'text', 'Ludwig van Beethoven'),
    ];
    expect(creditsFromTexts(movement)).toEqual({
      composer: 'Ludwig van Beethoven',
      title: 'Sonata No. 21 in C major: 1. Movement',
    });
    expect(
      creditsFromTexts([t(0, 'trackName', 'Etude Opus 33, Nr. 6'), t(0, 'trackName', 'Allegro con fuoco')])
        .title,
    ).toBe('Etude Opus 33, Nr. 6');
  });

  it('never takes the copyright holder, a tempo marking or a dated note as the composer', () => {
    const texts = [
      t(0, 'trackName', 'Haydn: Klaviersonate Hoboken XVI: 33 2. Satz'),
      t(0, 'copyright', 'Copyright © 2012 by Bernd Krueger'),
      t(0, 'text', 'Bernd Krueger'),
      t(0, 'text', 'Adagio'),
    ];
    expect(creditsFromTexts(texts)).toEqual({
      composer: 'Haydn',
      title: 'Klaviersonate Hoboken XVI: 33 2. Satz',
    });
    expect(
      creditsFromTexts([t(0, 'text', 'Andante Cantabile'), t(0, 'text', 'Update am 31.3.2000')]),
    ).toEqual({});
    // The umlaut and its spelling-out are one name.
    expect(creditsFromTexts([t(0, 'copyright', '(c) Bernd Krüger'), t(0, 'text', 'Bernd Krueger')])).toEqual(
      {},
    );
  });

  it('takes the name before a colon when no text names the composer, and a fuller form when both share a surname', () => {
    expect(creditsFromTexts([t(0, 'trackName', 'Mozart: Klaviersonate C-Dur KV 330 2. Satz')])).toEqual({
      composer: 'Mozart',
      title: 'Klaviersonate C-Dur KV 330 2. Satz',
    });
    expect(
      creditsFromTexts([t(0, 'text', 'Mili Balakirew'), t(3, 'trackName', 'Balakirew :Islamei')]).composer,
    ).toBe('Mili Balakirew');
    // A work before a colon ("Hammerklaviersonate: 3. Satz") is not a composer.
    expect(creditsFromTexts([t(0, 'trackName', 'Hammerklaviersonate: 3. Satz')])).toEqual({
      title: 'Hammerklaviersonate: 3. Satz',
    });
  });

  it('reads labelled texts, and refuses a label whose value is not a name', () => {
    expect(
      creditsFromTexts([t(0, 'text', 'Composer: Erik Satie'), t(0, 'text', 'Title: Gymnopédie No. 1')]),
    ).toEqual({ composer: 'Erik Satie', title: 'Gymnopédie No. 1' });
    expect(creditsFromTexts([t(4, 'trackName', 'Composer: piece')]).composer).toBeUndefined();
  });

  it('finds nothing in generic names, lyrics after the first note, or an empty file', () => {
    expect(creditsFromTexts([t(0, 'trackName', 'Piano right'), t(1, 'trackName', 'Track 2')])).toEqual({});
    expect(creditsFromTexts([t(0, 'text', 'Silent Night', 960)], { beforeTicks: 0 })).toEqual({});
    expect(creditsFromTexts([])).toEqual({});
  });

  it('takes the composer off the front of the title', () => {
    expect(
      creditsFromTexts([t(0, 'trackName', 'Chopin Prelude  No. 1, Opus 28'), t(0, 'text', 'Frederic Chopin')])
        .title,
    ).toBe('Prelude No. 1, Opus 28');
    expect(
      creditsFromTexts([
        t(0, 'trackName', 'Clementi: Sonatine Opus 36 Nr. 1, 2. Satz'),
        t(0, 'text', 'Muzio Clementi'),
      ]).title,
    ).toBe('Sonatine Opus 36 Nr. 1, 2. Satz');
  });
});

describe('names', () => {
  it('folds accents and umlaut spellings', () => {
    expect(foldName('Krüger')).toBe(foldName('Krueger'));
    expect(foldName('Frédéric')).toBe('frederic');
  });

  it('sorts composers by surname', () => {
    expect(composerSortKey('Frederic Chopin')).toBe('Chopin, Frederic');
    expect(composerSortKey('Chopin')).toBe('Chopin');
  });
});
