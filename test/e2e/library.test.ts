/**
 * End-to-end: the library knows its pieces. A folder named Mozart is imported through the Import
 * folder button (the page's own folder picker, uploading each file with its folder); the list then
 * shows the composers and titles the files' meta events give, the folder's name where a file says
 * nothing, and the file name for the title last. Search and sort use those names, and the user
 * edits a title and composer, which a reload keeps. Screenshots at 1440 and 900 px wide.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/node/paths';
import { sharedCorpusOrSkip } from '../../src/core/node/testing/sharedCorpus';
import { encodeMidi } from '../../src/core/node/midi/write';
import { ev, smfFile, track } from '../../src/core/common/midi/smfBuilder';
import { choraleSong } from './fixtures';
import { haveChromium, openStudio, type Studio } from './support/browser';

const shotsDir = path.join(projectRoot(), 'test-results', 'e2e-library');

/** A MIDI file whose meta events name it as piano-midi.de's files do: composer as text, sequencer in the copyright. */
function creditedMidi(): Uint8Array {
  const text = (type: number, value: string): number[] => ev.meta(0, type, [...Buffer.from(value, 'utf8')]);
  const notes = [60, 64, 67, 72].flatMap((pitch) => [ev.on(0, 0, pitch, 80), ev.off(240, 0, pitch)]);
  return smfFile(1, 480, [
    track([
      ev.name(0, 'Sonate KV 545 1. Satz'),
      text(0x02, 'Copyright © 2006 by Bernd Krueger'),
      text(0x01, 'Bernd Krueger'),
      text(0x01, 'Wolfgang Amadeus Mozart'),
      text(0x01, 'Allegro'),
    ]),
    track([ev.name(0, 'Piano right'), ...notes]),
  ]);
}

