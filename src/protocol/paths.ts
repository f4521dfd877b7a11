/**
 * The path rules of an OFFER (PROTOCOL.md section 5). A receiver refuses the whole offer with
 * E_BAD_PATH if any path breaks one. The last rule, "would resolve outside the destination
 * directory", needs the real disk and is checked where files are written; everything here is pure.
 */

import { SealdropError } from '../errors.js';
import { BIDI_CONTROL, CONTROL_CHARACTER, LONE_SURROGATE, forDisplay } from './display.js';

export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;

/**
 * Every file the receiver keeps for itself in a destination (part files, their records, entry
 * locks, the record of the directories an offer created) is named with this prefix, and section 5
 * forbids offered paths to name one: an entry named like another entry's part record would
 * otherwise collide with it, and an offer could plant a record a later transfer trusts. The whole
 * prefix is reserved, in any ASCII case (a case-folding disk makes `.SEALDROP-` the same name), so
 * a working file added later is covered too.
 */
export const WORKING_NAME_PREFIX = '.sealdrop-';

/**
 * Rule labels of `fixtures/vectors/handshake-v1.json` (`path_rules`), in the order they are checked:
 * the whole path, then each segment, then the paths against each other.
 */
export type PathRule =
  | 'empty'
  | 'not-utf8'
  | 'not-nfc'
  | 'path-too-long'
  | 'absolute'
  | 'backslash'
  | 'colon'
  | 'control'
  | 'bidi'
  | 'empty-segment'
  | 'dot-segment'
  | 'segment-too-long'
  | 'trailing-dot-or-space'
  | 'reserved-name'
  | 'working-name'
  | 'same-path'
  | 'directory-prefix';

export interface PathViolation {
  rule: PathRule;
  /** Index of the offending path in the offer (for a collision, the later of the two). */
  index: number;
  /** The path as received: pass it through `forDisplay` before showing it. */
  path: string;
}

type Check = readonly [PathRule, (text: string) => boolean];

const WHOLE_PATH_CHECKS: readonly Check[] = [
  ['empty', (path) => path.length === 0],
  ['not-utf8', (path) => LONE_SURROGATE.test(path)],
  ['not-nfc', (path) => path.normalize('NFC') !== path],
  ['path-too-long', (path) => Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES],
  ['absolute', (path) => path.startsWith('/')],
  ['backslash', (path) => path.includes('\\')],
  ['colon', (path) => path.includes(':')],
  ['control', (path) => CONTROL_CHARACTER.test(path)],
  ['bidi', (path) => BIDI_CONTROL.test(path)],
];

/**
 * Windows device names, which open a device instead of a file whatever the extension (`con.txt`
 * is the console): the name, then only spaces up to the first `.` or the end. Matched against
 * ASCII-folded text rather than with the `iu` flags, which would also fold the KELVIN SIGN to `k`:
 * section 5 compares in ASCII case only.
 */
const RESERVED_NAME = /^(?:con|prn|aux|nul|(?:com|lpt)[0-9\u00B9\u00B2\u00B3]) *(?:\.|$)/;

const SEGMENT_CHECKS: readonly Check[] = [
  ['empty-segment', (segment) => segment.length === 0],
  ['dot-segment', (segment) => segment === '.' || segment === '..'],
  ['segment-too-long', (segment) => Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES],
  // Windows drops a trailing dot or space, so `a.` and `a` would land on the same file.
  ['trailing-dot-or-space', (segment) => segment.endsWith('.') || segment.endsWith(' ')],
  ['reserved-name', (segment) => RESERVED_NAME.test(segment)],
  // Not a label of the vectors: which names are working names is each implementation's choice.
  ['working-name', (segment) => segment.startsWith(WORKING_NAME_PREFIX)],
];

/** Section 5 folds ASCII A-Z only, so every implementation agrees on what collides. */
function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The first rule, in label order, that one path breaks on its own. `segments` are the path's
 * segments after ASCII case folding: folding changes nothing the first four segment rules look
 * at, and reserved and working names count in any ASCII case.
 */
function findOwnRule(path: string, segments: readonly string[]): PathRule | null {
  for (const [rule, breaks] of WHOLE_PATH_CHECKS) if (breaks(path)) return rule;
  for (const [rule, breaks] of SEGMENT_CHECKS) if (segments.some(breaks)) return rule;
  return null;
}

/** Flags of a name in the tree of an offer's names (section 5's collision rules). */
const ENDS_A_PATH = 1;
const HAS_CHILDREN = 2;
const FLAG_BITS = 2;

/**
 * Checks an offer's paths record by record, as section 5 asks ("it checks each record's paths as
 * the record arrives"): each path on its own, then against every path seen so far, after ASCII
 * case folding, for the same path or one path a directory prefix of the other.
 *
 * The names seen so far form a tree of folded segments, which keeps the check linear in the total
 * length of the offer: a set of every directory prefix would hash each prefix in full, which costs
 * the square of the depth for a hostile `a/a/a/…` path. The tree lives in one Map from "parent's
 * number / segment" to the name's number and flags: a Map per directory took several times the
 * memory for each name, which an offer of deep paths multiplies.
 */
