/** The Generate screen's model choices: one "default" entry that names the model it means, then each model by name. */
import type { ModelInfo } from '../../../../api/schemas';

/** The options of the model select: value '' is the default model, named. */
export function modelOptions(models: readonly ModelInfo[]): Array<{ value: string; label: string }> {
  const label = (m: ModelInfo): string =>
    m.bundled && !/bundled/i.test(m.name) ? `${m.name} (bundled)` : m.name;
  const chosen = models.find((m) => m.isDefault);
  return [
    { value: '', label: chosen ? `Default: ${label(chosen)}` : 'Default model' },
    // Every model stays choosable by name (the default too), without a second "(default)" mark.
    ...models.map((m) => ({ value: m.id, label: label(m) })),
  ];
}
