/**
 * Which pipeline stages this build can run as jobs. A stage whose core code has not landed
 * answers a clear typed error instead of a fake result; the UI greys it out from `app.info`.
 */
import { ApiError } from '../core/common/errors';

/** Stage name → whether its job runner is wired to real core code. */
export const STAGES = {
  import: true,
  rescan: true,
  preprocess: true,
  train: true,
  generate: true,
  synthesize: true,
  refine: true,
  evaluate: true,
} satisfies Record<string, boolean>;

/** A stage of the pipeline that runs as a job. */
export type StageName = keyof typeof STAGES;

const LABELS: Record<StageName, string> = {
  import: 'Importing into the corpus',
  rescan: 'Re-scanning the corpus',
  preprocess: 'Preprocessing',
  train: 'Training',
  generate: 'Generation',
  synthesize: 'Rendering to audio',
  refine: 'Refinement',
  evaluate: 'Evaluation',
};

/** Throws `ApiError` ("Refinement is not available in this build yet.") when the stage is not wired. */
export function requireStage(stage: StageName): void {
  if (!STAGES[stage]) throw new ApiError(`${LABELS[stage]} is not available in this build yet.`, { field: stage });
}
