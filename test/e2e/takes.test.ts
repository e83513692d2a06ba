/**
 * End-to-end: takes in Chromium. A piece is rendered and refined; switching A/B while it plays
 * carries on from the same bar (the position keeps moving, nothing stops), the inactive roll's
 * cursor follows the playing one; after a reload the piece comes back with both takes and its
 * waveform. Screenshots at 1440 and 900 px wide.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/node/paths';
import { encodeMidi } from '../../src/core/node/midi/write';
import { arpeggioSong } from './fixtures';
import { haveChromium, openStudio, type Studio } from './support/browser';

const shotsDir = path.join(projectRoot(), 'test-results', 'e2e-takes');

/** Seconds shown by the transport ("0:03.2"). */
function seconds(text: string | null): number {
  const m = /(\d+):(\d+(?:\.\d+)?)/.exec(text ?? '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

describe.skipIf(!haveChromium)('takes in Chromium: A/B while playing, and after a reload', () => {
  let studio: Studio;
  let stages: Record<string, boolean> = {};

  beforeAll(async () => {
    studio = await openStudio({ shotsDir });
    stages = (await studio.server.backend.handlers.app.info({})).stages;
  });
  afterAll(async () => {
    await studio?.close();
  });

  const position = async (): Promise<number> =>
    seconds(await studio.page.textContent('[data-testid=position]'));
  const cursors = async (): Promise<number[]> =>
    (await studio.page.$$eval('[data-testid=piano-roll-canvas]', (els) =>
      els.map((el) => Number(el.getAttribute('data-cursor-seconds'))),
    )) as number[];
  /** Waits until the transport has moved on by `by` seconds past `from`. */
  const movesOn = async (from: number, by: number): Promise<void> => {
    await studio.page.waitForFunction(
      ([f, b]) => {
        const m = /(\d+):(\d+(?:\.\d+)?)/.exec(
          document.querySelector('[data-testid=position]')?.textContent ?? '',
        );
        return m !== null && Number(m[1]) * 60 + Number(m[2]) >= f! + b!;
      },
      [from, by],
      { timeout: 15_000 },
    );
  };

  it('renders and refines a piece', async () => {
    if (!stages.synthesize || !stages.refine) return;
    const { page } = studio;
    await studio.go('synthesize');
    await page.setInputFiles('[data-testid=open-midi]', {
      name: 'arpeggio-study.mid',
      mimeType: 'audio/midi',
      buffer: Buffer.from(encodeMidi(arpeggioSong())),
    });
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=panel-synthesize]')?.textContent?.includes('arpeggio-study.mid'),
    );
    await page.click('[data-testid=render-start]');
    await page.waitForSelector('[data-testid=waveform][data-ready=true]', { timeout: 120_000 });
    await page.click('[data-testid=refine-start]');
    await page.waitForSelector('[data-testid=ab-b]:not([disabled]), [data-testid=error]', {
      timeout: 300_000,
    });
    expect(await page.locator('[data-testid=error]').allTextContents()).toEqual([]);
    await page.waitForSelector('[data-testid=waveform][data-ready=true]', { timeout: 60_000 });
  }, 420_000);

  it('switches A/B while playing without stopping: the position keeps moving and the other roll follows', async () => {
    if (!stages.synthesize || !stages.refine) return;
    const { page } = studio;
    await page.click('[data-testid=ab-a]');
    await page.click('[data-testid=play]');
    await movesOn(0, 1.5);
    for (const side of ['b', 'a', 'b'] as const) {
      const before = await position();
      await page.click(`[data-testid=ab-${side}]`);
      expect(await page.getAttribute(`[data-testid=ab-${side}]`, 'aria-checked')).toBe('true');
      // Carries on: the position moves on from where it was (the same bar of the other take, within a beat or so).
      await movesOn(before, 1);
      const after = await position();
      expect(after).toBeGreaterThan(before);
      expect(after - before).toBeLessThan(4);
      expect(await page.locator('[data-testid=error]').allTextContents()).toEqual([]);
      // Both rolls show a cursor near the transport's position.
      const [a, b] = await cursors();
      expect(a).toBeGreaterThan(0.5);
      expect(b).toBeGreaterThan(0.5);
      expect(Math.abs(a! - b!)).toBeLessThan(3);
    }
    await studio.shot('01-ab-playing-1440');
    await page.setViewportSize({ width: 900, height: 900 });
    await studio.shot('02-ab-playing-900');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.click('[data-testid=play]');
  }, 120_000);

  it('finds the piece, its raw and refined takes and the waveform again after a reload', async () => {
    if (!stages.synthesize || !stages.refine) return;
    const { page } = studio;
    await page.reload();
    await page.waitForSelector('[data-testid=panel-library]');
    await studio.go('synthesize');
    await page.waitForSelector('[data-testid=waveform][data-ready=true]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=panel-synthesize]')).toContain('arpeggio-study.mid');
    expect(await page.isDisabled('[data-testid=ab-b]')).toBe(false);
    expect(await page.locator('[data-testid=piano-roll-canvas]').count()).toBe(2);
    await page.click('[data-testid=ab-b]');
    await page.waitForSelector('[data-testid=waveform][data-ready=true]');
    await studio.shot('03-takes-after-reload');
    expect(studio.consoleErrors).toEqual([]);
  }, 120_000);
});
