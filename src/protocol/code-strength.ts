/**
 * How many guesses a code takes, for codes people choose themselves (`receive --code`,
 * SEALDROP_CODE). Each wrong guess costs an attacker one connection and one of the receiver's 3
 * attempts (PROTOCOL.md sections 4 and 7), so a code is weak when a few guesses could find it.
 * Pure: no I/O.
 */
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { SealdropError } from '../errors.js';

/**
 * A chosen code must take at least this many guesses. With 3 wrong attempts per code, an
 * attacker then finds it at most 3 times in a million; a generated code takes about 8.6e12.
 */
export const MIN_CODE_GUESSES = 1_000_000;

const BIP39_WORDS: ReadonlySet<string> = new Set(wordlist);

/**
 * The character classes of code_bytes and their sizes: section 1 allows the 94 printable ASCII
 * characters and folds A-Z to a-z, which leaves 10 digits, 26 letters and 32 others.
 */
const CLASSES: ReadonlyArray<readonly [RegExp, number]> = [
  [/[0-9]/, 10],
  [/[a-z]/, 26],
  [/[^0-9a-z]/, 32],
];

/**
 * About how many guesses an attacker who knows how codes are built needs, at most. The code is
 * cut at `-`, as generated codes are; a part that is a BIP39 word counts as one of 2048 (the
 * list generated codes draw from), any other part as (the size of the character classes it
 * uses) ^ (its length); the guesses are the product over the parts. So a generated code
 * (a number 1-999 and three words) takes at least 10 × 2048^3, never fewer than a million. It is
 * an upper bound: a name, a date or a word outside BIP39 takes fewer guesses than its characters
 * suggest, which no rule of this size can tell.
 */
export function estimateCodeGuesses(codeBytes: Buffer): number {
  return codeBytes
    .toString('ascii')
    .split('-')
    .reduce((guesses, part) => guesses * partGuesses(part), 1);
}

function partGuesses(part: string): number {
  if (BIP39_WORDS.has(part)) return BIP39_WORDS.size;
  const alphabet = CLASSES.reduce((size, [pattern, count]) => size + (pattern.test(part) ? count : 0), 0);
  return alphabet ** part.length;
}

/** Throws E_BAD_CODE for a chosen code that takes fewer than MIN_CODE_GUESSES; never shows it. */
export function assertStrongCode(codeBytes: Buffer): void {
  const guesses = estimateCodeGuesses(codeBytes);
  if (guesses >= MIN_CODE_GUESSES) return;
  throw new SealdropError(
    'E_BAD_CODE',
    `This code is too weak: someone trying codes could find it in about ${Math.round(guesses).toLocaleString('en-US')} guesses ` +
      `(a receiver allows 3 wrong ones per code, and a code should need at least ${MIN_CODE_GUESSES.toLocaleString('en-US')}). ` +
      'Leave out --code and SEALDROP_CODE to get a generated one, such as 482-orbit-velvet-canal, or choose a longer one: ' +
      'for example three random words, or 8 random letters and digits.',
  );
}
