/**
 * Names in chats and rooms (PROTOCOL.md section 10): at most 64 Unicode code points, a longer one
 * cut before it is shown; in a room each member's name made unique by a suffix such as ` (2)`,
 * compared after mapping ASCII `A`–`Z` to `a`–`z` only (so every implementation agrees), the
 * name first cut so that name and suffix stay within 64 code points.
 */

export const MAX_NAME_CODE_POINTS = 64;

/** What a room calls a member whose name is empty: something must stand before each of its lines. */
export const NAMELESS_MEMBER = 'guest';

/** The first `maxCodePoints` code points of `name` (a lone surrogate counts as one, as `for…of` sees it). */
export function cutName(name: string, maxCodePoints = MAX_NAME_CODE_POINTS): string {
  const codePoints = [...name];
  return codePoints.length <= maxCodePoints ? name : codePoints.slice(0, maxCodePoints).join('');
}

/** Section 10's comparison: ASCII letters folded, nothing else (no Unicode case rules). */
export function roomNameKey(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

/**
 * The name under which a member who asked for `wanted` is seen in a room where `taken` are in use
 * (the host's own among them): `wanted` cut to 64 code points if it is free, else the first free
 * `name (n)` for n = 2, 3, …, with the name cut so that name and suffix stay within 64 code points.
 */
export function uniqueRoomName(wanted: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map(roomNameKey));
  const base = cutName(wanted === '' ? NAMELESS_MEMBER : wanted);
  if (!used.has(roomNameKey(base))) return base;
  for (let n = 2; ; n += 1) {
    const suffix = ` (${n})`;
    const candidate = cutName(base, MAX_NAME_CODE_POINTS - suffix.length) + suffix;
    if (!used.has(roomNameKey(candidate))) return candidate;
  }
}
