/**
 * The job runners: what each kind of job does inside its worker thread, calling the core stage
 * with the job's progress sink and cancel signal. Outputs are built in the job's staging folder
 * and moved into the data folder only when complete.
 */
import type { JobRunner } from '../jobs/types';

/** Runner per job kind; kinds missing here are refused by `requireStage` before a job starts. */
export const runners: Record<string, JobRunner> = {};
