// PROTOCOL.md section 5 (peer text on a terminal): forDisplay against the `display_cases` vectors.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forDisplay, jsonForDisplay } from '../../src/protocol/display.js';
import { loadVectors } from '../support/vectors.js';

interface DisplayCase {
  input: string;
  input_utf8_hex: string;
  replace: string[];
  shown_fffd: string;
  note: string;
}

const vectors = loadVectors<{ display_cases: DisplayCase[] }>('handshake-v1.json');
const cases = vectors.display_cases;

/** Every UTF-16 unit a code point of which must not be shown: controls, bidi, lone surrogates. */
function isForbiddenCodePoint(codePoint: number): boolean {
  return (
    codePoint <= 0x1f ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069) ||
    (codePoint >= 0xd800 && codePoint <= 0xdfff)
  );
}

/** Code points as `for…of` sees them: a well-formed pair is one, a lone surrogate is itself. */
const codePoints = (text: string): number[] => Array.from(text, (char) => char.codePointAt(0)!);

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const edgeUnit = fc.constantFrom(
  ...['a', 'é', '😀', '\u001b', '\u007f', '\u0085', '\u202e', '\u2066', '\ud800', '\udc00'],
);
const hostileText = fc.oneof(
  fc.string({ unit: anyUnit }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: edgeUnit }),
);

describe('forDisplay: display_cases vectors', () => {
  it('holds the 8 cases the README lists', () => {
    expect(cases).toHaveLength(8);
  });

  for (const c of cases) {
    it(c.note, () => {
      expect(Buffer.from(c.input, 'utf8').toString('hex')).toBe(c.input_utf8_hex);
      const shown = forDisplay(c.input);
      expect(shown).toBe(c.shown_fffd);
      for (const label of c.replace) {
        const codePoint = Number.parseInt(label.replace(/^U\+/, ''), 16);
        expect(codePoints(shown)).not.toContain(codePoint);
      }
      expect(codePoints(shown).filter((cp) => cp === 0xfffd)).toHaveLength(c.replace.length);
    });
  }
});

describe('forDisplay: lone surrogates', () => {
  it('replaces each lone half and keeps well-formed pairs', () => {
    expect(forDisplay('a\ud800b')).toBe('a\ufffdb');
    expect(forDisplay('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(forDisplay('x😀y\ud83d')).toBe('x😀y\ufffd');
  });
});

describe('forDisplay: properties', () => {
  it('never lets a forbidden code point through, and keeps the length', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const shown = forDisplay(text);
        expect(codePoints(shown).some(isForbiddenCodePoint)).toBe(false);
        expect(shown.length).toBe(text.length);
      }),
    );
  });

  it('returns text without forbidden code points unchanged', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const clean = Array.from(text)
          .filter((char) => !isForbiddenCodePoint(char.codePointAt(0)!))
          .join('');
        expect(forDisplay(clean)).toBe(clean);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(forDisplay(forDisplay(text))).toBe(forDisplay(text));
      }),
    );
  });
});

describe('jsonForDisplay: --json output a terminal cannot be driven by', () => {
  it('escapes DEL, C1 and bidi controls, which JSON.stringify leaves raw', () => {
    const text = 'a\u007fb\u0085c\u009bd\u202ee\u2066f';
    expect(JSON.stringify({ text })).toContain('\u202e'); // the raw character: why this exists
    expect(jsonForDisplay({ text })).toBe('{"text":"a\\u007fb\\u0085c\\u009bd\\u202ee\\u2066f"}');
  });

  it('writes no forbidden code point, and JSON.parse gives back the exact value', () => {
    fc.assert(
      fc.property(fc.record({ text: hostileText, names: fc.array(hostileText, { maxLength: 3 }) }), (value) => {
        const json = jsonForDisplay(value);
        expect(codePoints(json).some(isForbiddenCodePoint)).toBe(false);
        expect(JSON.parse(json)).toEqual(value);
      }),
    );
  });
});
