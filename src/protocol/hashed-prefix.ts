/**
 * An entry's first bytes as a SHA-256 in progress (PROTOCOL.md section 6: a resume proves the
 * prefix a receiver kept by a MAC over its SHA-256, and FILE_END's SHA-256 covers the prefix and
 * the rest). Here, in the pure layer, because both sides of the session's interfaces use it: the
 * files layer computes it (a kept part file, a local file being resumed) and the session goes on
 * hashing from it; neither depends on the other's code for it.
 */
import type { Hash } from 'node:crypto';

/** A hash already fed with the first `bytes` bytes of an entry. */
export interface HashedPrefix {
  readonly hash: Hash;
  readonly bytes: number;
}
