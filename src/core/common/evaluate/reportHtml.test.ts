import { describe, expect, it } from 'vitest';
import { compareSets, summarizeSet } from './compare';
import { measureSong, SCALAR_MEASURES, VECTOR_MEASURES } from './measures';
import type { EvaluationReport } from './report';
import { REPORT_FORMAT, REPORT_VERSION } from './report';
import { renderReportHtml } from './reportHtml';
import { songOf } from './testSongs';

const piece = (from: number, count: number): ReturnType<typeof measureSong> =>
  measureSong(
    songOf(Array.from({ length: count }, (_, i): [number, number, number] => [from + (i % 7), i, 1])),
  );

function report(): EvaluationReport {
  const ref = [piece(50, 20), piece(52, 24), piece(55, 30)];
  const gen = [piece(60, 16)];
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    createdAt: '2026-11-26T10:00:00.000Z',
    measures: { scalars: SCALAR_MEASURES, vectors: VECTOR_MEASURES },
    sets: [
      {
        role: 'reference',
        path: 'ref/',
        source: 'midi-folder',
        pieces: ref.map((m, i) => ({ name: `r${i}`, measures: m })),
        summary: summarizeSet(ref),
      },
      {
        role: 'generated',
        path: 'gen/',
        source: 'midi-folder',
        pieces: [
          {
            name: '<script>alert(1)</script>',
            measures: gen[0]!,
            copied: { events: 3, share: 0.2, offset: 1, referenceName: 'r0' },
          },
        ],
        summary: summarizeSet(gen),
        comparison: compareSets(ref, gen),
      },
    ],
    likelihood: {
      modelPath: 'models/lstm',
      format: 'cadenza-lstm',
      tokenizer: 'notes',
      modelNll: 1.5,
      ngramNll: 2,
      ngramOrder: 5,
      unigramNll: 3,
      targets: 100,
      unknownTokens: 2,
      pieces: 2,
      trainingPieces: 10,
      trainingTokens: 5000,
      trainingSource: 'trainingPieces',
      firstTarget: 32,
      capped: false,
      warnings: [],
    },
    verdict: ['The generated pieces are far from the reference music.'],
    warnings: ['generated: gen/bad.mid is not a readable MIDI file: it is empty.'],
    totalSeconds: 1.25,
  };
}

describe('renderReportHtml', () => {
  const html = renderReportHtml(report());

  it('is one offline document: inline style and SVG, no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|src=|href="http|@import|url\(/i);
  });

  it('leads with the verdict and gives the model beside both baselines', () => {
    expect(html).toContain(
      '<div class="verdict"><p>The generated pieces are far from the reference music.</p></div>',
    );
    expect(html).toContain('Kneser-Ney 5-gram');
    expect(html).toMatch(/<td>Model<\/td><td class="n">100<\/td><td class="n">1\.5/);
  });

  it('escapes names taken from files', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('has every section with its figures', () => {
    for (const heading of [
      'Inputs',
      'Held-out likelihood',
      'Music measures',
      'Distributions over pieces',
      'Intra-set and inter-set distances',
      'Repetition and memorization',
      'Definitions',
    ])
      expect(html).toContain(`<h2>${heading}</h2>`);
    expect(html).not.toContain('<h2>Audio</h2>');
    // Perplexities e^1.5 and e^3, the warning, and the copied span's source.
    expect(html).toContain('4.48');
    expect(html).toContain('20.1');
    expect(html).toContain('gen/bad.mid is not a readable MIDI file');
    expect(html).toContain('>r0<');
    // A range bar per measure row with values, a heatmap per set; these pieces are single notes,
    // so the chord measure (top note loudest) is NaN everywhere and has no bar.
    expect(html.match(/<svg class="range"/g)!.length).toBe(SCALAR_MEASURES.filter((m) => m.id !== 'topNoteLoudestShare').length);
    expect(html.match(/<svg class="chart heat"/g)).toHaveLength(2);
  });
});
