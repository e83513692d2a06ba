/**
 * End-to-end: playback in Chromium. A library piece and a generated piece play with the SoundFont
 * sound (the transport's audio element plays the backend's rendered preview, its time advances and
 * the roll's cursor follows); a second play is instant; the seek bar, the volume (kept after a
 * reload), the loop (button and Shift+drag on the ruler, wrapping the audio), the tempo at the
 * cursor and the estimated key work; when the backend cannot render, the simple voice plays and
 * the transport says why. Screenshots at 1440 and 900 px wide.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/node/paths';
import { encodeMidi } from '../../src/core/node/midi/write';
import { TEST_SOUNDFONT } from '../../src/core/node/render/testFixtures';
import { arpeggioSong } from './fixtures';
import { haveChromium, openStudio, type Studio } from './support/browser';

const shotsDir = path.join(projectRoot(), 'test-results', 'e2e-playback');

describe.skipIf(!haveChromium)('playback: the SoundFont sound, seek, volume, loop, tempo and key', () => {
  let studio: Studio;
  let input: string;
  let stages: Record<string, boolean> = {};

  /** The shared audio element's src, time and volume, and the roll's cursor. */
  const media = async () =>
    studio.page.evaluate(() => {
      const audio = document.querySelector('[data-testid=transport-audio]') as HTMLAudioElement;
      const roll = document.querySelector('[data-testid=piano-roll-canvas]') as HTMLElement | null;
      return {
        src: decodeURIComponent(audio.src),
        currentTime: audio.currentTime,
        paused: audio.paused,
        volume: audio.volume,
        cursor: Number(roll?.dataset.cursorSeconds ?? 'NaN'),
      };
    });

  /** Waits until the audio element plays a preview past `seconds`. */
  const playsPreviewPast = (seconds: number) =>
    studio.page.waitForFunction(
      (s) => {
        const audio = document.querySelector('[data-testid=transport-audio]') as HTMLAudioElement;
        return (
          /[\\/]previews[\\/]/.test(decodeURIComponent(audio.src)) && !audio.paused && audio.currentTime > s
        );
      },
      seconds,
      { timeout: 90_000 },
    );

  beforeAll(async () => {
    input = mkdtempSync(path.join(tmpdir(), 'cadenza-e2e-playback-'));
    writeFileSync(path.join(input, 'arpeggio-study.mid'), encodeMidi(arpeggioSong()));
    studio = await openStudio({ shotsDir });
    stages = (await studio.server.backend.handlers.app.info({})).stages;
    // The small bundled SoundFont loads in a fraction of a second on a busy machine.
    await studio.server.backend.settings.update({ soundFont: TEST_SOUNDFONT });
  });
  afterAll(async () => {
    await studio?.close();
    if (input) rmSync(input, { recursive: true, force: true });
  });

  it('plays a library piece with the SoundFont, the roll cursor following, and shows its tempo and key', async () => {
    const { page } = studio;
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Import files…' }).click(),
    ]);
    await chooser.setFiles(path.join(input, 'arpeggio-study.mid'));
    await page.waitForSelector('[data-testid=piece-row]', { timeout: 60_000 });
    await page.click('[data-testid=piece-row]');
    await page.waitForSelector('[data-testid=key]');
    expect(await page.textContent('[data-testid=tempo]')).toBe('♩ = 84');
    expect(await page.textContent('[data-testid=key]')).toBe('A minor');
    await page.click('[data-testid=play]');
    await playsPreviewPast(1);
    const playing = await media();
    expect(playing.src).toMatch(/previews[\\/][0-9a-f]{32}-[0-9a-f]{12}-44100\.wav/);
    await page.waitForFunction(
      () =>
        Number(
          (document.querySelector('[data-testid=piano-roll-canvas]') as HTMLElement).dataset.cursorSeconds,
        ) > 1,
    );
    const later = await media();
    expect(later.currentTime).toBeGreaterThan(playing.currentTime);
    expect(Math.abs(later.cursor - later.currentTime)).toBeLessThan(0.5);
    expect(await page.locator('[data-testid=player-error]').count()).toBe(0);
    await studio.shot('01-library-playing-1440');
    await page.setViewportSize({ width: 900, height: 900 });
    await studio.shot('02-library-playing-900');
    await page.setViewportSize({ width: 1440, height: 900 });
    // Another screen's waveform shares the element: opening it does not stop the piece.
    await studio.go('synthesize');
    const before = (await media()).currentTime;
    await page.waitForTimeout(1500);
    const after = await media();
    expect(after.paused).toBe(false);
    expect(after.currentTime).toBeGreaterThan(before + 0.5);
    await studio.go('library');
    await page.click('[data-testid=play]');
    // A second play of the same piece starts at once from the kept preview (reloading the page keeps it too).
    await page.reload();
    await page.waitForSelector('[data-testid=piece-row]');
    await page.click('[data-testid=piece-row]');
    const started = Date.now();
    await page.click('[data-testid=play]');
    await playsPreviewPast(0.2);
    expect(Date.now() - started).toBeLessThan(5_000);
    await page.click('[data-testid=play]');
  }, 180_000);

  it('seeks with the seek bar by keyboard, keeps the volume after a reload, and loops a region the audio wraps in', async () => {
    const { page } = studio;
    const seek = page.locator('[data-testid=seek]');
    await seek.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.textContent('[data-testid=position]')).toMatch(/^0:02/);
    expect((await media()).currentTime).toBeCloseTo(2, 1);
    await page.locator('[data-testid=volume]').fill('0.3');
    expect((await media()).volume).toBeCloseTo(0.3, 2);

    // Shift+drag on the ruler from about 4 s to 6 s of the 22.9 s piece (the roll shows the whole piece).
    const box = (await page.locator('[data-testid=piano-roll-canvas]').boundingBox())!;
    const keyWidth = 52;
    const xAt = (seconds: number) => box.x + keyWidth + ((box.width - keyWidth) * seconds) / 22.86;
    await page.keyboard.down('Shift');
    await page.mouse.move(xAt(4), box.y + 12);
    await page.mouse.down();
    await page.mouse.move(xAt(5), box.y + 12, { steps: 4 });
    await page.mouse.move(xAt(6), box.y + 12, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await page.waitForSelector('[data-testid=roll-loop]');
    expect(await page.getAttribute('[data-testid=loop]', 'aria-pressed')).toBe('true');
    const start = Number(await page.getAttribute('[data-testid=loop-start]', 'aria-valuenow'));
    const end = Number(await page.getAttribute('[data-testid=loop-end]', 'aria-valuenow'));
    expect(start).toBeGreaterThan(3.5);
    expect(end).toBeLessThan(6.5);
    expect(end - start).toBeGreaterThan(1.5);
    await page.click('[data-testid=play]');
    // Play starts where the cursor is (2 s), then the audio wraps from the loop's end to its start.
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) {
      seen.push((await media()).currentTime);
      await page.waitForTimeout(150);
    }
    const wrapped = seen.some((t, i) => i > 0 && t < seen[i - 1]! - 1);
    expect(wrapped).toBe(true);
    expect(Math.max(...seen)).toBeLessThan(end + 0.4);
    await studio.shot('03-library-loop-1440');
    await page.setViewportSize({ width: 900, height: 900 });
    await studio.shot('04-library-loop-900');
    await page.setViewportSize({ width: 1440, height: 900 });
    // The loop button stops looping.
    await page.click('[data-testid=loop]');
    await page.waitForSelector('[data-testid=roll-loop]', { state: 'detached' });
    await page.click('[data-testid=play]');

    await page.reload();
    await page.waitForSelector('[data-testid=piece-row]');
    expect(await page.inputValue('[data-testid=volume]')).toBe('0.3');
    expect((await media()).volume).toBeCloseTo(0.3, 2);
    await page.click('[data-testid=piece-row]');
    await page.waitForSelector('[data-testid=key]');
    expect((await media()).volume).toBeCloseTo(0.3, 2);
    expect(studio.consoleErrors).toEqual([]);
  }, 180_000);

  it('plays a generated piece with the SoundFont too', async () => {
    if (!stages.generate) return;
    const { page } = studio;
    await studio.go('generate');
    await page.fill('[data-testid=length-seconds]', '6');
    await page.click('[data-testid=generate-start]');
    await page.waitForSelector('[data-testid=generated-item]', { timeout: 150_000 });
    await page.click('[data-testid=generated-item]');
    await page.waitForSelector('[data-testid=tempo]');
    // With the bundled SoundFont (40 MB to load) the first play shows that it is being prepared.
    await studio.server.backend.settings.update({ soundFont: null });
    await page.click('[data-testid=play]');
    await page.waitForSelector('[data-testid=preparing]');
    expect(await page.textContent('[data-testid=preparing]')).toBe('Preparing piano sound…');
    await studio.shot('05a-generate-preparing');
    await playsPreviewPast(0.5);
    expect(await page.locator('[data-testid=preparing]').count()).toBe(0);
    await page.waitForFunction(
      () =>
        Number(
          (document.querySelector('[data-testid=piano-roll-canvas]') as HTMLElement).dataset.cursorSeconds,
        ) > 0.5,
    );
    expect((await media()).src).toContain('previews');
    await studio.shot('05-generate-playing-1440');
    await page.setViewportSize({ width: 900, height: 900 });
    await studio.shot('06-generate-playing-900');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.click('[data-testid=play]');
    await studio.server.backend.settings.update({ soundFont: TEST_SOUNDFONT });
  }, 240_000);

  it('plays the simple voice and says why when the backend cannot render', async () => {
    const { page } = studio;
    // A file that is not a SoundFont: the backend refuses to render with it.
    const notSoundFont = path.join(input, 'not-a-soundfont.sf2');
    writeFileSync(notSoundFont, 'not a SoundFont');
    await studio.server.backend.settings.update({ soundFont: notSoundFont });
    await studio.go('library');
    await page.click('[data-testid=piece-row]');
    await page.click('[data-testid=play]');
    await page.waitForSelector('[data-testid=player-error]');
    expect(await page.textContent('[data-testid=player-error]')).toBe(
      'The SoundFont in Settings cannot be used, so the simple preview voice plays instead.',
    );
    expect(await page.getAttribute('[data-testid=player-error]', 'title')).toContain('not-a-soundfont.sf2');
    await page.waitForFunction(() =>
      /^0:0[1-9]/.test(document.querySelector('[data-testid=position]')?.textContent ?? ''),
    );
    expect((await media()).paused).toBe(true);
    await studio.shot('07-library-fallback-voice');
    await page.click('[data-testid=play]');
    await studio.server.backend.settings.update({ soundFont: TEST_SOUNDFONT });
  }, 120_000);

  it('falls back to the simple voice when the rendered preview cannot be loaded', async () => {
    const { page } = studio;
    await page.route(/previews/, (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.reload();
    await page.waitForSelector('[data-testid=piece-row]');
    await page.click('[data-testid=piece-row]');
    await page.waitForSelector('[data-testid=key]');
    await page.click('[data-testid=play]');
    await page.waitForSelector('[data-testid=player-error]');
    expect(await page.textContent('[data-testid=player-error]')).toBe(
      'The piano sound could not be loaded, so the simple preview voice plays instead.',
    );
    await page.waitForFunction(() =>
      /^0:0[1-9]/.test(document.querySelector('[data-testid=position]')?.textContent ?? ''),
    );
    await page.click('[data-testid=play]');
    await page.unroute(/previews/);
  }, 60_000);
});
