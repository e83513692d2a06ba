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

/** The take fields `takeFileNames` reads. */
interface NamedTake {
  name: string;
  midi: { path: string };
  render?: { path: string };
  refined?: { midi: { path: string }; wav?: { path: string } };
}

/**
 * Download names by file path for the generated pieces' files, from each take's name (the one the
 * user gave it, else its file's): `<name>.mid`, `<name> (raw).wav`, `<name> (refined).mid|wav`.
 */
export function takeFileNames(takes: readonly NamedTake[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const t of takes) {
    // One file name, whatever the user typed: no folder separators or characters a file system refuses.
    const base = t.name.replace(/[\\/:*?"<>|]/g, '_').trim() || 'piece';
    names.set(t.midi.path, `${base}.mid`);
    if (t.render) names.set(t.render.path, `${base} (raw).wav`);
    if (t.refined) names.set(t.refined.midi.path, `${base} (refined).mid`);
    if (t.refined?.wav) names.set(t.refined.wav.path, `${base} (refined).wav`);
  }
  return names;
}
