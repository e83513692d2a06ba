/** Note colours by velocity: quiet notes cool and pale, loud notes warm and saturated. */
import type { Velocity } from '../../../../core/common/units';

/** An `hsl()` colour for a note of velocity `velocity` (1..127); `dark` picks lightness for a dark background. */
export function velocityColor(velocity: Velocity, dark: boolean): string {
  const v = Math.min(127, Math.max(1, velocity)) / 127;
  // Blue (quiet) through violet to a warm coral (loud), so dynamics read at a glance.
  const hue = 220 - v * 200;
  const saturation = 55 + v * 30;
  const lightness = dark ? 48 + v * 14 : 62 - v * 14;
  return `hsl(${hue.toFixed(0)} ${saturation.toFixed(0)}% ${lightness.toFixed(0)}%)`;
}
