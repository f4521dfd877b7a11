// Weak chosen codes (issue 10, item 6): how many guesses a code takes, and the refusal.

import fc from 'fast-check';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { GENERATED_CODE_MAX_NUMBER, generateCode, normaliseCode } from '../../src/protocol/code.js';
import { MIN_CODE_GUESSES, assertStrongCode, estimateCodeGuesses } from '../../src/protocol/code-strength.js';
import { thrownBy } from '../support/errors.js';

const guesses = (code: string) => estimateCodeGuesses(normaliseCode(code));

describe('estimateCodeGuesses', () => {
  it.each([
    ['a', 26],
    ['A', 26],
    ['x-y', 26 * 26],
    ['7', 10],
    ['12345', 1e5],
    ['123456', 1e6],
    ['a1', 36 ** 2],
    ['!', 32],
    ['orbit', 2048],
    ['orbit-velvet', 2048 ** 2],
    ['Orbit-Velvet', 2048 ** 2],
    ['1-orbit-velvet-canal', 10 * 2048 ** 3],
    ['482-orbit-velvet-canal', 1000 * 2048 ** 3],
    ['orbitx', 26 ** 6],
    ['--', 1],
  ])('%s takes %d guesses', (code, expected) => {
    expect(guesses(code)).toBe(expected);
  });

  it('never calls a generated code weak, whatever its number and words (property)', () => {
    const constructed = fc
      .tuple(fc.integer({ min: 1, max: GENERATED_CODE_MAX_NUMBER }), fc.array(fc.constantFrom(...wordlist), { minLength: 3, maxLength: 3 }))
      .map(([number, words]) => [String(number), ...words].join('-'));
    fc.assert(fc.property(constructed, (code) => guesses(code) >= MIN_CODE_GUESSES), { numRuns: 2000 });
    for (let i = 0; i < 1000; i += 1) expect(guesses(generateCode())).toBeGreaterThanOrEqual(MIN_CODE_GUESSES);
  });
});

describe('assertStrongCode', () => {
  it('refuses a code of a few guesses with E_BAD_CODE, saying how many and how to get a strong one', () => {
    const error = thrownBy(() => assertStrongCode(normaliseCode('a')));
    expect(error.code).toBe('E_BAD_CODE');
    expect(error.message).toContain('about 26 guesses');
    expect(error.message).toContain('Leave out --code and SEALDROP_CODE to get a generated one');
    expect(thrownBy(() => assertStrongCode(normaliseCode('x-y'))).message).toContain('about 676 guesses');
  });

  it('never shows the code it refuses', () => {
    for (const code of ['zq', 'qz-x', '9876']) expect(thrownBy(() => assertStrongCode(normaliseCode(code))).message).not.toContain(code);
  });

  it('accepts codes of at least a million guesses', () => {
    for (const code of ['123456', 'orbit-velvet', '4-hostile-peer-test', generateCode()]) expect(() => assertStrongCode(normaliseCode(code))).not.toThrow();
  });
});
