/**
 * Words for a take on the Generate screen: what made it in one line, and what deleting it removes.
 */
import type { TakeEntry } from '../../../../api/schemas';

/** "Bundled model · seed 42 · temperature 0.90 · top-k 20 · top-p 0.95 · primer Etude Op. 10 No. 1" (what the sidecar recorded). */
export function takeOrigin(take: TakeEntry): string {
  const parts: string[] = [];
  if (take.model) parts.push(take.model.missing ? `${take.model.name} (deleted)` : take.model.name);
  if (take.seed !== undefined) parts.push(`seed ${take.seed}`);
  if (take.temperature !== undefined) parts.push(`temperature ${take.temperature.toFixed(2)}`);
  if (take.topK) parts.push(`top-k ${take.topK}`);
  if (take.topP !== undefined && take.topP < 1) parts.push(`top-p ${take.topP}`);
  parts.push(take.primer ? `primer ${take.primer.label}` : 'no primer');
  return parts.join(' · ');
}

/** The confirm's sentence: the piece and each of its takes that go with it. */
export function deletionText(take: TakeEntry): string {
  const goes = ['its MIDI file'];
  if (take.render) goes.push('its render');
  if (take.refined)
    goes.push(take.refined.wav ? 'its refined take and that take’s audio' : 'its refined take');
  const list = goes.length === 1 ? goes[0]! : `${goes.slice(0, -1).join(', ')} and ${goes[goes.length - 1]!}`;
  return `Delete “${take.name}”? ${list[0]!.toUpperCase()}${list.slice(1)} ${goes.length === 1 ? 'goes' : 'go'}; the model and the library stay.`;
}

/** The takes shown: all, or only the favourites. */
export function shownTakes(takes: readonly TakeEntry[], favouritesOnly: boolean): TakeEntry[] {
  return favouritesOnly ? takes.filter((t) => t.favourite) : [...takes];
}
