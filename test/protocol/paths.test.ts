// PROTOCOL.md section 5, path rules of an OFFER: the `path_rules` vectors, hostile inputs and scale.

import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OfferPathChecker, type PathRule, describePathViolation, findPathViolation } from '../../src/protocol/paths.js';
import { loadVectors } from '../support/vectors.js';
import { partFileName } from '../../src/files/destination.js';
import { lockFileName } from '../../src/files/entry-lock.js';
import { thrownBy } from '../support/errors.js';

/** The refusal a receiver sends for an offer of these paths, as the session makes it. */
function assertOfferPaths(paths: readonly string[]): void {
  const violation = findPathViolation(paths);
  if (violation !== null) throw describePathViolation(violation);
}

interface PathCase {
  paths: string[];
  paths_utf8_hex: (string | null)[];
  expected: 'accept' | 'reject';
  rule?: string;
  note: string;
}

const vectors = loadVectors<{ path_rules: PathCase[] }>('handshake-v1.json');
const cases = vectors.path_rules.map((c, n) => ({ ...c, n }));

/** The rule labels in the order the vectors' README says they are checked. */
const RULES_IN_ORDER: readonly PathRule[] = [
  'empty',
  'not-utf8',
  'not-nfc',
  'path-too-long',
  'absolute',
  'backslash',
  'colon',
  'control',
  'bidi',
  'empty-segment',
  'dot-segment',
  'segment-too-long',
  'trailing-dot-or-space',
  'reserved-name',
  'same-path',
  'directory-prefix',
];

/** False for a string with a lone surrogate: UTF-8 encoding replaces it, so it does not round-trip. */
const isWellFormed = (text: string): boolean => Buffer.from(text, 'utf8').toString('utf8') === text;

/** ASCII-only case folding, written independently of the module under test. */
const fold = (text: string): string =>
  text.replace(/[A-Z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) | 0x20));

describe('findPathViolation: path_rules vectors', () => {
  it('holds the 95 cases the README lists, covering every rule', () => {
    expect(cases).toHaveLength(95);
    const rules = new Set(cases.flatMap((c) => (c.rule === undefined ? [] : [c.rule])));
    expect([...rules].sort()).toEqual([...RULES_IN_ORDER].sort());
  });

  it('reads the paths as the hex says (null only for the lone surrogate)', () => {
    for (const c of cases) {
      c.paths.forEach((path, i) => {
        const hex = c.paths_utf8_hex[i];
        if (hex === null) expect(isWellFormed(path)).toBe(false);
        else expect(Buffer.from(path, 'utf8').toString('hex')).toBe(hex);
      });
    }
  });

  for (const c of cases) {
    it(`#${c.n} ${c.expected}${c.rule === undefined ? '' : ` (${c.rule})`}: ${c.note}`, () => {
      const violation = findPathViolation(c.paths);
      if (c.expected === 'accept') {
        expect(violation).toBeNull();
        expect(() => assertOfferPaths(c.paths)).not.toThrow();
      } else {
        expect(violation?.rule).toBe(c.rule);
        expect(c.paths[violation!.index]).toBe(violation!.path);
        const error = thrownBy(() => assertOfferPaths(c.paths));
        expect(error.code).toBe('E_BAD_PATH');
        expect(error.message).toContain(`rule ${c.rule}`);
      }
    });
  }
});

describe('findPathViolation: which path and which rule', () => {
  it('reports the first offending path, in offer order', () => {
    expect(findPathViolation(['ok.txt', 'bad/../x', 'a\u0000'])).toEqual({
      rule: 'dot-segment',
      index: 1,
      path: 'bad/../x',
    });
  });

  it('reports the first rule in label order, whatever segment breaks it', () => {
    expect(findPathViolation(['a./..'])?.rule).toBe('dot-segment');
    expect(findPathViolation(['con/a.'])?.rule).toBe('trailing-dot-or-space');
    expect(findPathViolation(['x/../a\\b'])?.rule).toBe('backslash');
  });

  it('checks every path on its own before comparing paths', () => {
    expect(findPathViolation(['a', 'A', '../x'])).toEqual({ rule: 'dot-segment', index: 2, path: '../x' });
  });

  it('reports the later path of a collision, same-path before directory-prefix', () => {
    expect(findPathViolation(['a/b', 'x', 'A'])).toEqual({ rule: 'directory-prefix', index: 2, path: 'A' });
    expect(findPathViolation(['a', 'a/b', 'A'])).toEqual({ rule: 'directory-prefix', index: 1, path: 'a/b' });
    expect(findPathViolation(['a/b', 'c', 'C'])).toEqual({ rule: 'same-path', index: 2, path: 'C' });
  });

  it('accepts an empty offer (fileCount is checked elsewhere)', () => {
    expect(findPathViolation([])).toBeNull();
  });
});

