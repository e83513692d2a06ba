/**
 * Titles shortened in the middle for the library's rows: pieces of one set share their start
 * ("Das wohltemperierte Klavier I - Praeludium und Fuge …") and differ at the end (the number),
 * so an ellipsis at the end would make them look the same.
 */

/** `title` at most `max` characters long: its start, an ellipsis, and its last words. */
export function fitTitle(title: string, max = 42): string {
  const chars = [...title];
  if (chars.length <= max) return title;
  // The end keeps about a third, from a word start when one is near.
  let endStart = chars.length - Math.floor((max - 1) / 3);
  const space = chars.lastIndexOf(' ', endStart);
  if (space > 0 && endStart - space <= 8) endStart = space + 1;
  const end = chars.slice(endStart).join('');
  const start = chars
    .slice(0, max - 1 - [...end].length)
    .join('')
    .trimEnd();
  return `${start}…${end}`;
}
