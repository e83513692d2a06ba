/**
 * The pipeline stages the app runs as jobs: the job kinds of the contract. Every one is wired to
 * core code; refinement also needs a Music Transformer, which `app.info` reports (`stages.refine`).
 */
import { jobParamSchemas } from '../api/contract';

/** A stage of the pipeline that runs as a job. */
export type StageName = keyof typeof jobParamSchemas;

/** Every stage, as `app.info` lists them. */
export const STAGE_NAMES = Object.keys(jobParamSchemas) as StageName[];
