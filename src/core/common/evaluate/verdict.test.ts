import { describe, expect, it } from 'vitest';
import type { MeasureComparison } from './compare';
import { SCALAR_MEASURES, VECTOR_MEASURES } from './measures';
import type { LikelihoodReport } from './report';
import { closenessWords, likelihoodSentence, verdictSentences } from './verdict';

const likelihood = (modelNll: number): LikelihoodReport => ({
  modelPath: 'm',
  format: 'cadenza-lstm',
  tokenizer: 'notes',
  modelNll,
  ngramNll: 4,
  ngramOrder: 5,
  unigramNll: 5.5,
  targets: 1000,
  unknownTokens: 3,
  pieces: 29,
  trainingPieces: 262,
  trainingTokens: 1e6,
  trainingSource: 'trainingPieces',
  firstTarget: 32,
  capped: false,
  warnings: [],
});

describe('verdict', () => {
  it('puts the mean overlap in words', () => {
    expect(closenessWords(0.9)).toBe('very close to');
    expect(closenessWords(0.34)).toBe('clearly unlike');
    expect(closenessWords(0.1)).toBe('far from');
  });

  it('compares the model with the n-gram in one sentence', () => {
    expect(likelihoodSentence(likelihood(3.5))).toMatch(
      /clearly better than a 5-gram.*3\.5 against 4 nats.*ratio 0\.875.*3 of their tokens/,
    );
    expect(likelihoodSentence(likelihood(4.02))).toContain('about as well as');
    expect(likelihoodSentence(likelihood(4.5))).toContain('worse than');
  });

  it('names the feature the set is furthest from the reference in', () => {
    const comparison = [
      { id: 'onBeatShare', overlapArea: 0.1 },
      { id: 'pitchRange', overlapArea: 0.7 },
    ] as MeasureComparison[];
    const sentences = verdictSentences({
      measures: { scalars: SCALAR_MEASURES, vectors: VECTOR_MEASURES },
      sets: [
        { role: 'reference', path: 'r', source: 'midi-folder', pieces: [] },
        { role: 'generated', path: 'g', source: 'midi-folder', pieces: [], comparison },
      ],
      likelihood: likelihood(3.9),
    });
    expect(sentences).toHaveLength(2);
    expect(sentences[0]).toMatch(
      /^The generated pieces are clearly unlike the reference music: on 2 features.*by 0\.4 on average.*least in onsets on the beat \(0\.1\)/,
    );
    expect(sentences[1]).toContain('somewhat better than');
  });
});
