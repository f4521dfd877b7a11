// PROTOCOL.md section 1: code normalisation against the `code_normalisation` vectors, and generated codes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealdropError } from '../../src/errors.js';
import {
  GENERATED_CODE_ENTROPY_BITS,
  MAX_CODE_BYTES,
  generateCode,
  normaliseCode,
} from '../../src/protocol/code.js';
import { loadVectors } from '../support/vectors.js';
import { thrownBy } from '../support/errors.js';

interface CodeCase {
  input: string;
  input_utf8_hex: string;
  valid: boolean;
  code_bytes: string | null;
  code_bytes_len?: number; // a JSON number, present for valid cases
  note: string;
}

const vectors = loadVectors<{ code_normalisation: CodeCase[] }>('handshake-v1.json');
const cases = vectors.code_normalisation;

describe('normaliseCode: code_normalisation vectors', () => {
  it('holds the 24 cases the README lists, valid and invalid', () => {
    expect(cases).toHaveLength(24);
    expect(cases.some((c) => c.valid)).toBe(true);
    expect(cases.some((c) => !c.valid)).toBe(true);
  });

  it('reads the inputs as the hex says (no JSON surprises)', () => {
    for (const c of cases) expect(Buffer.from(c.input, 'utf8').toString('hex')).toBe(c.input_utf8_hex);
  });

  for (const c of cases.filter((c) => c.valid)) {
    it(`valid: ${c.note}`, () => {
      const bytes = normaliseCode(c.input);
      expect(bytes.toString('hex')).toBe(c.code_bytes);
      expect(bytes.length).toBe(c.code_bytes_len);
    });
  }

  for (const c of cases.filter((c) => !c.valid)) {
    it(`invalid: ${c.note}`, () => {
      expect(c.code_bytes).toBeNull();
      expect(thrownBy(() => normaliseCode(c.input)).code).toBe('E_BAD_CODE');
    });
  }
});

describe('normaliseCode: messages', () => {
  const secretLike = ['7-crossover-clöckwork', '123-Abandon Ability-able', 'x'.repeat(MAX_CODE_BYTES + 1)];

  it.each(secretLike)('never repeats the code it refuses (%#)', (input) => {
    const { message } = thrownBy(() => normaliseCode(input));
    expect(message).not.toContain(input);
    expect(message).not.toContain(input.trim());
    expect(message).toMatch(/printable ASCII/);
  });

  it('never repeats any refused vector input of some length', () => {
    for (const c of cases.filter((c) => !c.valid && c.input.trim().length >= 4)) {
      expect(thrownBy(() => normaliseCode(c.input)).message).not.toContain(c.input.trim());
    }
  });

  it('says what is wrong', () => {
    expect(thrownBy(() => normaliseCode(' \t')).message).toMatch(/empty/);
    expect(thrownBy(() => normaliseCode('a'.repeat(256))).message).toMatch(/longer than 255/);
    expect(thrownBy(() => normaliseCode('7 crossover')).message).toMatch(/space or tab/);
    expect(thrownBy(() => normaliseCode('7-cross\u0007over')).message).toMatch(/control character/);
    expect(thrownBy(() => normaliseCode('café')).message).toMatch(/not plain ASCII/);
  });
});

describe('normaliseCode: properties', () => {
  it('either throws E_BAD_CODE or returns 1..255 bytes in 0x21..0x7E without A-Z, for any string', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    const anyInput = fc.oneof(
      fc.string({ unit: anyUnit }),
      fc.string({ unit: 'binary-ascii', maxLength: 300 }),
    );
    const isUpperCase = (byte: number): boolean => byte >= 0x41 && byte <= 0x5a;
    fc.assert(
      fc.property(anyInput, (input) => {
        let bytes: Buffer;
        try {
          bytes = normaliseCode(input);
        } catch (error) {
          expect(error).toBeInstanceOf(SealdropError);
          expect((error as SealdropError).code).toBe('E_BAD_CODE');
          return;
        }
        expect(bytes.length).toBeGreaterThanOrEqual(1);
        expect(bytes.length).toBeLessThanOrEqual(255);
        expect(bytes.every((byte) => byte >= 0x21 && byte <= 0x7e && !isUpperCase(byte))).toBe(true);
      }),
    );
  });

  it('is idempotent on what it returns', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 255 }), (input) => {
        fc.pre(!input.includes(' '));
        const once = normaliseCode(input);
        expect(normaliseCode(once.toString('ascii')).equals(once)).toBe(true);
      }),
    );
  });
});

describe('generateCode', () => {
  it('has the form N-word-word-word with N in 1..999', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateCode();
      const match = /^([1-9][0-9]{0,2})-([a-z]+)-([a-z]+)-([a-z]+)$/.exec(code);
      expect(match, code).not.toBeNull();
      const number = Number(match![1]);
      expect(number).toBeGreaterThanOrEqual(1);
      expect(number).toBeLessThanOrEqual(999);
    }
  });

  it('is already normalised', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateCode();
      expect(normaliseCode(code).equals(Buffer.from(code, 'ascii'))).toBe(true);
    }
  });

  it('gives 200 distinct codes in a row', () => {
    const codes = new Set(Array.from({ length: 200 }, generateCode));
    expect(codes.size).toBe(200);
  });

  it('carries at least 40 bits of entropy (3 words of 2048 and a number of 999)', () => {
    expect(GENERATED_CODE_ENTROPY_BITS).toBeGreaterThanOrEqual(40);
    expect(GENERATED_CODE_ENTROPY_BITS).toBeCloseTo(33 + Math.log2(999), 10);
  });
});
