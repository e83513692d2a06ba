/** Where one take's moment falls in another take of the same piece, for A/B switching and the inactive roll's cursor. */
import type { TempoMap } from '../../../../core/common/song/tempo';
import type { Seconds } from '../../../../core/common/units';

/**
 * The time in take `to` of the musical moment `seconds` into take `from`: the same beat through
 * each take's tempo map (in quarter notes, so a different ppq does not matter). Refinement bends
 * the tempo (rubato, ritardando) but keeps bars and beats where they were, so switching A/B lands
 * in the same bar rather than at the same clock time. Never negative.
 */
export function samePlace(seconds: Seconds, from: TempoMap, to: TempoMap): Seconds {
  const quarters = from.toTicks(Math.max(0, seconds)) / from.ppq;
  return Math.max(0, to.toSeconds(quarters * to.ppq));
}
