/**
 * Tests on the bundled model (resources/models/lstm/): real windows, real sampling. They skip
 * with a message while the model is not in the checkout; once it is committed they always run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getTokenizer } from '../../common/tokenize';
import { encodeWithVocabulary } from '../../common/tokenize/vocabulary';
import { parseMidi } from '../../common/midi/read';
import { readMidiFile } from '../midi/read';
import { loadLstmModel } from '../models/lstm/model';
import { buildOnnxForModelFolder } from '../onnx/modelFolder';
import { openOnnxLstm } from '../onnx/session';
import { resourcesDir } from '../paths';
import { listMidiFiles, sharedCorpusOrSkip } from '../testing/sharedCorpus';
import { generatePieces } from './generate';

// CADENZA_TEST_LSTM points these tests at another model folder (e.g. one just trained).
const bundled = process.env.CADENZA_TEST_LSTM ?? path.join(resourcesDir(), 'models', 'lstm');
const present = existsSync(path.join(bundled, 'config.json'));
if (!present) console.warn(`[cadenza tests] skipping bundled-model generation tests: ${bundled} is not present yet.`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-bundled-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The most a single event may take of a 500-event piece. In the corpus, the p99 of 500-event windows is 22%, the max 33%. */
const MAX_EVENT_SHARE = 0.3;

describe.skipIf(!present)('the bundled model', () => {
  it('gives the same probabilities on ONNX and TF.js within 1e-4 on real corpus windows', async (ctx) => {
    const corpus = sharedCorpusOrSkip();
    if (!corpus) return ctx.skip();
    const tfjs = await loadLstmModel(bundled);
    const { architecture: a, vocab, tokenizer: tok } = tfjs.config;
    const { kind, ...tokenizerOptions } = tok;
    const tokenizer = getTokenizer(kind, tokenizerOptions);
    const files = listMidiFiles(corpus);
    const windows: number[] = [];
    for (const file of [files[3]!, files[101]!, files[211]!]) {
      const { ids } = encodeWithVocabulary(tokenizer.encode((await readMidiFile(file)).song), vocab, tokenizer);
      for (let k = 0; k < 6 && (k + 1) * a.window * 3 <= ids.length; k++) windows.push(...ids.slice(k * a.window * 3, k * a.window * 3 + a.window));
    }
    const batch = windows.length / a.window;
    expect(batch).toBeGreaterThanOrEqual(12);
    const { bytes } = await buildOnnxForModelFolder(bundled);
    const onnx = await openOnnxLstm(bytes, a.window, a.vocabSize);
    const expected = tfjs.predict(Int32Array.from(windows), batch);
    const actual = await onnx.predict(Int32Array.from(windows), batch);
    await onnx.dispose();
    tfjs.dispose();
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('does not collapse at default settings: no event takes more than 30% of a 500-event piece', async () => {
    const pieces = await generatePieces({ modelPath: bundled, outputPath: tmp, events: 500, seed: 1, count: 2, runtime: 'onnx' });
    for (const p of pieces) {
      expect(p.stats.events).toBe(500);
      expect(p.stats.mostFrequentShare).toBeLessThanOrEqual(MAX_EVENT_SHARE);
      expect(p.stats.longestRepeatedRun).toBeLessThanOrEqual(4);
      expect(p.stats.distinctEvents).toBeGreaterThanOrEqual(20);
      expect(p.stats.highestPitch - p.stats.lowestPitch).toBeGreaterThanOrEqual(12);
      const { song } = parseMidi(new Uint8Array(readFileSync(p.midiPath)), { path: p.midiPath, sustain: false });
      expect(song.notes.length).toBeGreaterThan(100);
      for (const n of song.notes) {
        expect(n.pitch >= 21 && n.pitch <= 108).toBe(true);
        expect(n.endTicks).toBeGreaterThan(n.startTicks);
      }
    }
  });

  it('gives the same piece for the same seed on ONNX and TF.js', async () => {
    const [onnx] = await generatePieces({ modelPath: bundled, outputPath: tmp, events: 40, seed: 21, runtime: 'onnx' });
    const [tfjs] = await generatePieces({ modelPath: bundled, outputPath: tmp, events: 40, seed: 21, runtime: 'tfjs' });
    expect(tfjs!.tokens).toEqual(onnx!.tokens);
  });

  it('writes a 60-second piece with no options but the output folder', async () => {
    const [piece] = await generatePieces({ modelPath: bundled, outputPath: tmp, seed: 5 });
    expect(piece!.runtime).toBe('onnx');
    expect(piece!.stats.durationSeconds).toBeGreaterThanOrEqual(60);
    expect(piece!.stats.durationSeconds).toBeLessThan(75);
  });
});