describe.skipIf(!haveChromium)('the library in Chromium: composers and titles', () => {
  let studio: Studio;
  let input: string;
  const corpus = sharedCorpusOrSkip();

  beforeAll(async () => {
    rmSync(shotsDir, { recursive: true, force: true });
    input = mkdtempSync(path.join(tmpdir(), 'cadenza-e2e-folder-'));
    const mozart = path.join(input, 'Mozart');
    mkdirSync(mozart);
    writeFileSync(path.join(mozart, 'mz_545_1.mid'), creditedMidi());
    // A file that says nothing about itself: its folder names the composer, its file name the title.
    writeFileSync(
      path.join(mozart, 'minuet_in_g.mid'),
      encodeMidi({
        ...choraleSong(),
        name: undefined,
        tracks: [{ name: '', program: 0, channel: 0, isDrum: false }],
      }),
    );
    // A real piece from the shared corpus, whose sequence name is mislabelled (No. 5) but whose other texts say No. 1.
    const etude = corpus ? path.join(corpus, 'Chopin', 'chpn_op10_e01.mid') : null;
    if (etude && existsSync(etude)) copyFileSync(etude, path.join(mozart, 'chpn_op10_e01.mid'));
    studio = await openStudio({ shotsDir });
  });

  afterAll(async () => {
    await studio?.close();
    if (input) rmSync(input, { recursive: true, force: true });
  });

  const rows = async (): Promise<Array<{ title: string; composer: string }>> =>
    studio.page.$$eval('[data-testid=piece-row]', (els) =>
      els.map((el) => ({
        title: el.querySelector('.title')?.textContent?.trim() ?? '',
        composer: el.querySelector('.composer')?.textContent?.trim() ?? '',
      })),
    );

  it('imports a folder named Mozart by the Import folder button and shows who wrote what', async () => {
    const { page } = studio;
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Import folder…' }).click(),
    ]);
    await chooser.setFiles(path.join(input, 'Mozart'));
    await page.waitForSelector('[data-testid=import-summary]', { timeout: 60_000 });
    const listed = await rows();
    expect(listed).toContainEqual({ title: 'Sonate KV 545 1. Satz', composer: 'Wolfgang Amadeus Mozart' });
    expect(listed).toContainEqual({ title: 'Minuet in g', composer: 'Mozart' });
    if (corpus) expect(listed).toContainEqual({ title: 'Etude Op. 10, No. 1', composer: 'Frederic Chopin' });
    expect(listed.map((r) => r.composer)).not.toContain('Uploads');
    await studio.shot('01-library-1440');
    await page.setViewportSize({ width: 900, height: 900 });
    await studio.shot('02-library-900');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('searches and sorts by those names', async () => {
    const { page } = studio;
    const search = page.getByRole('searchbox', { name: 'Search the library' });
    await search.fill('wolfgang sonate');
    expect(await rows()).toEqual([{ title: 'Sonate KV 545 1. Satz', composer: 'Wolfgang Amadeus Mozart' }]);
    if (corpus) {
      await search.fill('etude chopin');
      expect((await rows()).map((r) => r.title)).toEqual(['Etude Op. 10, No. 1']);
    }
    await search.fill('');
    await page.click('.row.head .col.composer');
    // By surname: Chopin before Mozart; "Mozart" and "Wolfgang Amadeus Mozart" side by side.
    const composers = (await rows()).map((r) => r.composer);
    expect(composers).toEqual([...(corpus ? ['Frederic Chopin'] : []), 'Mozart', 'Wolfgang Amadeus Mozart']);
  });

  it('lets the user change a title and composer, and keeps them after a reload', async () => {
    const { page } = studio;
    await page.locator('[data-testid=piece-row]', { hasText: 'Minuet in g' }).click();
    await page.click('[data-testid=edit-piece]');
    await page.fill('[data-testid=edit-title]', 'Minuet in G major, K. 1');
    await page.fill('[data-testid=edit-composer]', 'Wolfgang Amadeus Mozart');
    await studio.shot('03-library-edit');
    await page.click('[data-testid=edit-save]');
    await page.waitForSelector('[data-testid=edit-names]', { state: 'detached' });
    expect(await page.textContent('[data-testid=open-title]')).toBe('Minuet in G major, K. 1');
    expect(await rows()).toContainEqual({
      title: 'Minuet in G major, K. 1',
      composer: 'Wolfgang Amadeus Mozart',
    });
    // An empty title is refused in words, and nothing changes.
    await page.click('[data-testid=edit-piece]');
    await page.fill('[data-testid=edit-title]', '   ');
    await page.click('[data-testid=edit-save]');
    await page.waitForSelector('[data-testid=error]');
    expect(await page.textContent('[data-testid=error]')).toContain('A title cannot be empty.');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.reload();
    await page.waitForSelector('[data-testid=piece-row]');
    expect(await rows()).toContainEqual({
      title: 'Minuet in G major, K. 1',
      composer: 'Wolfgang Amadeus Mozart',
    });
    await studio.shot('04-library-renamed');
    expect(studio.consoleErrors).toEqual([]);
  });

  it('deletes a piece after asking, and only that piece', async () => {
    const { page } = studio;
    const before = await rows();
    await page.locator('[data-testid=piece-row]', { hasText: 'Minuet in G major, K. 1' }).click();
    await page.click('[data-testid=delete-piece]');
    await page.waitForSelector('[data-testid=confirm-delete]');
    await studio.shot('05-library-delete-confirm');
    // "Keep it" keeps it.
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await rows()).toEqual(before);
    await page.click('[data-testid=delete-piece]');
    await page.click('[data-testid=confirm-delete-yes]');
    await page.waitForSelector('[data-testid=confirm-delete]', { state: 'detached' });
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=piece-row]').length === n,
      before.length - 1,
    );
    const after = await rows();
    expect(after).toHaveLength(before.length - 1);
    expect(after.map((r) => r.title)).not.toContain('Minuet in G major, K. 1');
    await page.reload();
    await page.waitForSelector('[data-testid=piece-row]');
    expect((await rows()).map((r) => r.title)).not.toContain('Minuet in G major, K. 1');
    expect(studio.consoleErrors).toEqual([]);
  });
});
