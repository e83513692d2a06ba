import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordRefinement, recordRenders, takesFile, takesOf } from './takes';

describe('takes', () => {
  let dir: string;
  const file = (rel: string): string => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, 'x');
    return p;
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-takes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('links a piece to its latest render and refinement, and finds them again', async () => {
    const midi = file('generated/j1/piece-1.mid');
    expect(await takesOf(dir, midi)).toEqual({});
    await recordRenders(dir, [{ midi, wav: file('renders/j2/piece-1.wav') }]);
    const newer = file('renders/j3/piece-1.wav');
    await recordRenders(dir, [{ midi, wav: newer }]);
    const refined = { midi: file('refined/j4/piece-1.mid'), wav: file('refined/j4/piece-1.wav') };
    await recordRefinement(dir, midi, refined);
    expect(await takesOf(dir, midi)).toEqual({ render: newer, refined });
  });

  it('takes a render of the refined MIDI when the refinement has no WAV of its own, and forgets files that are gone', async () => {
    const midi = file('uploads/a.mid');
    const refinedMidi = file('refined/j1/a.mid');
    await recordRefinement(dir, midi, { midi: refinedMidi });
    const wav = file('renders/j2/a.wav');
    await recordRenders(dir, [{ midi: refinedMidi, wav }]);
    expect(await takesOf(dir, midi)).toEqual({ refined: { midi: refinedMidi, wav } });
    rmSync(wav);
    expect(await takesOf(dir, midi)).toEqual({ refined: { midi: refinedMidi } });
    rmSync(midi);
    await recordRenders(dir, [{ midi: refinedMidi, wav: file('renders/j3/a.wav') }]);
    // The piece is gone: its links go with the next write.
    expect(Object.keys(JSON.parse(readFileSync(takesFile(dir), 'utf8')).refinements)).toEqual([]);
  });

  it('keeps every link when several jobs record at once, and starts afresh from a damaged file', async () => {
    const pieces = Array.from({ length: 8 }, (_, i) => file(`generated/j/p${i}.mid`));
    await Promise.all(
      pieces.map((midi, i) => recordRenders(dir, [{ midi, wav: file(`renders/r${i}/p${i}.wav`) }])),
    );
    for (const midi of pieces) expect((await takesOf(dir, midi)).render).toBeDefined();
    writeFileSync(takesFile(dir), '{"version": 1, "rend');
    expect(await takesOf(dir, pieces[0]!)).toEqual({});
  });
});
