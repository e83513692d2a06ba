/** How the jobs view words each job: what it is, where it stands, and what it said. */
import type { JobInfo } from '../../../../api/schemas';
import { formatCount } from '../format/time';

/** Each kind of job as the screens name it. */
export const JOB_TITLES: Record<JobInfo['kind'], string> = {
  import: 'Import',
  rescan: 'Rescan the library',
  preprocess: 'Prepare data',
  train: 'Training',
  generate: 'Generate',
  synthesize: 'Render',
  refine: 'Refine',
  evaluate: 'Evaluate',
};

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${formatCount(n)} ${n === 1 ? one : many}`;

/** What a finished job produced, in a few words. */
function resultText(info: JobInfo): string {
  const r = (info.result ?? {}) as Record<string, unknown>;
  const count = (v: unknown): number => (Array.isArray(v) ? v.length : typeof v === 'number' ? v : 0);
  switch (info.kind) {
    case 'import': {
      const parts = [`${formatCount(count(r.imported))} imported`];
      if (count(r.duplicates)) parts.push(plural(count(r.duplicates), 'duplicate'));
      if (count(r.failed)) parts.push(`${formatCount(count(r.failed))} skipped`);
      return parts.join(', ');
    }
    case 'preprocess':
      return `${plural(count(r.pieces), 'piece')}, ${formatCount(count(r.trainTokens))} training tokens`;
    case 'train':
      return typeof r.validationLoss === 'number'
        ? `validation loss ${r.validationLoss.toFixed(3)}`
        : 'finished';
    case 'generate':
    case 'synthesize':
    case 'refine':
      return plural(count(r.files), 'file');
    case 'evaluate':
      return 'report written';
    default:
      return 'done';
  }
}

/** One line for the jobs view: its title, its state in words, and what it said or made. */
export function jobSummary(info: JobInfo): { title: string; state: string; detail: string } {
  const title = JOB_TITLES[info.kind] ?? info.kind;
  switch (info.state) {
    case 'queued':
      return { title, state: 'waiting', detail: 'Waits for the running job of its kind.' };
    case 'running': {
      const p = info.progress;
      const where = p
        ? `${p.stage}${p.total ? ` ${formatCount(p.done)} of ${formatCount(p.total)}` : ''}`
        : 'starting';
      return { title, state: 'running', detail: p?.message ? `${where} · ${p.message}` : where };
    }
    case 'succeeded':
      return { title, state: 'finished', detail: resultText(info) };
    case 'cancelled':
      return {
        title,
        state: 'cancelled',
        // Training keeps its last checkpoint; every other job leaves nothing behind.
        detail:
          info.kind === 'train'
            ? 'Cancelled; its checkpoint is kept, and Resume on Train continues it.'
            : 'Cancelled; nothing half-made was kept.',
      };
    case 'failed':
      return { title, state: 'failed', detail: info.error?.message ?? 'It failed without saying why.' };
  }
}
