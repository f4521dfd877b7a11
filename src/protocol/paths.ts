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

/** A node of the tree of folded segments; `isPath` marks where an earlier path of the offer ends. */
interface SegmentNode {
  children: Map<string, SegmentNode> | undefined;
  isPath: boolean;
}

/**
 * The first path that equals an earlier one, or is a directory prefix of one or has one as its
 * directory prefix, all after ASCII case folding. A tree of segments makes this linear in the
 * total length of the offer: a set of every directory prefix would hash each prefix in full,
 * which costs the square of the depth for a hostile `a/a/a/…` path, times 100,000 files.
 */
function findCollision(
  paths: readonly string[],
  foldedSegments: readonly (readonly string[])[],
): PathViolation | null {
  const root: SegmentNode = { children: undefined, isPath: false };
  for (const [index, segments] of foldedSegments.entries()) {
    let node = root;
    let underEarlierPath = false;
    for (const segment of segments) {
      underEarlierPath ||= node.isPath;
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: undefined, isPath: false };
        node.children.set(segment, child);
      }
      node = child;
    }
    const path = paths[index]!;
    if (node.isPath) return { rule: 'same-path', index, path };
    // A node with children is a directory of an earlier path.
    if (underEarlierPath || node.children !== undefined) {
      return { rule: 'directory-prefix', index, path };
    }
    node.isPath = true;
  }
  return null;
}

/**
 * The first rule an offer breaks, or null if section 5 (apart from the on-disk check) allows it.
 * Each path is checked on its own first, in offer order; only then are paths compared, so the
 * collision rules only ever see well-formed paths. Never throws, whatever the strings hold.
 */
export function findPathViolation(paths: readonly string[]): PathViolation | null {
  const foldedSegments: string[][] = [];
  for (const [index, path] of paths.entries()) {
    const segments = foldAsciiCase(path).split('/');
    const rule = findOwnRule(path, segments);
    if (rule !== null) return { rule, index, path };
    foldedSegments.push(segments);
  }
  return findCollision(paths, foldedSegments);
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

/** Throws E_BAD_PATH, naming the rule and the path, if the offer breaks a rule of section 5. */
export function assertOfferPaths(paths: readonly string[]): void {
  const violation = findPathViolation(paths);
  if (violation === null) return;
  const { rule, index, path } = violation;
  throw new SealdropError(
    'E_BAD_PATH',
    `The offer was refused: path ${index} "${forDisplay(path)}" ${RULE_DESCRIPTIONS[rule]} (rule ${rule}).`,
  );
}
