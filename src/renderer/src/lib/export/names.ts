/**
 * The names exported files get: by piece and take, so a generated piece, its raw render and its
 * refined take do not all download as `piece-7.wav`.
 */

/** The folders Export lists. */
export type ExportFolder = 'generated' | 'renders' | 'refined' | 'evaluations';

/**
 * The file name to save `name` (from `folder`) under: `<piece>.mid` for a generated piece,
 * `<piece> (raw).wav` for its render, `<piece> (refined).mid|wav` for the refined take; other files
 * (evaluation reports, sidecars) keep their names.
 */
export function exportName(name: string, folder: string): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (folder === 'renders' && ext === 'wav') return `${stem} (raw).wav`;
  if (folder === 'refined' && (ext === 'wav' || ext === 'mid' || ext === 'midi')) return `${stem} (refined).${ext}`;
  return name;
}

/** The take a file is, in words, for the Export list ("raw render", "refined take", ...). */
export function takeLabel(name: string, folder: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'json' && folder !== 'evaluations')
    return folder === 'generated' ? 'generation sidecar' : folder === 'renders' ? 'render sidecar' : 'refinement sidecar';
  if (folder === 'generated') return 'generated piece';
  if (folder === 'renders') return ext === 'wav' ? 'raw render' : 'render';
  if (folder === 'refined') return ext === 'wav' ? 'refined take (audio)' : 'refined take (MIDI)';
  return 'evaluation';
}
