import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../../api/schemas';
import { modelOptions } from './modelOptions';

const model = (patch: Partial<ModelInfo>): ModelInfo =>
  ({ id: 'm', name: 'm', kind: 'lstm', isDefault: false, bundled: false, ...patch }) as ModelInfo;

describe('modelOptions', () => {
  it('names the model the default entry means, and lists every model once by name', () => {
    const models = [
      model({ id: 'bundled', name: 'Bundled model', bundled: true, isDefault: true }),
      model({ id: 'run-1', name: 'Chopin etudes' }),
    ];
    expect(modelOptions(models)).toEqual([
      { value: '', label: 'Default: Bundled model' },
      { value: 'bundled', label: 'Bundled model' },
      { value: 'run-1', label: 'Chopin etudes' },
    ]);
  });

  it('marks a bundled model whose name does not say so', () => {
    expect(modelOptions([model({ id: 'b', name: 'Composer', bundled: true })]).map((o) => o.label)).toEqual([
      'Default model',
      'Composer (bundled)',
    ]);
  });
});
