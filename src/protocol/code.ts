/**
 * The shared code: normalisation to `code_bytes` (PROTOCOL.md section 1) and generation of codes
 * people can read aloud. Pure: no I/O.
 */

import { randomInt } from 'node:crypto';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { SealdropError } from '../errors.js';

export const MIN_CODE_BYTES = 1;
export const MAX_CODE_BYTES = 255;

/** Printable ASCII without space: the only bytes section 1 allows in `code_bytes`. */
const FIRST_CODE_BYTE = 0x21;
const LAST_CODE_BYTE = 0x7e;

/** Section 1 trims exactly these four; VT, FF, NBSP, NEL, BOM and the like stay and then fail. */
const TRIMMED_EDGES = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/** What every E_BAD_CODE message ends with, so the person knows what to type instead. */
const VALID_CODE_HINT =
  `A code is ${MIN_CODE_BYTES} to ${MAX_CODE_BYTES} printable ASCII characters without spaces, such as ` +
  'the number-word-word-word code the other side was shown; letter case and spaces around it do not matter.';

/**
 * Returns `code_bytes` for a code as typed. Throws E_BAD_CODE before anything is sent, so a typo
 * never costs one of the responder's attempts. The message never repeats the code: it is a secret.
 */
export function normaliseCode(input: string): Buffer {
  const trimmed = input.replace(TRIMMED_EDGES, '');
  if (trimmed.length < MIN_CODE_BYTES) {
    throw new SealdropError('E_BAD_CODE', `The code is empty. ${VALID_CODE_HINT}`);
  }
  for (const char of trimmed) {
    const codePoint = char.codePointAt(0)!;
    if (codePoint < FIRST_CODE_BYTE || codePoint > LAST_CODE_BYTE) {
      const problem = `The code contains ${describeCodePoint(codePoint)}.`;
      throw new SealdropError('E_BAD_CODE', `${problem} ${VALID_CODE_HINT}`);
    }
  }
  // Every character is now ASCII, so UTF-16 units, characters and bytes all count the same.
  if (trimmed.length > MAX_CODE_BYTES) {
    const problem = `The code is longer than ${MAX_CODE_BYTES} characters.`;
    throw new SealdropError('E_BAD_CODE', `${problem} ${VALID_CODE_HINT}`);
  }
  // Only ASCII A-Z is mapped: a Unicode-aware lower-casing could differ between implementations.
  return Buffer.from(trimmed.replace(/[A-Z]/g, (letter) => letter.toLowerCase()), 'ascii');
}

/** Names the kind of a refused character without showing it. */
function describeCodePoint(codePoint: number): string {
  if (codePoint === 0x20 || codePoint === 0x09) return 'a space or tab inside it';
  if (codePoint < 0x20 || codePoint === 0x7f) return 'a control character';
  return 'a character that is not plain ASCII (an accented or full-width letter, say)';
}

export const GENERATED_CODE_WORD_COUNT = 3;
export const GENERATED_CODE_MAX_NUMBER = 999;

/** Bits of entropy in a generated code: a number 1..999 and three independent BIP39 words. */
export const GENERATED_CODE_ENTROPY_BITS =
  GENERATED_CODE_WORD_COUNT * Math.log2(wordlist.length) + Math.log2(GENERATED_CODE_MAX_NUMBER);

/**
 * A fresh code in the form `N-word-word-word`, e.g. `482-orbit-velvet-canal`. BIP39 English words
 * are distinct in their first four letters and all lowercase ASCII, so the code is easy to read
 * aloud and already normalised.
 */
export function generateCode(): string {
  const number = randomInt(1, GENERATED_CODE_MAX_NUMBER + 1);
  return `${number}-${generateWords()}`;
}

/**
 * The words alone, `word-word-word`: the secret of a code through a relay, whose number is the
 * nameplate the relay gives (section 9: at least 32 bits, and three words hold 33).
 */
export function generateWords(): string {
  return Array.from({ length: GENERATED_CODE_WORD_COUNT }, () => wordlist[randomInt(wordlist.length)]!).join('-');
}
