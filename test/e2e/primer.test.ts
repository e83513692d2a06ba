/**
 * End-to-end: Generate primed from a MIDI file in Chromium. The file's opening primes the model and
 * the file is not added to the library (it used to be imported silently).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/node/paths';
import { encodeMidi } from '../../src/core/node/midi/write';
import { arpeggioSong } from './fixtures';
import { haveChromium, openStudio, type Studio } from './support/browser';

const shotsDir = path.join(projectRoot(), 'test-results', 'e2e-primer');

describe.skipIf(!haveChromium)('generate from a primer file in Chromium', () => {
  let studio: Studio;
  let stages: Record<string, boolean> = {};

  beforeAll(async () => {
    studio = await openStudio({ shotsDir });
    stages = (await studio.server.backend.handlers.app.info({})).stages;
  });
  afterAll(async () => {
    await studio?.close();
  });

  it('primes from the file and follows its tempo, without adding it to the library', async () => {
    if (!stages.generate) return;
    const { page } = studio;
    await studio.go('generate');
    await page.getByRole('radio', { name: 'MIDI file' }).click();
    await page.setInputFiles('[data-testid=primer-file] input', {
      name: 'arpeggio-study.mid',
      mimeType: 'audio/midi',
      buffer: Buffer.from(encodeMidi(arpeggioSong())),
    });
    expect(await page.textContent('[data-testid=primer-file]')).toContain('arpeggio-study.mid');
    // The tempo follows the primer's (84 BPM), not the default 100.
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=bpm]') as HTMLInputElement | null)?.value === '84',
    );
    await page.fill('[data-testid=length-seconds]', '5');
    // The CLI's top-p and max-repeat, here too.
    await page.fill('[data-testid=top-p]', '0.8');
    await page.fill('[data-testid=max-repeat]', '3');
    await studio.shot('01-generate-primer-file');
    await page.click('[data-testid=generate-start]');
    await page.waitForSelector('[data-testid=generated-item]', { timeout: 120_000 });
    expect(await page.locator('[data-testid=error]').allTextContents()).toEqual([]);
    const [job] = (await studio.server.backend.handlers.jobs.list({ limit: 5 })).jobs.filter(
      (j) => j.kind === 'generate',
    );
    expect(job!.params).toMatchObject({ topP: 0.8, maxRepeat: 3, bpm: 84 });
    expect((job!.params as { primerPath?: string }).primerPath).toBeDefined();
    expect(
      (
        await studio.server.backend.handlers.corpus.list({
          offset: 0,
          limit: 10,
          sort: 'title',
          descending: false,
        })
      ).total,
    ).toBe(0);
    expect(studio.consoleErrors).toEqual([]);
  }, 180_000);
});
