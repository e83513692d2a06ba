import { describe, expect, it } from 'vitest';
import { evaluationStepLine, STUDIO_HINT } from './demo';

describe('cadenza demo', () => {
  it('says step 4/4 whether or not a reference corpus is at hand', () => {
    expect(evaluationStepLine('/corpus')).toBe('4/4 evaluating against the reference corpus (/corpus)…');
    expect(evaluationStepLine(undefined)).toMatch(/^4\/4 evaluation skipped: /);
  });

  it('ends by saying how to open the studio', () => {
    expect(STUDIO_HINT).toContain('npm start');
  });
});
