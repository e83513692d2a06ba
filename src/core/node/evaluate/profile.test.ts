import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { songOf } from '../../common/evaluate/testSongs';
import { encodeMidi } from '../midi/write';
import { runEvaluation } from './evaluate';
import { bundledProfilePath, profileOf, readReferenceProfile, writeReferenceProfile } from './profile';

let dir: string;
const run = (from: number, count: number, step = 1): [number, number, number][] =>
  Array.from({ length: count }, (_, i) => [from + ((i * step) % 24), i, 1]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-profile-'));
  await mkdir(path.join(dir, 'ref'), { recursive: true });
  await mkdir(path.join(dir, 'gen'));
  await writeFile(path.join(dir, 'ref', 'one.mid'), encodeMidi(songOf(run(40, 24))));
  await writeFile(path.join(dir, 'ref', 'two.mid'), encodeMidi(songOf(run(55, 30, 5))));
  await writeFile(path.join(dir, 'ref', 'three.mid'), encodeMidi(songOf(run(48, 20, 7))));
  await writeFile(path.join(dir, 'gen', 'a.mid'), encodeMidi(songOf(run(50, 18, 3))));
  await writeFile(path.join(dir, 'gen', 'b.mid'), encodeMidi(songOf(run(44, 26, 2))));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reference profiles', () => {
  it('compares a set with the profile as with the MIDI it was made from (to its rounding), and says copying was not checked', async () => {
    const fromMidi = await runEvaluation({
      reference: path.join(dir, 'ref'),
      generated: path.join(dir, 'gen'),
    });
    const file = path.join(dir, 'profile.json');
    await writeReferenceProfile(
      file,
      profileOf(await runEvaluation({ reference: path.join(dir, 'ref') }), 'three test pieces'),
    );
    const fromProfile = await runEvaluation({ reference: file, generated: path.join(dir, 'gen') });

    expect(fromProfile.sets[0]).toMatchObject({ role: 'reference', source: 'profile' });
    expect(fromProfile.sets[0]!.pieces.map((p) => p.name)).toEqual(['one', 'three', 'two']);
    const midiComparison = fromMidi.sets[1]!.comparison!;
    const profileComparison = fromProfile.sets[1]!.comparison!;
    expect(profileComparison.map((c) => c.id)).toEqual(midiComparison.map((c) => c.id));
    const same = (a: number, b: number): void =>
      Number.isNaN(b) ? expect(a).toBeNaN() : expect(a).toBeCloseTo(b, 3);
    expect(midiComparison.filter((c) => Number.isFinite(c.overlapArea)).length).toBeGreaterThan(5);
    for (const [i, c] of profileComparison.entries()) same(c.overlapArea, midiComparison[i]!.overlapArea);
    // The reference's own copying figures come with the profile; the generated pieces' cannot be measured.
    expect(fromProfile.sets[0]!.copiedSummary).toEqual(fromMidi.sets[0]!.copiedSummary);
    expect(fromProfile.sets[1]!.pieces.every((p) => p.copied === undefined)).toBe(true);
    expect(fromProfile.warnings.join(' ')).toContain(
      'Copying was not checked: the reference is a profile (three test pieces',
    );
  });

  it('refuses a file that is not a profile, and likelihood against one, naming the file', async () => {
    const bad = path.join(dir, 'not-a-profile.json');
    await writeFile(bad, '{"format": "something-else"}');
    await expect(runEvaluation({ reference: bad, generated: path.join(dir, 'gen') })).rejects.toThrow(
      `${bad} is not a reference profile`,
    );
    const file = path.join(dir, 'profile.json');
    await expect(
      runEvaluation({ reference: file, generated: path.join(dir, 'gen'), model: path.join(dir, 'model') }),
    ).rejects.toThrow(`Held-out likelihood needs the reference pieces themselves; ${file} is a profile`);
  });

  it('ships the bundled model’s training corpus profile, readable and complete', async () => {
    expect(existsSync(bundledProfilePath())).toBe(true);
    const profile = await readReferenceProfile(bundledProfilePath());
    // piano-midi.de: the 291 pieces the bundled composer's config lists (262 training, 29 held out).
    expect(profile.pieces.length).toBe(291);
    expect(profile.description).toContain('piano-midi.de');
    expect(profile.copiedSummary?.count).toBe(291);
  });
});
