import { describe, expect, it } from 'vitest';
import type { Note } from '../../../../core/common/song/song';
import { drawNotes, type RollPalette } from './draw';
import { NoteIndex } from './noteIndex';
import { KeyTransform, TickTransform } from './transforms';

/** A canvas context that records the bars it is asked to fill. */
function recordingContext() {
  const rects: Array<{ x: number; y: number; w: number; h: number; fill: string }> = [];
  const ctx = {
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    fillRect(x: number, y: number, w: number, h: number) {
      rects.push({ x, y, w, h, fill: ctx.fillStyle });
    },
    roundRect(x: number, y: number, w: number, h: number) {
      rects.push({ x, y, w, h, fill: ctx.fillStyle });
    },
    beginPath() {},
    fill() {},
    strokeRect() {},
  };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, rects };
}

const palette = { dark: false, highlight: '#000' } as RollPalette;
const note = (pitch: number, startTicks: number, endTicks: number, velocity = 64): Note => ({ pitch, velocity, startTicks, endTicks, track: 0, channel: 0 });
const area = { x: 50, y: 20, width: 1000, height: 400 };

describe('drawNotes', () => {
  const notes = [note(60, 0, 480), note(60, 480, 960), note(64, 0, 960, 120), note(60, 100_000, 100_480)];
  const index = new NoteIndex(notes);
  const keys = new KeyTransform(10, (127 - 70) * 10);

  it('draws each visible note as its own bar at a detailed zoom, in place', () => {
    const { ctx, rects } = recordingContext();
    const visible = drawNotes(ctx, area, new TickTransform(0.1, 0), keys, index, -1, palette, 480);
    expect(visible).toBe(3);
    expect(rects).toHaveLength(3);
    const c4 = rects.filter((r) => r.y === area.y + keys.toY(60)).sort((a, b) => a.x - b.x);
    expect(c4.map((r) => r.x)).toEqual([50, 98]);
    // Louder notes get another colour.
    const e4 = rects.find((r) => r.y === area.y + keys.toY(64))!;
    expect(e4.fill).not.toBe(c4[0]!.fill);
  });

  it('merges touching notes of one pitch into one bar when zoomed far out', () => {
    const { ctx, rects } = recordingContext();
    // A quarter note is 480 * 0.005 = 2.4 px: far below the 12 px merge threshold.
    const visible = drawNotes(ctx, area, new TickTransform(0.005, 0), keys, index, -1, palette, 480);
    expect(visible).toBe(4);
    const c4 = rects.filter((r) => r.y === area.y + keys.toY(60)).sort((a, b) => a.x - b.x);
    expect(c4).toHaveLength(2);
    expect(c4[0]!.x).toBe(50);
    expect(c4[0]!.w).toBeCloseTo(960 * 0.005, 6);
  });

  it('skips notes outside the view entirely', () => {
    const { ctx, rects } = recordingContext();
    expect(drawNotes(ctx, area, new TickTransform(0.1, 50_000), keys, index, -1, palette, 480)).toBe(0);
    expect(rects).toEqual([]);
  });
});
