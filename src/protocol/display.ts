/**
 * Making peer text safe for a terminal (PROTOCOL.md section 5, last paragraph): names, paths, text
 * messages, DECLINE, ERROR and FAIL texts never reach a person with control characters intact.
 * The character classes here are also the ones section 5's path rules refuse.
 */

/** C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F). */
export const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/u;

/** Bidirectional embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). */
export const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * A surrogate without its partner: a peer's JSON can carry `\ud800`, which has no UTF-8 form.
 * With the `u` flag a well-formed pair is one code point, so only lone halves match.
 * (`String.prototype.isWellFormed` would do too, but is not in this project's ES2022 type library.)
 */
export const LONE_SURROGATE = /\p{Surrogate}/u;

const REPLACEMENT_CHARACTER = '\uFFFD';

const UNSAFE_FOR_DISPLAY = new RegExp(
  [CONTROL_CHARACTER, BIDI_CONTROL, LONE_SURROGATE].map((pattern) => pattern.source).join('|'),
  'gu',
);

/**
 * Returns `text` with every control character, bidi control and lone surrogate replaced by U+FFFD,
 * one for one, so an escape sequence cannot drive the terminal and a right-to-left override cannot
 * make `evil\u202Etxt.exe` look like `evilexe.txt`. Everything else is kept as it is.
 */
export function forDisplay(text: string): string {
  return text.replace(UNSAFE_FOR_DISPLAY, REPLACEMENT_CHARACTER);
}

/**
 * What JSON.stringify would write raw although a terminal obeys it: it escapes the C0 controls and
 * lone surrogates itself, but not DEL, the C1 controls or the bidirectional controls.
 */
const UNSAFE_IN_JSON = new RegExp([CONTROL_CHARACTER, BIDI_CONTROL].map((pattern) => pattern.source).join('|'), 'gu');

/**
 * `JSON.stringify(value)` with every character that `forDisplay` keeps from a terminal written as
 * a `\uXXXX` escape: a script that prints a field of --json output to a terminal cannot be driven
 * by the peer, while JSON.parse still gives back the peer's exact text. Outside strings JSON is
 * ASCII, so each such character stands inside a string, where the escape means the same.
 */
export function jsonForDisplay(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