export class OfferPathChecker {
  /** `parent number (base 36) + "/" + folded segment` → `number << FLAG_BITS | flags`; the root is 0. */
  readonly #names = new Map<string, number>();
  #pathsChecked = 0;

  /** Distinct file and directory names seen so far: what the checker's memory grows with. */
  get nameCount(): number {
    return this.#names.size;
  }

  /**
   * The first rule the next paths of the offer break, or null. Each path is checked on its own
   * first, in offer order; only then are they compared, so the collision rules only ever see
   * well-formed paths. Indexes count over the whole offer. Never throws, whatever the strings hold.
   */
  check(paths: readonly string[]): PathViolation | null {
    const first = this.#pathsChecked;
    this.#pathsChecked += paths.length;
    const foldedSegments: string[][] = [];
    for (const [offset, path] of paths.entries()) {
      const segments = foldAsciiCase(path).split('/');
      const rule = findOwnRule(path, segments);
      if (rule !== null) return { rule, index: first + offset, path };
      foldedSegments.push(segments);
    }
    for (const [offset, segments] of foldedSegments.entries()) {
      const rule = this.#add(segments);
      if (rule !== null) return { rule, index: first + offset, path: paths[offset]! };
    }
    return null;
  }

  /** Adds one path's names; the collision rule it breaks against earlier paths, if any. */
  #add(segments: readonly string[]): PathRule | null {
    let parent = 0;
    let parentKey: string | null = null;
    let parentValue = 0;
    let underEarlierPath = false;
    let key = '';
    let value = 0;
    for (const segment of segments) {
      if (parentKey !== null && (parentValue & HAS_CHILDREN) === 0) this.#names.set(parentKey, parentValue | HAS_CHILDREN);
      underEarlierPath ||= (parentValue & ENDS_A_PATH) !== 0;
      key = `${parent.toString(36)}/${segment}`;
      let found = this.#names.get(key);
      if (found === undefined) {
        found = (this.#names.size + 1) << FLAG_BITS;
        this.#names.set(key, found);
      }
      value = found;
      parent = value >>> FLAG_BITS;
      parentKey = key;
      parentValue = value;
    }
    if ((value & ENDS_A_PATH) !== 0) return 'same-path';
    // A name with children is a directory of an earlier path.
    if (underEarlierPath || (value & HAS_CHILDREN) !== 0) return 'directory-prefix';
    this.#names.set(key, value | ENDS_A_PATH);
    return null;
  }
}

/**
 * The first rule an offer breaks, or null if section 5 (apart from the on-disk check) allows it.
 * Each path is checked on its own first, in offer order; only then are paths compared, so the
 * collision rules only ever see well-formed paths. Never throws, whatever the strings hold.
 */
export function findPathViolation(paths: readonly string[]): PathViolation | null {
  return new OfferPathChecker().check(paths);
}

/** What each rule means, for the person who sees the refusal. */
const RULE_DESCRIPTIONS: Readonly<Record<PathRule, string>> = {
  empty: 'is empty',
  'not-utf8': 'is not valid Unicode (it holds a lone surrogate)',
  'not-nfc': 'is not in Unicode normalisation form NFC',
  'path-too-long': `is longer than ${MAX_PATH_BYTES} bytes`,
  absolute: 'is absolute (starts with /)',
  backslash: 'contains a backslash',
  colon: 'contains a colon',
  control: 'contains a control character',
  bidi: 'contains a bidirectional control character',
  'empty-segment': 'has an empty segment (// or a trailing /)',
  'dot-segment': 'has a . or .. segment',
  'segment-too-long': `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`,
  'trailing-dot-or-space': 'has a segment ending in a dot or a space',
  'reserved-name': 'has a segment that is a Windows device name (CON, NUL, COM1, …)',
  'working-name': `has a segment starting with ${WORKING_NAME_PREFIX}, which the receiver keeps for its own working files`,
  'same-path': 'repeats an earlier path of the offer (ignoring ASCII letter case)',
  'directory-prefix':
    'clashes with an earlier path of the offer: one is a directory of the other (ignoring ASCII letter case)',
};

/** The E_BAD_PATH error for a violation, naming the rule and the path. */
export function describePathViolation({ rule, index, path }: PathViolation): SealdropError {
  return new SealdropError(
    'E_BAD_PATH',
    `The offer was refused: path ${index} "${forDisplay(path)}" ${RULE_DESCRIPTIONS[rule]} (rule ${rule}).`,
  );
}

/**
 * Section 11: a stream's name obeys the path rules and has a single segment (it is the name of the
 * one file a receiver may save it as). The E_BAD_PATH refusal, or null if the name is fine.
 */
export function streamNameViolation(name: string): SealdropError | null {
  const violation = findPathViolation([name]);
  if (violation !== null) return describePathViolation(violation);
  if (name.includes('/')) return new SealdropError('E_BAD_PATH', `The offer was refused: the stream's name "${forDisplay(name)}" has more than one segment (section 11: a single file name).`);
  return null;
}