describe('assertOfferPaths: message', () => {
  it('names the rule and the index and shows the path safely', () => {
    const error = thrownBy(() => assertOfferPaths(['fine.txt', 'evil\u202Etxt.exe']));
    expect(error.code).toBe('E_BAD_PATH');
    expect(error.message).toContain('path 1');
    expect(error.message).toContain('rule bidi');
    expect(error.message).toContain('evil\uFFFDtxt.exe');
    expect(error.message).not.toContain('\u202E');
  });

  it('shows an escape sequence or a lone surrogate only as U+FFFD', () => {
    const escape = thrownBy(() => assertOfferPaths(['\u001b[2Jx'])).message;
    expect(escape).not.toContain('\u001b');
    expect(escape).toContain('\uFFFD[2Jx');
    expect(isWellFormed(thrownBy(() => assertOfferPaths(['a\ud800'])).message)).toBe(true);
  });
});

// Path pieces near every rule's edge, weighted so that random paths are often accepted (nested
// ones too) and often refused; the alphabet of `collidingPath` makes collisions common.
const plainToken = fc.constantFrom('a', 'B', 'é', 'ß', '😀', '-', '.', ' ', '\u00A0', '\u200E', 'x.txt', '.hidden');
const edgeToken = fc.constantFrom(
  ...['..', 'e\u0301', '\u212A', 'con', 'Nul', 'com\u00B9', 'lpt9', 'COM10', '\\', ':'],
  ...['\u0000', '\u007F', '\u0085', '\u202E', '\u2067', '\ud800', '\udc00'],
);
const token = fc.oneof({ arbitrary: plainToken, weight: 8 }, { arbitrary: edgeToken, weight: 1 });
const segment = fc.array(token, { maxLength: 4 }).map((parts) => parts.join(''));
const pathLike = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const collidingPath = fc
  .array(fc.constantFrom('a', 'A', 'b', 'B', 'ab', 'Ab'), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'));
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const hostileString = fc.oneof(fc.string({ unit: anyUnit }), fc.string({ unit: 'binary' }), pathLike);

/** The collision rules the slow, obvious way: each path against every earlier one. */
function naiveCollision(paths: readonly string[]): { rule: PathRule; index: number } | null {
  for (let i = 0; i < paths.length; i++) {
    const earlier = paths.slice(0, i).map(fold);
    const here = fold(paths[i]!);
    if (earlier.includes(here)) return { rule: 'same-path', index: i };
    if (earlier.some((other) => other.startsWith(`${here}/`) || here.startsWith(`${other}/`))) {
      return { rule: 'directory-prefix', index: i };
    }
  }
  return null;
}

describe('findPathViolation: properties', () => {
  it('never throws, and any violation points at a real path of the offer', () => {
    fc.assert(
      fc.property(fc.array(hostileString, { maxLength: 8 }), (paths) => {
        const violation = findPathViolation(paths);
        if (violation === null) return;
        expect(RULES_IN_ORDER).toContain(violation.rule);
        expect(paths[violation.index]).toBe(violation.path);
      }),
    );
  });

  it('keeps every accepted path inside the destination, with no . or .. segment', () => {
    const base = '/srv/destination';
    let accepted = 0;
    let acceptedNested = 0;
    fc.assert(
      fc.property(pathLike, (path) => {
        if (findPathViolation([path]) !== null) return;
        accepted++;
        if (path.includes('/')) acceptedNested++;
        expect(posix.normalize(path)).toBe(path);
        const joined = posix.join(base, path);
        expect(joined).toBe(`${base}/${path}`);
        expect(posix.relative(base, joined)).toBe(path);
        expect(joined.split('/')).not.toContain('..');
        expect(joined.split('/')).not.toContain('.');
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(200);
    expect(acceptedNested).toBeGreaterThan(100);
  });

  it('accepts no offer with two paths equal, or one a directory of another, under ASCII case folding', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(collidingPath, pathLike), { maxLength: 8 }), (paths) => {
        if (findPathViolation(paths) !== null) return;
        const folded = paths.map(fold);
        expect(new Set(folded).size).toBe(folded.length);
        for (const a of folded) for (const b of folded) expect(b.startsWith(`${a}/`)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds the same collision as the pairwise comparison', () => {
    fc.assert(
      fc.property(fc.array(collidingPath, { maxLength: 10 }), (paths) => {
        const violation = findPathViolation(paths);
        const found = violation === null ? null : { rule: violation.rule, index: violation.index };
        expect(found).toEqual(naiveCollision(paths));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('OfferPathChecker: record by record (section 5)', () => {
  /** Cuts `paths` into records at the given points, as a sender's continuations would. */
  const records = (paths: string[], cuts: number[]) => {
    const ends = [...new Set(cuts.map((c) => c % (paths.length + 1)))].sort((a, b) => a - b);
    return [...ends, paths.length].map((end, i, all) => paths.slice(i === 0 ? 0 : all[i - 1], end));
  };

  it('finds, at the first record that breaks a rule, what a check of the offer up to that record finds (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(collidingPath, pathLike), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 4 }), (paths, cuts) => {
        const checker = new OfferPathChecker();
        let seen: string[] = [];
        for (const record of records(paths, cuts)) {
          seen = [...seen, ...record];
          const violation = checker.check(record);
          expect(violation).toEqual(findPathViolation(seen));
          if (violation !== null) return;
        }
        expect(findPathViolation(paths)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('counts indexes over the whole offer and finds collisions across records', () => {
    const checker = new OfferPathChecker();
    expect(checker.check(['docs/a.txt', 'b'])).toBeNull();
    expect(checker.check(['c', 'DOCS'])).toEqual({ rule: 'directory-prefix', index: 3, path: 'DOCS' });
  });

  it('counts each distinct file and directory name once', () => {
    const checker = new OfferPathChecker();
    checker.check(['a/b/c', 'a/b/d']);
    checker.check(['a/e']);
    expect(checker.nameCount).toBe(5); // a, a/b, a/b/c, a/b/d, a/e
  });
});

describe('findPathViolation: scale', () => {
  // A pairwise comparison would need 5e9 steps here and blow the test timeout.
  it('handles an offer of 100,000 paths, finding a collision at the very end', () => {
    const paths = Array.from({ length: 100_000 }, (_, i) => `dir${i % 300}/sub${i % 7}/file-${i}.txt`);
    expect(findPathViolation(paths)).toBeNull();
    paths.push('DIR5/sub5/FILE-5.txt');
    expect(findPathViolation(paths)).toEqual({ rule: 'same-path', index: 100_000, path: paths[100_000] });
  });

  // A set of every folded directory prefix hashes each of the ~2,000 prefixes of a path in full:
  // about 10 seconds for this offer, against well under one for the tree of segments.
  it('handles deep paths of nearly 4096 bytes in time linear in their length', () => {
    const deep = 'd/'.repeat(2040);
    const paths = Array.from({ length: 1_000 }, (_, i) => `${deep}f${i}`);
    expect(findPathViolation(paths)).toBeNull();
    expect(findPathViolation([...paths, deep.slice(0, -1)])?.rule).toBe('directory-prefix');
  });
});

describe('findPathViolation: the receiver\'s working names (section 5)', () => {
  it('refuses a segment that names a part file, its record, an entry lock or any other .sealdrop- file, in any ASCII case', () => {
    const working = [partFileName('a.txt'), `${partFileName('a.txt')}.json`, lockFileName('a.txt'), '.sealdrop-anything'];
    for (const name of working) {
      for (const path of [name, `dir/${name}`, `${name}/inner.txt`, name.toUpperCase()]) {
        expect(findPathViolation([path]), path).toEqual({ rule: 'working-name', index: 0, path });
      }
    }
    expect(thrownBy(() => assertOfferPaths(['b.txt', `${partFileName('a.txt')}.json`, 'a.txt']))).toMatchObject({ code: 'E_BAD_PATH' });
  });

  it('still accepts names that only look alike', () => {
    expect(findPathViolation(['sealdrop-notes.txt', '.sealdrop', 'x.sealdrop-1.part', 'dir/.sealdrop'])).toBeNull();
  });
});
