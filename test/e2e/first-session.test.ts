/**
 * End-to-end, issue 18's "done when": a musician's first session in Chromium against `cadenza
 * serve`. A folder of 30 pieces comes in by the Import folder button and the library shows who
 * wrote what (the files' meta events; the folder's name only where a file says nothing); a piece
 * is deleted; tiny trains on the 30 pieces in under a minute; two takes are generated, one marked
 * a favourite and renamed, the two compared; one is rendered and refined and A/B switches while it
 * plays without stopping; a take is deleted after a confirm; a reload finds the takes again.
 * Screenshots of every screen at 1440 and 900 px wide go to test-results/e2e-first-session, named
 * by screen and width.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/node/paths';
import { sharedCorpusOrSkip } from '../../src/core/node/testing/sharedCorpus';
import { haveChromium, openStudio, type Studio } from './support/browser';
import { fixtureSong, writeFixturePieces } from './support/pieces';
import { encodeMidi } from '../../src/core/node/midi/write';

const shotsDir = path.join(projectRoot(), 'test-results', 'e2e-first-session');
const FOLDER = 'Piano pieces';
/** Without the shared corpus the pieces are fixtures that name no composer: their folder does. */
const FIXTURE_COMPOSER = 'Clara Schumann';

/** Seconds shown by the transport ("0:03.2"). */
function seconds(text: string | null): number {
  const m = /(\d+):(\d+(?:\.\d+)?)/.exec(text ?? '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

/** 30 pieces of the shared corpus by different composers, the files as they are (no composer folders). */
function corpusPieces(corpus: string, into: string): void {
  const rows = readFileSync(path.join(corpus, 'metadata.csv'), 'utf8').trim().split('\n').slice(1);
  const byComposer = new Map<string, string[]>();
  for (const row of rows) {
    const [composer, , , midi] = row.split(',');
    if (composer && midi) byComposer.set(composer, [...(byComposer.get(composer) ?? []), midi]);
  }
  // Round robin over the composers, so the list has many names; the Chopin etude is the named check.
  const chosen = ['Chopin/chpn_op10_e01.mid'];
  for (let round = 0; chosen.length < 30; round++)
    for (const files of byComposer.values())
      if (files[round] && chosen.length < 30 && !chosen.includes(files[round]!)) chosen.push(files[round]!);
  for (const rel of chosen) copyFileSync(path.join(corpus, rel), path.join(into, path.basename(rel)));
}

describe.skipIf(!haveChromium)('a first session in Chromium (issue 18, done when)', () => {
  let studio: Studio;
  let input: string;
  let stages: Record<string, boolean> = {};
  const corpus = sharedCorpusOrSkip();

  beforeAll(async () => {
    rmSync(shotsDir, { recursive: true, force: true });
    input = mkdtempSync(path.join(tmpdir(), 'cadenza-e2e-session-'));
    if (corpus) {
      mkdirSync(path.join(input, FOLDER));
      corpusPieces(corpus, path.join(input, FOLDER));
    } else writeFixturePieces(path.join(input, FIXTURE_COMPOSER), 30);
    studio = await openStudio({ shotsDir });
    stages = (await studio.server.backend.handlers.app.info({})).stages;
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
  const noErrors = async (): Promise<void> => {
    expect(await studio.page.locator('[data-testid=error]').allTextContents()).toEqual([]);
  };

  it('imports a folder by the Import button and shows real composers and titles', async () => {
    if (!stages.import) return;
    const { page } = studio;
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Import folder…' }).click(),
    ]);
    await chooser.setFiles(path.join(input, corpus ? FOLDER : FIXTURE_COMPOSER));
    await page.waitForSelector('[data-testid=import-summary]', { timeout: 120_000 });
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=piece-row]').length >= 30,
      undefined,
      { timeout: 30_000 },
    );
    const listed = await rows();
    expect(listed).toHaveLength(30);
    const composers = new Set(listed.map((r) => r.composer));
    expect(composers.has('Uploads')).toBe(false);
    if (corpus) {
      // The files name their composers (meta events): the folder they came in says nothing about them.
      expect(composers.has(FOLDER)).toBe(false);
      expect(composers.size).toBeGreaterThanOrEqual(10);
      expect(listed).toContainEqual({ title: 'Etude Op. 10, No. 1', composer: 'Frederic Chopin' });
      // Titles from the files, not file names like "Chpn op10 e01".
      expect(listed.some((r) => /^[A-Z][a-z]+ [a-z]+\d/.test(r.title) && /op\d|_/.test(r.title))).toBe(false);
    } else {
      expect([...composers]).toEqual([FIXTURE_COMPOSER]);
      expect(listed.every((r) => /^Fixture \d+$/.test(r.title))).toBe(true);
    }
    // No two rows are the same title truncated alike: every title is distinct.
    expect(new Set(listed.map((r) => r.title)).size).toBe(listed.length);
    await noErrors();
  }, 180_000);

  it('plays a library piece through the SoundFont (a preview the backend renders), the cursor moving', async () => {
    const { page } = studio;
    // The longest piece: a long one starts on its quickly rendered head, then the whole takes over.
    const lengths = await page.locator('[data-testid=piece-row]').evaluateAll((rows) =>
      rows.map((r) => {
        const m = /(\d+):(\d\d)/.exec(r.textContent ?? '');
        return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
      }),
    );
    const longest = lengths.indexOf(Math.max(...lengths));
    await page.locator('[data-testid=piece-row]').nth(longest).click();
    const started = Date.now();
    await page.click('[data-testid=play]');
    const audio = () =>
      page.evaluate(() => {
        const a = document.querySelector('[data-testid=transport-audio]') as HTMLAudioElement;
        return { src: decodeURIComponent(a.src), paused: a.paused, currentTime: a.currentTime };
      });
    // The transport's audio element plays the kept preview WAV, not the page's simple voice.
    await page.waitForFunction(
      () => {
        const a = document.querySelector('[data-testid=transport-audio]') as HTMLAudioElement;
        return /[\\/]previews[\\/]/.test(decodeURIComponent(a.src)) && !a.paused && a.currentTime > 0.5;
      },
      undefined,
      { timeout: 120_000 },
    );
    if (lengths[longest]! > 90) {
      // Playing starts on the head within seconds, however long the piece.
      expect((await audio()).src).toMatch(/-head60\.wav(&|$)/);
      expect(Date.now() - started).toBeLessThan(30_000);
      await page.waitForFunction(
        () => {
          const a = document.querySelector('[data-testid=transport-audio]') as HTMLAudioElement;
          return /[\\/]previews[\\/][^\\/&]+-44100\.wav(&|$)/.test(decodeURIComponent(a.src)) && !a.paused && a.currentTime > 1;
        },
        undefined,
        { timeout: 150_000 },
      );
      const whole = await audio();
      // The whole took over where the head had got to, not from the start.
      expect(whole.currentTime).toBeGreaterThan(1);
    }
    expect(await page.locator('[data-testid=player-error]').count()).toBe(0);
    await page.click('[data-testid=play]');
    await noErrors();
  }, 300_000);

  it('deletes a piece after a confirm, and only that piece', async () => {
    if (!stages.import) return;
    const { page } = studio;
    // An extra piece, so that 30 stay for training.
    const extra = path.join(input, 'extra');
    mkdirSync(extra);
    writeFileSync(path.join(extra, 'to-delete.mid'), encodeMidi(fixtureSong(999, 4)));
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Import folder…' }).click(),
    ]);
    await chooser.setFiles(extra);
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=piece-row]').length === 31,
      undefined,
      { timeout: 60_000 },
    );
    await page.locator('[data-testid=piece-row]', { hasText: 'Fixture 999' }).click();
    await page.click('[data-testid=delete-piece]');
    await page.click('[data-testid=confirm-delete-yes]');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=piece-row]').length === 30,
      undefined,
      { timeout: 30_000 },
    );
    expect((await rows()).map((r) => r.title)).not.toContain('Fixture 999');
    await noErrors();
  }, 120_000);

  it('trains tiny on the 30 pieces in under a minute', async () => {
    if (!stages.train || !stages.preprocess) return;
    const { page } = studio;
    await studio.go('train');
    await page.click('[data-testid=prepare]');
    await page.waitForFunction(
      () => /30 pieces/.test(document.querySelector('[data-testid=data-info]')?.textContent ?? ''),
      undefined,
      { timeout: 180_000 },
    );
    await page.click('[data-testid=preset-tiny]');
    const started = Date.now();
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=job-progress]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=job-progress]', { state: 'detached', timeout: 120_000 });
    const wallSeconds = (Date.now() - started) / 1000;
    console.log(`[cadenza e2e] tiny on 30 pieces: ${wallSeconds.toFixed(1)} s`);
    expect(wallSeconds).toBeLessThan(60);
    await noErrors();
    const runs = await studio.server.backend.handlers.train.runs({});
    expect(runs.runs[0]).toMatchObject({ preset: 'tiny', state: 'finished' });
  }, 360_000);

  it('generates two takes that say how they were made; a star marks a favourite, a name sticks, two compare side by side', async () => {
    if (!stages.generate) return;
    const { page } = studio;
    await studio.go('generate');
    // The bundled composer: tiny, trained for seconds, may compose little worth hearing.
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=generate-model] option[value=bundled]'),
    );
    await page.selectOption('[data-testid=generate-model]', 'bundled');
    await page.fill('[data-testid=length-seconds]', '8');
    await page.getByRole('spinbutton', { name: 'Pieces' }).fill('2');
    await page.getByRole('spinbutton', { name: 'Seed' }).fill('11');
    await page.click('[data-testid=generate-start]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=take]').length >= 2, undefined, {
      timeout: 180_000,
    });
    await noErrors();
    // Each take says what made it: the model by name, its own seed, the sampling, the primer.
    const origins = await page.locator('[data-testid=take-origin]').allTextContents();
    for (const origin of origins)
      expect(origin).toMatch(/^Bundled model · seed \d+ · temperature 0\.90 · .*no primer$/);
    expect(origins.some((o) => o.includes('seed 11 '))).toBe(true);

    const first = page.locator('[data-testid=take]').first();
    await first.locator('[data-testid=take-favourite]').click();
    await page.waitForSelector('[data-testid=take-favourite][aria-pressed=true]');
    await first.locator('[data-testid=take-rename]').click();
    await page.fill('[data-testid=take-name-input]', 'Morning take');
    await page.click('[data-testid=take-name-save]');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=take-name]')].some((e) => e.textContent === 'Morning take'),
    );
    await page.click('[data-testid=favourites-only]');
    expect(await page.locator('[data-testid=take-name]').allTextContents()).toEqual(['Morning take']);
    await page.getByRole('radio', { name: 'All' }).click();

    for (const pick of await page.locator('[data-testid=take-pick]').all()) await pick.check();
    await page.click('[data-testid=compare-takes]');
    await page.waitForSelector('[data-testid=panel-synthesize]');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=piano-roll-canvas]').length === 2,
    );
    expect(await page.textContent('[data-testid=ab-a]')).toContain('Morning take');
    // The transport holds A, as the switch says.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.label')].some((e) => e.textContent === 'A · Morning take'),
    );
    await studio.shot('synthesize-compare-1440');
    expect(await page.isDisabled('[data-testid=ab-b]')).toBe(false);
    await noErrors();
  }, 300_000);

  it('renders and refines a take, and A/B switches while it plays: the position keeps moving', async () => {
    if (!stages.generate || !stages.synthesize || !stages.refine) return;
    const { page } = studio;
    await studio.go('generate');
    await page.locator('[data-testid=generated-item]', { hasText: 'Morning take' }).click();
    await page.click('[data-testid=render-and-refine]');
    await page.waitForSelector('[data-testid=ab-b]:not([disabled]), [data-testid=error]', {
      timeout: 360_000,
    });
    await noErrors();
    await page.waitForSelector('[data-testid=waveform][data-ready=true]', { timeout: 60_000 });
    await page.click('[data-testid=ab-a]');
    const playing = async (): Promise<boolean> =>
      (await page.getAttribute('[data-testid=play]', 'aria-label')) === 'Pause';
    if (!(await playing())) await page.click('[data-testid=play]');
    const movesOn = (from: number, by: number): Promise<unknown> =>
      page.waitForFunction(
        ([f, b]) => {
          const m = /(\d+):(\d+(?:\.\d+)?)/.exec(
            document.querySelector('[data-testid=position]')?.textContent ?? '',
          );
          return m !== null && Number(m[1]) * 60 + Number(m[2]) >= f! + b!;
        },
        [from, by],
        { timeout: 15_000 },
      );
    await movesOn(0, 0.5);
    for (const side of ['b', 'a'] as const) {
      const before = seconds(await page.textContent('[data-testid=position]'));
      await page.click(`[data-testid=ab-${side}]`);
      await movesOn(before, 0.8);
      expect(await playing()).toBe(true);
    }
    await page.click('[data-testid=play]');
    await noErrors();
  }, 480_000);

  it('deletes a take after a confirm that names what goes', async () => {
    if (!stages.generate) return;
    const { page } = studio;
    await studio.go('generate');
    const other = page
      .locator('[data-testid=take]')
      .filter({ hasNot: page.getByText('Morning take', { exact: true }) })
      .first();
    const file = (await studio.server.backend.handlers.takes.list({})).takes.find(
      (t) => t.name !== 'Morning take',
    )!.midi.path;
    await other.locator('[data-testid=take-delete]').click();
    expect(await page.textContent('[data-testid=confirm-delete-take]')).toContain('Its MIDI file');
    await studio.shot('generate-delete-confirm-1440');
    await page.click('[data-testid=confirm-delete-take-yes]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=take]').length === 1);
    expect(existsSync(file)).toBe(false);
    await noErrors();
  });

  it('reloads and finds its takes', async () => {
    if (!stages.generate) return;
    const { page } = studio;
    await page.reload();
    await page.waitForSelector('[data-testid=panel-library]');
    await studio.go('generate');
    await page.waitForSelector('[data-testid=take]');
    expect(await page.locator('[data-testid=take-name]').allTextContents()).toEqual(['Morning take']);
    expect(await page.getAttribute('[data-testid=take-favourite]', 'aria-pressed')).toBe('true');
    if (stages.synthesize && stages.refine) {
      expect(await page.textContent('[data-testid=take]')).toContain('rendered');
      expect(await page.textContent('[data-testid=take]')).toContain('refined');
      await studio.go('synthesize');
      await page.waitForSelector('[data-testid=waveform][data-ready=true]', { timeout: 30_000 });
      expect(await page.isDisabled('[data-testid=ab-b]')).toBe(false);
      // Export names the take's files by the name it was given.
      await studio.go('export');
      await page.waitForFunction(
        () => !document.querySelector('[data-testid=export-list]')?.textContent?.includes('Loading'),
      );
      const listed = await page.textContent('[data-testid=export-list]');
      for (const name of ['Morning take.mid', 'Morning take (raw).wav', 'Morning take (refined).wav'])
        expect(listed).toContain(name);
    }
    await noErrors();
  }, 120_000);

  it('evaluates a take and its refined take side by side against the corpus', async () => {
    if (!stages.generate || !stages.refine || !stages.evaluate) return;
    const { page } = studio;
    await studio.go('evaluate');
    await page.waitForSelector('[data-testid=eval-refined]');
    await page.locator('[data-testid=eval-raw]').first().check();
    await page.locator('[data-testid=eval-refined]').first().check();
    expect(await page.textContent('[data-testid=evaluate-start]')).toContain('Evaluate 2 pieces');
    await page.click('[data-testid=evaluate-start]');
    await page.waitForSelector('[data-testid=eval-role], [data-testid=error]', { timeout: 180_000 });
    await noErrors();
    // Both sets are measured; the switch shows the refined take's figures against the corpus.
    expect(await page.locator('[data-testid=eval-role] button').allTextContents()).toEqual(['Generated pieces', 'Refined takes']);
    await page.getByRole('radio', { name: 'Refined takes' }).click();
    expect(await page.getAttribute('[data-testid=eval-role] button:nth-child(2)', 'aria-checked')).toBe('true');
    expect(await page.locator('[data-testid=eval-figures] .tile').count()).toBeGreaterThan(0);
  }, 240_000);

  it('takes a screenshot of every screen at 1440 and 900 px wide', async () => {
    const { page } = studio;
    for (const width of [1440, 900]) {
      await page.setViewportSize({ width, height: 900 });
      for (const stage of ['library', 'train', 'generate', 'synthesize', 'evaluate', 'export', 'settings']) {
        await studio.go(stage);
        if (stage === 'library' && (await page.locator('[data-testid=piece-row]').count()) > 0) {
          await page.locator('[data-testid=piece-row]').first().click();
          await page.waitForFunction(
            () =>
              Number(
                document.querySelector('[data-testid=piano-roll-canvas]')?.getAttribute('data-drawn-notes'),
              ) > 0,
          );
        }
        if (stage === 'export')
          await page.waitForFunction(
            () => !document.querySelector('[data-testid=export-list]')?.textContent?.includes('Loading'),
          );
        await studio.shot(`${stage}-${width}`);
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(studio.consoleErrors).toEqual([]);
  }, 120_000);
});
