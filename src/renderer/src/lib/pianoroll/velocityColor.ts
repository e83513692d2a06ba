/** Note colours by velocity: quiet notes cool and pale, loud notes warm and saturated. */
import type { Velocity } from '../../../../core/common/units';

const cache: string[][] = [[], []];

/** An `hsl()` colour for a note of velocity `velocity` (1..127); `dark` picks lightness for a dark background. */
export function velocityColor(velocity: Velocity, dark: boolean): string {
  const key = Math.min(127, Math.max(1, Math.round(velocity)));
  // Drawing asks for these thousands of times a frame; 2 x 127 strings are made once.
  const table = cache[dark ? 1 : 0]!;
  return (table[key] ??= colourOf(key, dark));
}

function colourOf(velocity: Velocity, dark: boolean): string {
  const v = velocity / 127;
  // Pale blue (quiet) through indigo and violet to a warm rose (loud), so dynamics read at a glance
  // while staying in one calm family of colours.
  const hue = (205 + v * 145) % 360;
  const saturation = 50 + v * 30;
  const lightness = dark ? 52 + v * 10 : 66 - v * 16;
  return `hsl(${hue.toFixed(0)} ${saturation.toFixed(0)}% ${lightness.toFixed(0)}%)`;
}
